/**
 * How real do the synthetic corpora's vectors look? Real bge-small embeddings (the seed set, and artifact sets
 * built from real corpora, e.g. the 2,000 arXiv records) beside corpora from the generator
 * (src/core/synthetic/generate.ts, over the seed set) of the same sizes, one row per set and size:
 *
 * - energy in the first 64 PCA dims: the share of the set's (uncentred) second moment that the first 64 axes of
 *   its own rotation carry (the rotation format 3 fits; its 64-d prefix is what the graph shortlists by);
 * - for each paper's 10 nearest neighbours (exact cosine), the share of the difference vectors' energy inside
 *   the first 64 (and 128) rotated dims: where papers that are near each other differ. Where the prefix holds
 *   little of it, the prefix cannot order near neighbours and the re-rank must find them in a long shortlist;
 * - the cosine to the 1st and the 10th nearest neighbour (how tight the neighbourhoods are);
 * - format 3's recall@10 (the pipeline of src/core/format3: 64-d 8-bit prefix graph, shortlist, 8-bit
 *   full-dim re-rank) against exact float32 search, for held-out papers of the set as queries, per shortlist.
 *
 *   npx tsx bench/generator-realism.ts [--real .cache/arxiv2k] [--sizes 364,1000,2000] [--queries 200] [--shortlists 20,50,100,400]
 *
 * --real: artifact folders (format 2, comma-separated) of real corpora, measured on their first N papers for
 * each size N they have (`npm run build-index -- --corpus /work/shared/corpora/arxiv-oai-sample.jsonl --out
 * .cache/arxiv2k` makes the default); the seed set is always measured whole. --sizes: the synthetic sets
 * (seed 1) and the real subsets; --queries: papers held out of each set as queries (at most a fifth of it).
 * Noise shapes: isotropic (the generator's first noise), shaped by the neighbour differences alone, and the
 * default (DEFAULT_ISOTROPIC_SHARE of it even, the rest shaped).
 */
import '../src/cli/node-env';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readArtifactsDir } from '../src/cli/open-engine';
import { SITE_ARTIFACTS_DIR } from '../src/cli/node-env';
import { getModel, type Dtype } from '../src/core/models';
import { DEFAULT_ISOTROPIC_SHARE, generatePapers, type SyntheticOptions } from '../src/core/synthetic/generate';
import { fitRotation, rotateRows, unrotateRows } from '../src/core/matryoshka/rotation';
import { ScoreHeap } from '../src/core/format3/heap';
import { mulberry32 } from '../src/core/random';
import { openFormat3InMemory } from './format3-memory';

