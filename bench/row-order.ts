/**
 * How a format-3 set's row order spreads one search's reads over files: the row shards its shortlist falls in,
 * the tails of its head ranking's best rows, and the text shards of its hits, for the set's own order and for
 * orders recomputed over the same prefix codes (Node; the set's prefix decoded as the build decoded it, so the
 * orders are the ones a merge would write): `pca-tree`, the merge's (format3/order.ts), and `cluster-tree`, a
 * k-means tree tried against it (below, not adopted).
 *
 *   npx tsx bench/row-order.ts --set .cache/scale/1000000/artifacts-f3-v2 [--orders pca-tree,cluster-tree] [--rows-per-shard N]
 *
 * --rows-per-shard: count row shards of N rows instead of the set's own size (the files a set so built would read).
 *
 * Queries: bench/queries.ts's ten and the judged text queries of test/eval/queries.json (55), embedded by the
 * set's model (kept in .cache/format3-speed/). The shortlist is the set's walk (its ef and shortlist): the
 * order changes which rows share a file, not which rows a search wants.
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToFloats } from '../src/core/artifacts';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { parseFormat3Manifest } from '../src/core/format3/manifest';
import { openFormat3Engine } from '../src/core/format3/open';
import { localityOrder } from '../src/core/format3/order';
import { unpackFourBit } from '../src/core/format3/quantize';
import { normaliseInPlace } from '../src/core/vectors';
import { QUERIES } from './queries';
import { cachedQueryEmbeddings, heldDiskSource } from './set-files';

/** Children of a node of the cluster tree: few enough that a node's k-means is cheap, enough to keep the tree shallow. */
const CLUSTER_BRANCHING = 16;
/** Rows of a node that its k-means trains on (the rest are only assigned). */
const CLUSTER_TRAIN_ROWS_PER_CHILD = 64;
const CLUSTER_ITERATIONS = 6;

const { values } = parseArgs({ options: { set: { type: 'string' }, orders: { type: 'string', default: 'pca-tree,cluster-tree' }, 'rows-per-shard': { type: 'string' } } });
if (!values.set) throw new Error('--set DIR is required');
const dir = values.set;
const manifest = parseFormat3Manifest(readFileSync(join(dir, 'manifest.json')));
const count = manifest.count;
const p = manifest.prefix.dims;
const load = [loadavg()[0]];

// The prefix as the build decoded it before ordering (rows here are in the set's own order).
const scales = bytesToFloats(readFileSync(join(dir, manifest.scales.file)));
const stored = new Uint8Array(readFileSync(join(dir, manifest.prefix.file)));
const codes = manifest.prefix.encoding === 'u4-range' ? unpackFourBit(stored, count * p) : stored;
const prefix = new Float32Array(count * p);
for (let r = 0; r < count; r++) for (let d = 0; d < p; d++) prefix[r * p + d] = scales[d] + codes[r * p + d] * scales[p + d];

const source = heldDiskSource(dir);
const opened = await openFormat3Engine(manifest, source);
const texts = [...QUERIES, ...parseJudgedQueries(JSON.parse(readFileSync('test/eval/queries.json', 'utf8'))).flatMap((q) => (q.kind === 'similar' ? [] : [q.text]))];
const embeddings = await cachedQueryEmbeddings(manifest.model, texts);
const { ef, shortlist: S } = manifest.search;
const headKeep = manifest.search.headKeep ?? 200;
const searches = embeddings.map((e) => {
  const query = opened.vectors.rotate(e);
  normaliseInPlace(query);
  const rows = opened.vectors.shortlist(query, S, ef);
  return { rows, best: rows.slice(0, headKeep), hits: rows.slice(0, 10) };
});

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const perShard = values['rows-per-shard'] ? Number(values['rows-per-shard']) : manifest.rows.rowsPerShard;
const textPerShard = (manifest.papers as { rowsPerShard: number }).rowsPerShard;

console.log(`${count} papers (${dir}), ${texts.length} typed queries, shortlist ${S} (ef ${ef}), ${perShard}-row shards, text shards of ${textPerShard}`);
console.log('| order | build s | row shards a shortlist falls in: p50 / p90 / max | … with ≥ 2 of its rows | row shards of its best ' + headKeep + ' (the tails read above 500k): p50 | text shards of the walk\'s best 10: p50 |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const name of (values.orders as string).split(',')) {
  const started = performance.now();
  // position[row of the set] = row in the order measured.
  const order = name === 'set' ? null : name === 'pca-tree' ? localityOrder(prefix, p) : name === 'cluster-tree' ? clusterOrder(prefix, p) : null;
  if (name !== 'set' && !order) throw new Error(`unknown order ${name}`);
  const seconds = (performance.now() - started) / 1000;
  const position = new Int32Array(count);
  if (order) order.forEach((row, at) => (position[row] = at));
  else for (let r = 0; r < count; r++) position[r] = r;
  const files = (rows: number[], size: number, min = 1) => {
    const fill = new Map<number, number>();
    for (const r of rows) {
      const f = Math.floor(position[r] / size);
      fill.set(f, (fill.get(f) ?? 0) + 1);
    }
    return [...fill.values()].filter((n) => n >= min).length;
  };
  const shards = searches.map((s) => files(s.rows, perShard));
  const dense = searches.map((s) => files(s.rows, perShard, 2));
  const tails = searches.map((s) => files(s.best, perShard));
  const text = searches.map((s) => files(s.hits, textPerShard));
  console.log(
    `| ${name} | ${order ? seconds.toFixed(1) : '—'} | ${median(shards)} / ${pct(shards, 0.9)} / ${Math.max(...shards)} | ${median(dense)} | ${median(tails)} | ${median(text)} |`,
  );
}
load.push(loadavg()[0]);
console.log(`\nload ${load.map((l) => l.toFixed(1)).join(' → ')}`);


