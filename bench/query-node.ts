/**
 * One-query embedding latency in Node (onnxruntime-node, CPU), for comparison with the browser's WASM figures
 * in docs/BENCHMARKS.md. The dtypes take turns query by query so a busy machine slows both alike.
 *
 *   npx tsx bench/query-node.ts [--rounds 4]
 */
import '../src/cli/node-env';
import { parseArgs } from 'node:util';
import { modelsDir } from '../src/cli/node-env';
import { createEmbedder } from '../src/core/embed';
import { getModel, type Dtype } from '../src/core/models';
import { QUERIES } from './queries';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '4' }, threads: { type: 'string' } } });
const rounds = Number(values.rounds);
const numThreads = values.threads ? Number(values.threads) : undefined;
const model = getModel('bge-small-en-v1.5');
const dtypes = Object.keys(model.weights) as Dtype[];
const embedders = await Promise.all(
  dtypes.map((dtype) => createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir(), numThreads })),
);
for (const e of embedders) for (const q of QUERIES) await e.embedQuery(q); // warm-up

const times = embedders.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  for (const q of QUERIES) {
    for (const [i, e] of embedders.entries()) {
      const started = performance.now();
      await e.embedQuery(q);
      times[i].push(performance.now() - started);
    }
  }
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
console.log(`npx tsx bench/query-node.ts ${process.argv.slice(2).join(' ')}`.trim());
console.log(`${QUERIES.length} queries × ${rounds} rounds, ${model.id}, onnxruntime-node CPU, threads ${numThreads ?? 'default'}\n`);
console.log('| dtype | query embed p50 | p95 |\n|---|---|---|');
dtypes.forEach((dtype, i) => console.log(`| ${dtype} | ${pct(times[i], 0.5).toFixed(1)} ms | ${pct(times[i], 0.95).toFixed(1)} ms |`));
for (const e of embedders) await e.dispose();
