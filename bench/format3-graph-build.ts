/**
 * Build time of format 3's own prefix graph against hnswlib-wasm's, same vectors, same m and efConstruction,
 * one process, turns alternated (CPU time of this process, so other jobs on a shared machine count less).
 *
 *   npx tsx bench/format3-graph-build.ts [--count 20000] [--dims 64]
 */
import '../src/cli/node-env';
import { parseArgs } from 'node:util';
import { GraphBuilder } from '../src/core/format3/graph';
import { HnswIndex } from '../src/core/index/hnsw';
import { mulberry32 } from '../src/core/random';

const { values } = parseArgs({ options: { count: { type: 'string', default: '20000' }, dims: { type: 'string', default: '64' } } });
const count = Number(values.count);
const dims = Number(values.dims);
// Clustered unit vectors: 200 random centres, each point a centre plus noise.
const random = mulberry32(2);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const centres = Float32Array.from({ length: 200 * dims }, gaussian);
const vectors = new Float32Array(count * dims);
for (let i = 0; i < count; i++) {
  const c = Math.floor(random() * 200);
  let norm = 0;
  for (let d = 0; d < dims; d++) norm += (vectors[i * dims + d] = centres[c * dims + d] + 0.7 * gaussian()) ** 2;
  for (let d = 0; d < dims; d++) vectors[i * dims + d] /= Math.sqrt(norm);
}
const cpu = async (run: () => unknown) => {
  const before = process.cpuUsage();
  await run();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
};
const params = { m: 12, efConstruction: 100 };
const ours: number[] = [];
const hnswlib: number[] = [];
for (let turn = 0; turn < 2; turn++) {
  ours.push(await cpu(() => new GraphBuilder(vectors, dims, { ...params, seed: 1 }).build()));
  hnswlib.push(await cpu(async () => (await HnswIndex.create(dims, count, params)).add(vectors)));
}
process.stdout.write(
  `${count} × ${dims}-d, m ${params.m}, efConstruction ${params.efConstruction}: ours ${ours.map((s) => s.toFixed(1)).join(', ')} s CPU; ` +
    `hnswlib-wasm ${hnswlib.map((s) => s.toFixed(1)).join(', ')} s CPU\n`,
);
