/**
 * HNSW (hnswlib-wasm) against exact search: build time, then recall@10 and mean query time over an
 * efSearch sweep, on (a) synthetic clustered 384-d unit vectors and (b) the seed corpus vectors when
 * public/artifacts/vectors.f32 exists.
 *
 *   npx tsx bench/hnsw.ts [--n 100000] [--queries 300] [--clusters 1000] [--m 16] [--ef-construction 100]
 *                         [--ef 10,16,32,64,128,256] [--seed-vectors public/artifacts/vectors.f32]
 *
 * efConstruction defaults to 100, not the index's 200: at 100k vectors on 2 shared cores, 200 alone
 * took 4 minutes of CPU and over 6 of wall time to build (and gave the same recall from efSearch 32 up).
 *
 * The machine is shared, so wall-clock times swing with other people's jobs. Times are therefore taken as
 * this process's CPU time (user + system; the searches are single-threaded), with wall time alongside, and
 * each row's speedup divides exact by HNSW time measured back to back. Progress goes to stderr, the
 * markdown tables to stdout.
 */
import { REPO_ROOT } from '../src/cli/node-env';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExactIndex } from '../src/core/index/exact';
import { HnswIndex } from '../src/core/index/hnsw';
import { clusteredUnitVectors } from '../test/helpers/random';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '300' },
    clusters: { type: 'string', default: '1000' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '100' },
    ef: { type: 'string', default: '10,16,32,64,128,256' },
    'seed-vectors': { type: 'string', default: 'public/artifacts/vectors.f32' },
  },
});
const DIMS = 384;
const K = 10;
/** Exact queries re-timed next to each sweep row: enough for a stable mean, few enough to stay quick. */
const EXACT_TIMING_SAMPLE = 30;
const n = Number(values.n);
const queryCount = Number(values.queries);
const clusters = Number(values.clusters);
const params = { m: Number(values.m), efConstruction: Number(values['ef-construction']) };
const efSweep = values.ef.split(',').map(Number);

interface Query {
  vector: Float32Array;
  /** Labels the search must skip: the query's own row in leave-one-out runs. */
  exclude?: Set<number>;
}

interface Timing {
  cpuMs: number;
  wallMs: number;
}

interface SweepRow {
  ef: number;
  recall: number;
  /** Per query. */
  hnsw: Timing;
  exact: Timing;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function timed<T>(run: () => T | Promise<T>): Promise<{ result: T } & Timing> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const result = await run();
  const cpu = process.cpuUsage(cpuStart);
  return { result, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallStart };
}

async function perQuery(queries: Query[], search: (query: Query) => unknown): Promise<Timing> {
  const { cpuMs, wallMs } = await timed(() => queries.forEach(search));
  return { cpuMs: cpuMs / queries.length, wallMs: wallMs / queries.length };
}

/** Three significant digits: 83.4, 141, 3.51, 0.352. */
const roughly = (x: number) => String(Number(x.toPrecision(3)));
const seconds = (t: Timing) => `${(t.cpuMs / 1000).toFixed(1)} s CPU / ${(t.wallMs / 1000).toFixed(1)} s wall`;

async function runDataset(title: string, corpus: Float32Array, queries: Query[]): Promise<string> {
  const rows = corpus.length / DIMS;
  log(`\n${title}: ${rows} vectors, ${queries.length} queries`);
  const exact = new ExactIndex(DIMS);
  exact.add(corpus);
  const truthPass = await timed(() => queries.map((q) => exact.search(q.vector, K, { exclude: q.exclude })));
  const truth = truthPass.result;
  log(`exact: ${(truthPass.cpuMs / queries.length).toFixed(2)} ms CPU per query (ground truth pass)`);
  const neighbourhood = describeNeighbourhood(corpus, truth, queries);

  const build = await timed(async () => {
    const index = await HnswIndex.create(DIMS, rows, params);
    const chunk = 10_000;
    for (let row = 0; row < rows; row += chunk) {
      index.add(corpus.subarray(row * DIMS, Math.min(rows, row + chunk) * DIMS));
      log(`  built ${Math.min(rows, row + chunk)} / ${rows}`);
    }
    return index;
  });
  const hnsw = build.result;
  const persist = await timed(() => hnsw.toBytes());
  const load = await timed(async () => (await HnswIndex.fromBytes(persist.result, DIMS)).dispose());

  const timingSample = queries.slice(0, EXACT_TIMING_SAMPLE);
  const sweep: SweepRow[] = [];
  for (const ef of efSweep) {
    const search = (q: Query) => hnsw.search(q.vector, K, { exclude: q.exclude, efSearch: ef });
    await perQuery(queries.slice(0, 20), search); // warm-up: the first calls at a new ef run slower
    let found = 0;
    queries.forEach((q, i) => {
      const expected = new Set(truth[i].labels);
      found += search(q).labels.filter((label) => expected.has(label)).length;
    });
    const row = {
      ef,
      recall: found / (K * queries.length),
      hnsw: await perQuery(queries, search),
      exact: await perQuery(timingSample, (q) => exact.search(q.vector, K, { exclude: q.exclude })),
    };
    sweep.push(row);
    log(`  ef ${ef}: recall@10 ${row.recall.toFixed(4)}, ${row.hnsw.cpuMs.toFixed(3)} ms vs exact ${row.exact.cpuMs.toFixed(1)} ms (CPU)`);
  }
  hnsw.dispose();

  return [
    `### ${title}`,
    '',
    `${rows} vectors × ${DIMS} dims, ${queries.length} queries, k = ${K}. ${neighbourhood}`,
    `Build (m = ${params.m}, efConstruction = ${params.efConstruction}): **${seconds(build)}** ` +
      `(${(build.cpuMs / rows).toFixed(2)} ms CPU per vector). ` +
      `toBytes ${seconds(persist)}, fromBytes ${seconds(load)}, ${(persist.result.byteLength / 2 ** 20).toFixed(1)} MiB.`,
    '',
    '| efSearch | recall@10 | HNSW ms/query (CPU) | exact ms/query (CPU) | speedup (exact / HNSW) | HNSW ms/query (wall) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...sweep.map(
      (r) =>
        `| ${r.ef} | ${r.recall.toFixed(4)} | ${r.hnsw.cpuMs.toFixed(3)} | ${roughly(r.exact.cpuMs)} | ` +
        `${roughly(r.exact.cpuMs / r.hnsw.cpuMs)}× | ${r.hnsw.wallMs.toFixed(3)} |`,
    ),
    '',
  ].join('\n');
}

