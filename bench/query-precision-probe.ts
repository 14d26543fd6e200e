/**
 * npx tsx bench/query-precision-probe.ts
 *
 * Probe for issue #15 item 2, third round: does the embedding model's precision matter? The shipped
 * site embeds the query with bge-small q8 (int8 weights) and its corpus vectors were built with q8
 * too (public/artifacts/manifest.json: "dtype": "q8"). Here the 60 judged queries are also embedded
 * with the fp32 graph, against the shipped q8 corpus vectors, and the corpus is embedded with fp32 as
 * well (openEngine builds it once into .cache/artifacts/bge-small-en-v1.5-fp32, embeddings cached in
 * .cache/embeddings). Each pairing is ranked by the shipped pipeline (coverage z-score + PRF for typed
 * queries, the engine's smoothed Similar), hybrid and semantic alone; the first row of each table is
 * `npm run eval`'s default. Also: the two graphs' sizes and their query time in this process (a ratio;
 * the machine is shared).
 */
import '../src/cli/node-env';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { embedQueries } from '../src/cli/embed-queries';
import { modelsDir, REPO_ROOT } from '../src/cli/node-env';
import { openEngine } from '../src/cli/open-engine';
import type { JudgedQuery } from '../src/core/eval/queries';
import { rotateVector } from '../src/core/matryoshka/rotation';
import type { SearchEngine } from '../src/core/search';
import { normaliseInPlace } from '../src/core/vectors';
import { exactSemantic, shippedIds, loadJudgedQueries, printProbeTables } from './probe-pipeline';

const log = (l: string) => process.stderr.write(`${l}\n`);
const queries = loadJudgedQueries();

const q8 = await openEngine({ log });
const fp32 = await openEngine({ dtype: 'fp32', log });
// Control: the shipped vectors were embedded on 22 November with an older ONNX runtime; the fp32 corpus is embedded
// today. The q8 corpus re-embedded today (into .cache/artifacts/bge-small-en-v1.5-q8-today) separates the two.
const q8Today = await openEngine({ dir: join(REPO_ROOT, '.cache', 'artifacts', 'bge-small-en-v1.5-q8-today'), log });
await q8Today.embedder.dispose();
const q8Queries = await embedQueries(q8.embedder, queries);
const fp32Queries = await embedQueries(fp32.embedder, queries);
if ([fp32, q8Today].some((o) => o.engine.papers.some((p, i) => p.id !== q8.engine.papers[i].id))) throw new Error('the two artifact sets order papers differently');

// Query time, the two graphs in the same process, alternating (a ratio, not an absolute time).
const texts = queries.filter((q) => q.kind !== 'similar').map((q) => (q as JudgedQuery & { text: string }).text);
const times = { q8: [] as number[], fp32: [] as number[] };
for (let round = 0; round < 3; round++) {
  for (const t of texts) {
    for (const [name, emb] of [['q8', q8.embedder], ['fp32', fp32.embedder]] as const) {
      const t0 = performance.now();
      await emb.embedQuery(t);
      times[name].push(performance.now() - t0);
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
await q8.embedder.dispose();
await fp32.embedder.dispose();
const bytes = (f: string) => statSync(join(modelsDir(), 'bge-small-en-v1.5', 'onnx', f)).size;

// Cosine between a query's q8 and fp32 embeddings (raw model space).
const agree = [...q8Queries.keys()].map((id) => {
  const a = q8Queries.get(id) as Float32Array;
  const b = fp32Queries.get(id) as Float32Array;
  return a.reduce((s, x, i) => s + x * b[i], 0);
});

type Side = { engine: SearchEngine; rotation: Float32Array };
const sides = {
  q8: { engine: q8.engine, rotation: q8.artifacts.rotation },
  q8Today: { engine: q8Today.engine, rotation: q8Today.artifacts.rotation },
  fp32: { engine: fp32.engine, rotation: fp32.artifacts.rotation },
};
const rotated = (side: Side, v: Float32Array) => {
  const r = rotateVector(side.rotation, side.engine.dims, v);
  normaliseInPlace(r);
  return r;
};
const pairings: { name: string; corpus: Side; query: Map<string, Float32Array> }[] = [
  { name: 'q8 corpus, q8 query (shipped)', corpus: sides.q8, query: q8Queries },
  { name: 'q8 corpus, fp32 query', corpus: sides.q8, query: fp32Queries },
  { name: 'q8 corpus re-embedded today, q8 query (control)', corpus: sides.q8Today, query: q8Queries },
  { name: 'fp32 corpus, q8 query', corpus: sides.fp32, query: q8Queries },
  { name: 'fp32 corpus, fp32 query', corpus: sides.fp32, query: fp32Queries },
];
const hybrid = (p: (typeof pairings)[number]) => (q: JudgedQuery) =>
  shippedIds(p.corpus.engine, q8.artifacts.lexical, q, q.kind === 'similar' ? undefined : rotated(p.corpus, p.query.get(q.id) as Float32Array));
const semantic = (p: (typeof pairings)[number]) => (q: JudgedQuery) => {
  const e = p.corpus.engine;
  const source = q.kind === 'similar' ? e.rowOf(q.source) : -1;
  const qv = source >= 0 ? e.vectors.slice(source * e.dims, (source + 1) * e.dims) : rotated(p.corpus, p.query.get(q.id) as Float32Array);
  return exactSemantic(e, qv, source).map((s) => e.papers[s.row].id);
};

console.log(`bge-small-en-v1.5 graphs: q8 ${(bytes('model_quantized.onnx') / 1e6).toFixed(1)} MB, fp32 ${(bytes('model.onnx') / 1e6).toFixed(1)} MB.`);
console.log(`Query embedding in this process (45 typed queries × 3, alternating, onnxruntime-node): median q8 ${median(times.q8).toFixed(1)} ms, fp32 ${median(times.fp32).toFixed(1)} ms (fp32 / q8 = ${(median(times.fp32) / median(times.q8)).toFixed(2)}).`);
console.log(`Cosine of each query's q8 and fp32 embedding: mean ${(agree.reduce((a, b) => a + b, 0) / agree.length).toFixed(4)}, min ${Math.min(...agree).toFixed(4)}.\n`);
printProbeTables(
  queries,
  pairings.map((p) => ({ name: p.name, rank: hybrid(p) })),
  pairings.map((p) => ({ name: p.name, rank: semantic(p) })),
  'Paired over the 60 queries, against shipped:',
);
