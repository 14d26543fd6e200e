/**
 * Would product-quantisation codes rank a typed query's neighbours better than format 3's prefix, in memory of the
 * same order? Over a corpus's float32 embeddings (generate-corpus or build-index shards) and the 55 typed queries of
 * bench/scale.ts's recall row: codebooks of 256 centroids per subspace (k-means, 8 rounds, on 50,000 rows), every row
 * coded, each query ranked over all rows by its asymmetric distance (no graph), against exact float32 search.
 *
 *   npx tsx bench/pq-codes.ts --embeddings .cache/scale/1000000/embeddings [--subspaces 32,48]
 *
 * Prints, per code size, where the exact top 10 fall in the codes' order and the recall@10 of re-ranking the codes'
 * best R rows exactly. Holds every row as float32 (1.5 GB at 1M); ~4 minutes a code size at 1M on one core.
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { modelsDir } from '../src/cli/node-env';
import { findShardHeaders, readShardHeader, readShardVectors } from '../src/cli/shard-files';
import { createEmbedder } from '../src/core/embed';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { QUERIES } from './queries';
import { REPO_ROOT } from '../test/e2e/site-server';

const { values } = parseArgs({ options: { embeddings: { type: 'string' }, subspaces: { type: 'string', default: '32,48' } } });
if (!values.embeddings) throw new Error('--embeddings DIR (the corpus embedding shards) is required');
const SUBSPACES = values.subspaces.split(',').map(Number);
const CENTROIDS = 256;
const TRAINING_ROWS = 50_000;
const ROUNDS = 8;
const RERANKED = [50, 100, 200, 400, 1000, 2000];

const texts = [
  ...QUERIES,
  ...parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'eval', 'queries.json'), 'utf8'))).flatMap((q) => (q.kind === 'similar' ? [] : [q.text])),
];
const headers = findShardHeaders([values.embeddings]).map(readShardHeader);
const parts = headers.map((header) => readShardVectors(header));
const dims = headers[0].header.model.dims;
const count = parts.reduce((sum, part) => sum + part.length / dims, 0);
const rows = new Float32Array(count * dims);
parts.reduce((offset, part) => (rows.set(part, offset), offset + part.length), 0);
const { model } = headers[0].header;
const embedder = await createEmbedder({ modelId: model.id, dtype: model.dtype, localModelPath: modelsDir() });
const queries: Float32Array[] = [];
for (const text of texts) queries.push(await embedder.embedQuery(text));
await embedder.dispose();

const exactTop10 = queries.map((query) => {
  const scores = new Float32Array(count);
  for (let r = 0; r < count; r++) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += query[d] * rows[r * dims + d];
    scores[r] = s;
  }
  return bestOf(scores, 10);
});

let seed = 1;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 4294967296;
console.log(`${count} papers, ${queries.length} typed queries; codes ranked by asymmetric distance over every row\n`);
console.log('| subspaces (bytes a paper) | rank of the exact top 10 in the codes\' order: p50 / p90 / p99 / max | recall@10 re-ranking the codes\' best ' + RERANKED.join(' / ') + ' |');
console.log('|---|---|---|');
for (const subspaces of SUBSPACES) {
  const width = dims / subspaces;
  const books = train(subspaces, width);
  const codes = new Uint8Array(count * subspaces);
  for (let r = 0; r < count; r++) for (let m = 0; m < subspaces; m++) codes[r * subspaces + m] = nearest(books, m, width, rows, r * dims + m * width);
  const ranks: number[] = [];
  queries.forEach((query, q) => {
    const table = new Float32Array(subspaces * CENTROIDS);
    for (let m = 0; m < subspaces; m++) {
      for (let k = 0; k < CENTROIDS; k++) {
        let s = 0;
        for (let d = 0; d < width; d++) s += query[m * width + d] * books[(m * CENTROIDS + k) * width + d];
        table[m * CENTROIDS + k] = s;
      }
    }
    const scores = new Float32Array(count);
    for (let r = 0; r < count; r++) {
      let s = 0;
      for (let m = 0; m < subspaces; m++) s += table[m * CENTROIDS + codes[r * subspaces + m]];
      scores[r] = s;
    }
    for (const row of exactTop10[q]) ranks.push(scores.reduce((above, score) => above + (score > scores[row] ? 1 : 0), 0));
  });
  ranks.sort((a, b) => a - b);
  const at = (p: number) => ranks[Math.min(ranks.length - 1, Math.floor(p * ranks.length))];
  const recall = RERANKED.map((r) => (ranks.filter((rank) => rank < r).length / ranks.length).toFixed(3));
  console.log(`| ${subspaces} of ${width} dims (${subspaces}) | ${at(0.5)} / ${at(0.9)} / ${at(0.99)} / ${ranks.at(-1)} | ${recall.join(' / ')} |`);
}

/** Codebooks, subspace by subspace: k-means from TRAINING_ROWS random rows, seeded with the first CENTROIDS of them. */
function train(subspaces: number, width: number): Float32Array {
  const books = new Float32Array(subspaces * CENTROIDS * width);
  const sample = Array.from({ length: TRAINING_ROWS }, () => Math.floor(random() * count));
  for (let m = 0; m < subspaces; m++) {
    for (let k = 0; k < CENTROIDS; k++) for (let d = 0; d < width; d++) books[(m * CENTROIDS + k) * width + d] = rows[sample[k] * dims + m * width + d];
    for (let round = 0; round < ROUNDS; round++) {
      const sums = new Float64Array(CENTROIDS * width);
      const sizes = new Int32Array(CENTROIDS);
      for (const row of sample) {
        const at = row * dims + m * width;
        const k = nearest(books, m, width, rows, at);
        sizes[k]++;
        for (let d = 0; d < width; d++) sums[k * width + d] += rows[at + d];
      }
      for (let k = 0; k < CENTROIDS; k++) if (sizes[k]) for (let d = 0; d < width; d++) books[(m * CENTROIDS + k) * width + d] = sums[k * width + d] / sizes[k];
    }
  }
  return books;
}

function nearest(books: Float32Array, m: number, width: number, vectors: Float32Array, at: number): number {
  let best = 0;
  let bestDistance = Infinity;
  for (let k = 0; k < CENTROIDS; k++) {
    const c = (m * CENTROIDS + k) * width;
    let distance = 0;
    for (let d = 0; d < width; d++) distance += (vectors[at + d] - books[c + d]) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [k, distance];
  }
  return best;
}

function bestOf(scores: Float32Array, k: number): number[] {
  const best: number[] = [];
  for (let r = 0; r < scores.length; r++) {
    if (best.length === k && scores[r] <= scores[best[k - 1]]) continue;
    best.push(r);
    best.sort((a, b) => scores[b] - scores[a]);
    if (best.length > k) best.pop();
  }
  return best;
}
