/**
 * The map of a format-3 set: a sample, not every paper. At 100k points a map is a blur, the layout takes
 * minutes, and each point needs its id and title, which live in text shards (nothing of them is eager).
 * So the map lays out MAP_SAMPLE_POINTS papers of the set plus all of the user's, from the in-memory prefix
 * codes (the vectors the graph walks: no row shard is fetched), and reads the sample's ids and titles
 * from the fewest text shards that spread it over the whole collection.
 *
 * Rows are in locality order (format3/order.ts: a PCA tree with leaves of about one text shard), so
 * evenly spaced shards are evenly spaced over the collection's topics. Every other row of each chosen
 * shard is taken: half as many points per topic leaf and twice as many leaves for the same points, so
 * the layout's neighbourhoods reach across leaves rather than drawing each leaf as an island.
 */
import type { MapSource } from '../map/map-source';
import type { Paper } from '../types';
import { normaliseInPlace } from '../vectors';
import type { PapersReader } from './papers';
import type { YourPapers } from './your-papers';

/** Papers of the set on the map; a set this small or smaller is drawn whole. */
export const MAP_SAMPLE_POINTS = 2000;
/** Rows taken from each chosen text shard (see above). */
const ROWS_PER_CHOSEN_SHARD_DIVISOR = 2;

/** The rows of the set the map draws, ascending: all of them up to MAP_SAMPLE_POINTS, else a spread sample. */
export function mapSampleRows(count: number, rowsPerShard: number, points = MAP_SAMPLE_POINTS): number[] {
  if (count <= points) return Array.from({ length: count }, (_, i) => i);
  const shards = Math.ceil(count / rowsPerShard);
  // Every other row only where that still fills the sample (a set under twice its size takes whole shards).
  const halved = Math.ceil(rowsPerShard / ROWS_PER_CHOSEN_SHARD_DIVISOR);
  const step = shards * halved >= points ? ROWS_PER_CHOSEN_SHARD_DIVISOR : 1;
  const perShard = Math.ceil(rowsPerShard / step);
  const chosen = Math.min(shards, Math.ceil(points / perShard));
  const rows: number[] = [];
  for (let i = 0; i < chosen; i++) {
    const shard = Math.floor((i * shards) / chosen);
    for (let row = shard * rowsPerShard; row < Math.min(count, (shard + 1) * rowsPerShard) && rows.length < points; row += step) rows.push(row);
  }
  return rows;
}

/**
 * What the map lays out for a format-3 set: the sample (its papers fetched now, shard by shard) and the
 * user's papers, each as its unit prefix vector. `onShards` reports the text shards read.
 */
export async function format3MapSource(
  set: { papers: PapersReader; prefixVector(row: number): Float32Array },
  yours: YourPapers,
  key: string,
  onPapers?: (done: number, total: number) => void,
): Promise<MapSource> {
  const rows = mapSampleRows(set.papers.count, set.papers.section.rowsPerShard);
  const sampled: Paper[] = [];
  // A shard's worth at a time, so progress moves and a large sample does not hold every request open at once.
  const batch = set.papers.section.rowsPerShard * 16;
  for (let at = 0; at < rows.length; at += batch) {
    sampled.push(...(await set.papers.papers(rows.slice(at, at + batch))));
    onPapers?.(Math.min(rows.length, at + batch), rows.length);
  }
  const own = yours.importedPapers();
  const prefixDims = set.prefixVector(0).length;
  const vectorOf = (point: number): Float32Array => {
    if (point < rows.length) return set.prefixVector(rows[point]);
    const vector = yours.rotatedOf(own[point - rows.length].id).slice(0, prefixDims);
    normaliseInPlace(vector);
    return vector;
  };
  const papers = [...sampled, ...own];
  return {
    key: `${key}/sample-${rows.length}`,
    ids: papers.map((p) => p.id),
    titles: papers.map((p) => p.title),
    imported: papers.map((_, i) => i >= rows.length),
    dims: prefixDims,
    vectorsOf: (points) => {
      const out = new Float32Array(points.length * prefixDims);
      points.forEach((point, i) => out.set(vectorOf(point), i * prefixDims));
      return out;
    },
    sampled: set.papers.count > rows.length ? { shown: rows.length, of: set.papers.count } : undefined,
  };
}