/** Shows the neighbours are meaningful: the 1st and 10th true neighbours sit well above an arbitrary row. */
function describeNeighbourhood(corpus: Float32Array, truth: { scores: number[] }[], queries: Query[]): string {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows = corpus.length / DIMS;
  const arbitrary: number[] = [];
  for (const [i, q] of queries.slice(0, 20).entries()) {
    for (let r = i; r < rows; r += Math.ceil(rows / 500)) {
      let score = 0;
      for (let j = 0; j < DIMS; j++) score += corpus[r * DIMS + j] * q.vector[j];
      arbitrary.push(score);
    }
  }
  return (
    `Mean cosine of a query to its 1st / 10th true neighbour: ${mean(truth.map((t) => t.scores[0])).toFixed(3)} / ` +
    `${mean(truth.map((t) => t.scores[K - 1])).toFixed(3)}; to an arbitrary row: ${mean(arbitrary).toFixed(3)}.`
  );
}

/** Floor of one library call: hnswlib-wasm copies the query into wasm one element at a time. */
async function libraryCallFloor(): Promise<Timing> {
  const tiny = await HnswIndex.create(DIMS, 2);
  tiny.add(clusteredUnitVectors(2, DIMS, 1, 3));
  const query = { vector: clusteredUnitVectors(1, DIMS, 1, 4) };
  await perQuery(Array(200).fill(query), (q) => tiny.search(q.vector, 1));
  const floor = await perQuery(Array(2000).fill(query), (q) => tiny.search(q.vector, 1));
  tiny.dispose();
  return floor;
}

const sections: string[] = [];

// (a) Synthetic: one draw of n + queries points, split, so the queries share the corpus's clusters.
const synthetic = clusteredUnitVectors(n + queryCount, DIMS, clusters, 1);
const syntheticQueries = Array.from({ length: queryCount }, (_, i) => ({ vector: synthetic.subarray((n + i) * DIMS, (n + i + 1) * DIMS) }));
sections.push(await runDataset(`Synthetic: ${clusters} clusters`, synthetic.subarray(0, n * DIMS), syntheticQueries));

// (b) The seed corpus: every paper asks for its 10 most similar others (itself excluded).
const seedVectorsPath = resolve(REPO_ROOT, values['seed-vectors']);
const seedFile = existsSync(seedVectorsPath) ? readFileSync(seedVectorsPath) : undefined;
if (seedFile !== undefined && seedFile.byteLength % (DIMS * 4) === 0) {
  const seed = new Float32Array(seedFile.buffer.slice(seedFile.byteOffset, seedFile.byteOffset + seedFile.byteLength));
  const seedQueries = Array.from({ length: seed.length / DIMS }, (_, row) => ({
    vector: seed.subarray(row * DIMS, (row + 1) * DIMS),
    exclude: new Set([row]),
  }));
  sections.push(await runDataset('Seed corpus (similar papers, itself excluded)', seed, seedQueries));
} else {
  const why = seedFile === undefined ? 'does not exist (npm run build-index makes it)' : `is not a whole number of ${DIMS}-d float32 rows`;
  log(`\nskipped the seed corpus: ${seedVectorsPath} ${why}`);
  sections.push(`### Seed corpus\n\nSkipped: ${values['seed-vectors']} ${why}.\n`);
}

const floor = await libraryCallFloor();
sections.push(`Library call floor (one search of a 2-vector index, ${DIMS} dims): ${floor.cpuMs.toFixed(3)} ms CPU.\n`);
process.stdout.write(`${sections.join('\n')}\n`);