const { values } = parseArgs({
  options: {
    real: { type: 'string', default: '.cache/arxiv2k' },
    sizes: { type: 'string', default: '364,1000,2000' },
    queries: { type: 'string', default: '200' },
    shortlists: { type: 'string', default: '20,50,100,400' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const QUERY_COUNT = Number(values.queries);
const SHORTLISTS = values.shortlists.split(',').map(Number);
const PREFIX = 64;
const NEIGHBOURS = 10;

async function readSet(dir: string): Promise<{ vectors: Float32Array; dims: number; count: number }> {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { model: { id: string; dtype: Dtype } };
  const model = getModel(manifest.model.id);
  const artifacts = await readArtifactsDir(dir, { model, dtype: manifest.model.dtype });
  const dims = artifacts.manifest.model.dims;
  return { vectors: unrotateRows(artifacts.rotation, dims, artifacts.vectors), dims, count: artifacts.papers.length };
}

const seedArtifacts = await readArtifactsDir(SITE_ARTIFACTS_DIR, { model: getModel('bge-small-en-v1.5'), dtype: getModel('bge-small-en-v1.5').defaultDtype });
const dims = seedArtifacts.manifest.model.dims;
const seedRaw = unrotateRows(seedArtifacts.rotation, dims, seedArtifacts.vectors);

function synthetic(count: number, options: Omit<SyntheticOptions, 'seed'>): Float32Array {
  const out = new Float32Array(count * dims);
  let n = 0;
  for (const p of generatePapers(seedArtifacts.papers, seedRaw, dims, { seed: 1, ...options })) {
    if (n === count) break;
    out.set(p.vector, n++ * dims);
  }
  return out;
}

/** Each row's k nearest other rows by dot product (unit rows), best first. */
function nearest(vectors: Float32Array, k: number): { ids: Int32Array; scores: Float32Array } {
  const n = vectors.length / dims;
  const ids = new Int32Array(n * k);
  const scores = new Float32Array(n * k);
  const heap = new ScoreHeap(false);
  for (let i = 0; i < n; i++) {
    heap.clear();
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let d = 0; d < dims; d++) s += vectors[i * dims + d] * vectors[j * dims + d];
      if (heap.size < k) heap.push(j, s);
      else if (s > heap.topScore()) {
        heap.pop();
        heap.push(j, s);
      }
    }
    for (let r = k - 1; r >= 0; r--) {
      ids[i * k + r] = heap.topId();
      scores[i * k + r] = heap.topScore();
      heap.pop();
    }
  }
  return { ids, scores };
}

interface Figures {
  energy64: number;
  diff64: number;
  diff128: number;
  cos1: number;
  cos10: number;
  recall: number[];
}

async function measure(vectors: Float32Array): Promise<Figures> {
  const n = vectors.length / dims;
  const rotation = fitRotation(vectors, dims);
  let total = 0;
  for (const e of rotation.energy) total += e;
  const energy64 = rotation.energy.subarray(0, PREFIX).reduce((s, e) => s + e, 0) / total;
  const rotated = rotateRows(rotation.matrix, dims, vectors);
  const { ids, scores } = nearest(vectors, NEIGHBOURS);
  let inside64 = 0;
  let inside128 = 0;
  let all = 0;
  let cos1 = 0;
  let cos10 = 0;
  for (let i = 0; i < n; i++) {
    cos1 += scores[i * NEIGHBOURS];
    cos10 += scores[i * NEIGHBOURS + NEIGHBOURS - 1];
    for (let r = 0; r < NEIGHBOURS; r++) {
      const j = ids[i * NEIGHBOURS + r];
      for (let d = 0; d < dims; d++) {
        const x = rotated[i * dims + d] - rotated[j * dims + d];
        all += x * x;
        if (d < PREFIX) inside64 += x * x;
        if (d < 2 * PREFIX) inside128 += x * x;
      }
    }
  }

  // Held-out queries: a seeded pick of rows; the rest is the set, with its own rotation, as a build would fit it.
  const random = mulberry32(3);
  const queryCount = Math.min(QUERY_COUNT, Math.floor(n / 5));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const queries = order.slice(0, queryCount);
  const corpusRows = order.slice(queryCount).sort((a, b) => a - b);
  const corpus = new Float32Array(corpusRows.length * dims);
  corpusRows.forEach((r, i) => corpus.set(vectors.subarray(r * dims, (r + 1) * dims), i * dims));
  const corpusRotation = fitRotation(corpus, dims).matrix;
  const { set, rowOf } = await openFormat3InMemory(rotateRows(corpusRotation, dims, corpus), dims, corpusRotation);
  const heap = new ScoreHeap(false);
  const recall = SHORTLISTS.map(() => 0);
  for (const q of queries) {
    const query = vectors.subarray(q * dims, (q + 1) * dims);
    heap.clear();
    for (let i = 0; i < corpusRows.length; i++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += query[d] * corpus[i * dims + d];
      if (heap.size < 10) heap.push(i, s);
      else if (s > heap.topScore()) {
        heap.pop();
        heap.push(i, s);
      }
    }
    const want = new Set<number>();
    while (heap.size > 0) {
      want.add(rowOf[heap.topId()]);
      heap.pop();
    }
    const rotatedQuery = set.rotate(query);
    for (const [k, shortlist] of SHORTLISTS.entries()) {
      const found = await set.search(rotatedQuery, 10, { shortlist, ef: shortlist });
      recall[k] += found.filter((h) => want.has(h.row)).length / (10 * queries.length);
    }
  }
  return { energy64, diff64: inside64 / all, diff128: inside128 / all, cos1: cos1 / n, cos10: cos10 / n, recall };
}

const realSets = await Promise.all(
  values.real
    .split(',')
    .filter((dir) => dir && existsSync(join(dir, 'manifest.json')))
    .map(async (dir) => ({ dir, ...(await readSet(dir)) })),
);
const sets: { label: string; vectors: () => Float32Array }[] = [
  { label: `real: the seed set (${seedArtifacts.papers.length} ML papers)`, vectors: () => seedRaw },
  ...realSets.flatMap(({ dir, vectors, count }) =>
    SIZES.filter((n) => n <= count).map((n) => ({ label: `real: ${dir}, first ${n}`, vectors: () => vectors.subarray(0, n * dims) })),
  ),
  ...SIZES.flatMap((n) => [
    { label: `synthetic ${n}, isotropic noise (the old default)`, vectors: () => synthetic(n, { noiseShape: 'isotropic' }) },
    { label: `synthetic ${n}, noise shaped by neighbour differences only`, vectors: () => synthetic(n, { noiseShape: 'neighbours', isotropicShare: 0 }) },
    { label: `synthetic ${n}, the new default (${DEFAULT_ISOTROPIC_SHARE} even, the rest shaped)`, vectors: () => synthetic(n, {}) },
  ]),
];

const load = loadavg()[0];
const rows: string[] = [];
for (const { label, vectors } of sets) {
  const v = vectors();
  const f = await measure(v);
  const row = `| ${label} | ${v.length / dims} | ${f.energy64.toFixed(3)} | ${f.diff64.toFixed(3)} / ${f.diff128.toFixed(3)} | ${f.cos1.toFixed(3)} / ${f.cos10.toFixed(3)} | ${f.recall.map((r) => r.toFixed(3)).join(' / ')} |`;
  rows.push(row);
  process.stderr.write(`${row}\n`);
}
process.stdout.write(
  [
    '```',
    ['npx tsx bench/generator-realism.ts', ...process.argv.slice(2)].join(' '),
    '```',
    `Load average ${load.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end. Recall: ${QUERY_COUNT} held-out papers of each set (at most a fifth of it) as queries; 10 nearest neighbours for the difference energy.`,
    '',
    `| set | papers | energy in the first ${PREFIX} PCA dims | 10-NN difference energy in the first ${PREFIX} / ${2 * PREFIX} dims | cosine to the 1st / 10th neighbour | format-3 recall@10, shortlist ${SHORTLISTS.join(' / ')} |`,
    '|---|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n') + '\n',
);
