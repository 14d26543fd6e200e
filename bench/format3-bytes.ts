/**
 * For a built format-3 set: what a finer last step of the re-rank would buy, and what the shortlist's re-rank reads
 * at other row-shard sizes (the set's row order kept). Recall@10 against exact float32 search over the rotated
 * embeddings, for the engine's answer, for the shortlist re-ranked from rows coded at 8 bits, 8 + a 4- or 8-bit
 * residual, or float32, and for the engine's top K re-ranked so; then the distinct files a shortlist (or a top K)
 * falls in per rows a file.
 *   npx tsx bench/format3-bytes.ts --set DIR --embeddings DIR [--refine 10,20,30,50] [--shortlist S] [--kmeans 20,40,100]
 * --shortlist: another shortlist than the set's. --kmeans K,…: also count the 256-row shards a shortlist falls in if
 * the rows were ordered by k-means cluster of their prefix instead (on the 10k set: 31–32, as the PCA tree's 32).
 * Typed queries (bench/queries.ts's ten, then the judged text queries of test/eval/queries.json: 55).
 * Measured on the first vector side (8-bit rows only) this chose the refine files and 64-row shards at 10k
 * (docs/BENCHMARKS.md, "The site at scale").
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { modelsDir } from '../src/cli/node-env';
import { createEmbedder } from '../src/core/embed';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { QUERIES } from './queries';
import { openFormat3Dir } from '../src/cli/format3-search';
import { findShardHeaders, readShardHeader, readShardLines, readShardVectors } from '../src/cli/shard-files';
import { fitScales } from '../src/core/format3/quantize';
import { mulberry32 } from '../src/core/random';

const { values } = parseArgs({
  options: {
    set: { type: 'string' },
    embeddings: { type: 'string' },
    refine: { type: 'string', default: '10,20,30,50' },
    shortlist: { type: 'string' },
    kmeans: { type: 'string' },
  },
});
const { vectors: set, papers, manifest } = await openFormat3Dir(values.set!);
const dims = set.dims;
const count = set.count;
const idIndex = new Map<string, number>();
const parts: Float32Array[] = [];
let n = 0;
for (const header of findShardHeaders([values.embeddings!])) {
  const shard = readShardHeader(header);
  for await (const id of readShardLines(shard, shard.header.ids)) idIndex.set(String(id), n++);
  parts.push(readShardVectors(shard));
}
const embeddings = new Float32Array(n * dims);
{
  let at = 0;
  for (const p of parts) embeddings.set(p, at), (at += p.length);
}
// Row → embedding index, and rotated float rows.
const rowId: string[] = [];
for (let from = 0; from < count; from += 4096) {
  const rows = Array.from({ length: Math.min(4096, count - from) }, (_, i) => from + i);
  for (const p of await papers.papers(rows)) rowId.push(p.id);
}
const rotated = new Float32Array(count * dims);
for (let r = 0; r < count; r++) {
  const i = idIndex.get(rowId[r])!;
  rotated.set(set.rotate(embeddings.subarray(i * dims, (i + 1) * dims)), r * dims);
}
const scales = fitScales(rotated, dims);
/** Row values at 8 bits + a residual of `bits` (0: the 8-bit codes; Infinity: float32). */
function coded(bits: number): Float32Array {
  if (bits === Infinity) return rotated;
  const out = new Float32Array(rotated.length);
  const levels = 2 ** bits;
  for (let r = 0; r < count; r++)
    for (let d = 0; d < dims; d++) {
      const x = rotated[r * dims + d];
      const { min, step } = { min: scales.min[d], step: scales.step[d] };
      const c = Math.min(255, Math.max(0, Math.round((x - min) / step)));
      let v = min + c * step;
      if (bits > 0) {
        const e = x - v;
        const k = Math.min(levels - 1, Math.max(0, Math.round(e / (step / levels) + (levels - 1) / 2)));
        v += (k - (levels - 1) / 2) * (step / levels);
      }
      out[r * dims + d] = v;
    }
  return out;
}
const cos = (rows: Float32Array, r: number, q: Float32Array) => {
  let s = 0;
  let nn = 0;
  for (let d = 0; d < dims; d++) {
    const x = rows[r * dims + d];
    s += x * q[d];
    nn += x * x;
  }
  return s / Math.sqrt(nn);
};

const judged = parseJudgedQueries(JSON.parse(readFileSync('test/eval/queries.json', 'utf8')));
const texts = [...QUERIES, ...judged.flatMap((q) => (q.kind === 'similar' ? [] : [q.text]))];
const embedder = await createEmbedder({ modelId: manifest.model.id, dtype: manifest.model.dtype, localModelPath: modelsDir() });
const queries: Float32Array[] = [];
for (const t of texts) queries.push(await embedder.embedQuery(t));
await embedder.dispose();