/**
 * Tried as the merge's row order, not adopted (docs/BENCHMARKS.md, "Row order: a k-means tree against the PCA tree").
 * A row order from a tree of k-means clusters (rows → up to 16 clusters → each split again, down to `leaf` rows):
 * a cluster's rows are contiguous, and its children follow each other nearest centroid first, so a topic fills a
 * run of rows instead of being cut at the medians a PCA tree cuts at.
 * Deterministic: a node's training rows are evenly spaced, its first centroids are its farthest-point picks from
 * its first row, ties break by index.
 */
function clusterOrder(vectors: Float32Array, dims: number, leaf = 16): Int32Array {
  const count = vectors.length / dims;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const assignment = new Int32Array(count);
  const scratch = new Int32Array(count);
  const stack: [number, number][] = [[0, count]];
  while (stack.length > 0) {
    const [from, to] = stack.pop() as [number, number];
    const n = to - from;
    if (n <= leaf) continue;
    const k = Math.min(CLUSTER_BRANCHING, Math.ceil(n / leaf));
    const centroids = trainCentroids(vectors, dims, order, from, to, k);
    const sizes = new Int32Array(k);
    for (let i = from; i < to; i++) {
      const c = nearestCentroid(vectors, order[i] * dims, centroids, dims, k);
      assignment[i] = c;
      sizes[c]++;
    }
    let largest = 0;
    for (let c = 0; c < k; c++) largest = Math.max(largest, sizes[c]);
    if (largest === n) {
      // Rows k-means cannot tell apart (duplicates): split them evenly as they stand.
      const middle = from + (n >> 1);
      stack.push([middle, to], [from, middle]);
      continue;
    }
    const chain = centroidChain(centroids, dims, k, sizes);
    const start = new Int32Array(k);
    let at = from;
    for (const c of chain) {
      start[c] = at;
      at += sizes[c];
    }
    const fill = start.slice();
    for (let i = from; i < to; i++) scratch[fill[assignment[i]]++] = order[i];
    order.set(scratch.subarray(from, to), from);
    for (let j = chain.length - 1; j >= 0; j--) {
      const c = chain[j];
      if (sizes[c] > 0) stack.push([start[c], start[c] + sizes[c]]);
    }
  }
  return order;
}

function nearestCentroid(vectors: Float32Array, offset: number, centroids: Float64Array, dims: number, k: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let c = 0; c < k; c++) {
    let distance = 0;
    const o = c * dims;
    for (let d = 0; d < dims; d++) {
      const x = vectors[offset + d] - centroids[o + d];
      distance += x * x;
    }
    if (distance < bestDistance) {
      bestDistance = distance;
      best = c;
    }
  }
  return best;
}

/** k centroids by Lloyd's iterations over evenly spaced rows of order[from, to), seeded by farthest-point picks. */
function trainCentroids(vectors: Float32Array, dims: number, order: Int32Array, from: number, to: number, k: number): Float64Array {
  const n = to - from;
  const trainCount = Math.min(n, k * CLUSTER_TRAIN_ROWS_PER_CHILD);
  const train = new Int32Array(trainCount);
  for (let i = 0; i < trainCount; i++) train[i] = order[from + Math.floor((i * n) / trainCount)] * dims;
  const centroids = new Float64Array(k * dims);
  const nearest = new Float64Array(trainCount).fill(Infinity);
  let pick = 0;
  for (let c = 0; c < k; c++) {
    for (let d = 0; d < dims; d++) centroids[c * dims + d] = vectors[train[pick] + d];
    let farthest = 0;
    for (let i = 0; i < trainCount; i++) {
      let distance = 0;
      for (let d = 0; d < dims; d++) {
        const x = vectors[train[i] + d] - centroids[c * dims + d];
        distance += x * x;
      }
      if (distance < nearest[i]) nearest[i] = distance;
      if (nearest[i] > nearest[farthest]) farthest = i;
    }
    pick = farthest;
  }
  const sums = new Float64Array(k * dims);
  const counts = new Int32Array(k);
  for (let iteration = 0; iteration < CLUSTER_ITERATIONS; iteration++) {
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < trainCount; i++) {
      const c = nearestCentroid(vectors, train[i], centroids, dims, k);
      counts[c]++;
      for (let d = 0; d < dims; d++) sums[c * dims + d] += vectors[train[i] + d];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its centroid
      for (let d = 0; d < dims; d++) centroids[c * dims + d] = sums[c * dims + d] / counts[c];
    }
  }
  return centroids;
}

/** The clusters in a chain: from the largest, each next the nearest centroid not yet taken. */
function centroidChain(centroids: Float64Array, dims: number, k: number, sizes: Int32Array): number[] {
  const taken = new Uint8Array(k);
  let current = 0;
  for (let c = 1; c < k; c++) if (sizes[c] > sizes[current]) current = c;
  const chain = [current];
  taken[current] = 1;
  while (chain.length < k) {
    let next = -1;
    let nextDistance = Infinity;
    for (let c = 0; c < k; c++) {
      if (taken[c]) continue;
      let distance = 0;
      for (let d = 0; d < dims; d++) {
        const x = centroids[c * dims + d] - centroids[current * dims + d];
        distance += x * x;
      }
      if (distance < nextDistance) {
        nextDistance = distance;
        next = c;
      }
    }
    chain.push(next);
    taken[next] = 1;
    current = next;
  }
  return chain;
}
