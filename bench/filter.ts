/**
 * A filter inside semantic search: scan the papers that pass (exact) or walk the HNSW graph with the
 * filter applied in the walk, at efSearch 64 and at efSearch raised to 64 / share (capped at 1000). Recall@10 is against an exact search of the filtered subset; times are per query,
 * as ratios to an unfiltered HNSW query at efSearch 64 timed in the same run.
 *
 *   npx tsx bench/filter.ts [--n 20000] [--queries 100] [--shares 0.005,0.01,0.02,0.05,0.1,0.2,0.5]
 *
 * CPU time of this process (single-threaded searches); the machine is shared. Tables go to stdout.
 */
import '../src/cli/node-env';
import { parseArgs } from 'node:util';
import { ExactIndex, scanRows } from '../src/core/index/exact';
import { HnswIndex } from '../src/core/index/hnsw';
import { clusteredUnitVectors, mulberry32 } from '../test/helpers/random';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20000' },
    queries: { type: 'string', default: '100' },
    shares: { type: 'string', default: '0.005,0.01,0.02,0.05,0.1,0.2,0.5' },
  },
});
const DIMS = 384;
const K = 10;
const BASE_EF = 64;
const MAX_EF = 1000;
const n = Number(values.n);
const queryCount = Number(values.queries);
const shares = values.shares.split(',').map(Number);

const all = clusteredUnitVectors(n + queryCount, DIMS, Math.max(10, Math.round(n / 100)), 7);
const vectors = all.subarray(0, n * DIMS);
const queries = Array.from({ length: queryCount }, (_, i) => all.slice((n + i) * DIMS, (n + i + 1) * DIMS));

function cpuMs(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

process.stderr.write(`Building HNSW over ${n} × ${DIMS}…\n`);
const graph = await HnswIndex.create(DIMS, n, { m: 16, efConstruction: 200, efSearch: BASE_EF });
graph.add(vectors);
const exact = new ExactIndex(DIMS);
exact.add(vectors);

const baseline = cpuMs(() => queries.forEach((q) => graph.search(q, K, { efSearch: BASE_EF }))) / queryCount;

const rows: string[] = [];
for (const share of shares) {
  const rand = mulberry32(Math.round(share * 1e6));
  const mask = new Uint8Array(n);
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (rand() < share) (mask[i] = 1), kept.push(i);
  const keep = (label: number) => mask[label] === 1;
  const keptRows = Int32Array.from(kept);
  const truth = queries.map((q) => new Set(exact.search(q, K, { keep }).labels));
  const recall = (found: number[][]) => found.reduce((sum, labels, i) => sum + labels.filter((l) => truth[i].has(l)).length, 0) / (queryCount * K);

  let scanned: number[][] = [];
  const scanMs = cpuMs(() => (scanned = queries.map((q) => scanRows(vectors, DIMS, keptRows, q, K).labels))) / queryCount;
  let plain: number[][] = [];
  const plainMs = cpuMs(() => (plain = queries.map((q) => graph.search(q, K, { efSearch: BASE_EF, keep }).labels))) / queryCount;
  const raisedEf = Math.min(MAX_EF, Math.ceil(BASE_EF / share));
  let raised: number[][] = [];
  const raisedMs = cpuMs(() => (raised = queries.map((q) => graph.search(q, K, { efSearch: raisedEf, keep }).labels))) / queryCount;
  const fmt = (ms: number) => `${ms.toFixed(2)} ms (${(ms / baseline).toFixed(1)}×)`;
  rows.push(
    `| ${share} | ${kept.length} | ${recall(scanned).toFixed(3)}, ${fmt(scanMs)} | ${recall(plain).toFixed(3)}, ${fmt(plainMs)} | ${raisedEf} | ${recall(raised).toFixed(3)}, ${fmt(raisedMs)} |`,
  );
  process.stderr.write(`${rows.at(-1)}\n`);
}
graph.dispose();

process.stdout.write(`Unfiltered HNSW query (efSearch ${BASE_EF}): ${baseline.toFixed(3)} ms CPU; n = ${n}, ${queryCount} queries, k = ${K}\n\n`);
process.stdout.write('| share kept | papers kept | scan: recall, time | HNSW ef 64 + filter: recall, time | raised ef | HNSW raised ef + filter: recall, time |\n');
process.stdout.write('|---|---|---|---|---|---|\n');
process.stdout.write(`${rows.join('\n')}\n`);