const S = values.shortlist ? Number(values.shortlist) : manifest.search.shortlist;
const refines = values.refine!.split(',').map(Number);
const variants: [string, Float32Array][] = [
  ['8-bit', coded(0)],
  ['8+4 bit', coded(4)],
  ['8+8 bit', coded(8)],
  ['float32', coded(Infinity)],
];
const shardSizes = [16, 32, 64, 128, 256];
const recall = new Map<string, number[]>();
const touched = new Map<number, number[]>();
const refineTouched = new Map<string, number[]>();
const add = <K>(m: Map<K, number[]>, k: K, q: number, v: number) => {
  if (!m.has(k)) m.set(k, []);
  m.get(k)![q] = v;
};
for (const [q, query] of queries.entries()) {
  const rq = set.rotate(query);
  const exact: { r: number; s: number }[] = [];
  for (let r = 0; r < count; r++) exact.push({ r, s: cos(rotated, r, rq) });
  exact.sort((a, b) => b.s - a.s);
  const truth = new Set(exact.slice(0, 10).map((e) => e.r));
  const shortlist = set.shortlist(rq, S, Math.max(S, values.shortlist ? S : manifest.search.ef));
  for (const R of shardSizes) add(touched, R, q, new Set(shortlist.map((r) => Math.floor(r / R))).size);
  const engineTop = await set.search(rq, Math.max(...refines), { shortlist: S, ef: S, refine: 0 });
  add(recall, 'engine (8-bit re-rank of the shortlist)', q, engineTop.slice(0, 10).filter((h) => truth.has(h.row)).length);
  for (const [name, rows] of variants) {
    const all = shortlist.map((r) => ({ r, s: cos(rows, r, rq) })).sort((a, b) => b.s - a.s);
    add(recall, `shortlist re-ranked at ${name}`, q, all.slice(0, 10).filter((h) => truth.has(h.r)).length);
    for (const K of refines) {
      const top = engineTop.slice(0, K).map((h) => ({ r: h.row, s: cos(rows, h.row, rq) })).sort((a, b) => b.s - a.s);
      add(recall, `engine top ${K} re-ranked at ${name}`, q, top.slice(0, 10).filter((h) => truth.has(h.r)).length);
    }
  }
  for (const K of refines) for (const R of [8, 16, 32, 64]) add(refineTouched, `top ${K}, ${R} rows a file`, q, new Set(engineTop.slice(0, K).map((h) => Math.floor(h.row / R))).size);
}
if (values.kmeans) {
  // Probe: rows ordered by k-means cluster of the normalised 64-d prefix (clusters in order of their first component).
  const p = 64;
  const pre = new Float32Array(count * p);
  for (let r = 0; r < count; r++) {
    let nn = 0;
    for (let d = 0; d < p; d++) nn += rotated[r * dims + d] ** 2;
    for (let d = 0; d < p; d++) pre[r * p + d] = rotated[r * dims + d] / Math.sqrt(nn);
  }
  for (const k of values.kmeans.split(',').map(Number)) {
    const rnd = mulberry32(7);
    const cent = new Float32Array(k * p);
    for (let c = 0; c < k; c++) {
      const at = Math.floor(rnd() * count) * p;
      cent.set(pre.subarray(at, at + p), c * p);
    }
    const assign = new Int32Array(count);
    for (let it = 0; it < 15; it++) {
      for (let r = 0; r < count; r++) {
        let best = -Infinity;
        for (let c = 0; c < k; c++) {
          let s = 0;
          for (let d = 0; d < p; d++) s += pre[r * p + d] * cent[c * p + d];
          if (s > best) (best = s), (assign[r] = c);
        }
      }
      cent.fill(0);
      for (let r = 0; r < count; r++) for (let d = 0; d < p; d++) cent[assign[r] * p + d] += pre[r * p + d];
      for (let c = 0; c < k; c++) {
        let nn = 0;
        for (let d = 0; d < p; d++) nn += cent[c * p + d] ** 2;
        if (nn > 0) for (let d = 0; d < p; d++) cent[c * p + d] /= Math.sqrt(nn);
      }
    }
    const key = Array.from({ length: count }, (_, r) => r).sort((a, b) => assign[a] - assign[b] || a - b);
    const pos = new Int32Array(count);
    key.forEach((r, i) => (pos[r] = i));
    const counts: number[] = [];
    for (const query of queries) {
      const rq = set.rotate(query);
      const sl = set.shortlist(rq, S, Math.max(S, manifest.search.ef));
      counts.push(new Set(sl.map((r) => Math.floor(pos[r] / 256))).size);
    }
    const sizes = new Int32Array(k);
    for (const a of assign) sizes[a]++;
    console.log(`k-means ${k}: shards of 256 rows a shortlist touches, p50 ${[...counts].sort((a, b) => a - b)[counts.length >> 1]} (cluster sizes ${Math.min(...sizes)}–${Math.max(...sizes)})`);
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`${count} papers, shortlist ${S}; ${queries.length} typed queries (first 10: bench/queries.ts)`);
console.log('| ranking | recall@10, the ten | recall@10, all |');
for (const [name, hits] of recall) console.log(`| ${name} | ${(mean(hits.slice(0, 10)) / 10).toFixed(3)} | ${(mean(hits) / 10).toFixed(4)} |`);
console.log('\n| rows a shard | shards the shortlist touches p50 / mean | KB p50 |');
for (const [R, t] of touched) console.log(`| ${R} | ${median(t)} / ${mean(t).toFixed(1)} | ${((median(t) * R * dims) / 1e3).toFixed(0)} |`);
console.log('\n| refine files touched | p50 / mean |');
for (const [k, t] of refineTouched) console.log(`| ${k} | ${median(t)} / ${mean(t).toFixed(1)} |`);
