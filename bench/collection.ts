/**
 * The user's collection: what adding papers to a live engine costs (SearchEngine.addPapers: rotate, insert
 * into every HNSW graph, index the text) against rebuilding the graphs and the lexical index from scratch
 * over corpus + additions, and how long projectMap takes for the map.
 *
 *   npx tsx bench/collection.ts [--sizes 1000,10000] [--embed-sample 8] [--map-sizes 1000,10000]
 *
 * The index side uses synthetic unit vectors (clusteredUnitVectors, seed 1) and synthetic text (words of
 * the seed abstracts, shuffled), so no embedding runs there. Embedding is timed apart on a sample of seed
 * papers with the default model, and "with embedding" combines the two rates (embedding dominates).
 * Times are this process's CPU time (user + system), wall time alongside: the machine is shared.
 * Progress goes to stderr, the markdown tables to stdout.
 */
import { SITE_ARTIFACTS_DIR, modelsDir } from '../src/cli/node-env';
import { parseArgs } from 'node:util';
import { readArtifactsDir } from '../src/cli/open-engine';
import { DEFAULT_HNSW } from '../src/core/build';
import { createEmbedder } from '../src/core/embed';
import { HnswIndex } from '../src/core/index/hnsw';
import { buildLexicalIndex } from '../src/core/lexical';
import { projectMap } from '../src/core/map/project-map';
import { DEFAULT_MODEL_ID, getModel, paperText } from '../src/core/models';
import { SearchEngine } from '../src/core/search';
import type { Paper } from '../src/core/types';
import { prefixRows } from '../src/core/vectors';
import { clusteredUnitVectors, mulberry32 } from '../test/helpers/random';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000' },
    'embed-sample': { type: 'string', default: '8' },
    'map-sizes': { type: 'string', default: '1000,10000' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const mapSizes = values['map-sizes'].split(',').map(Number);
const embedSample = Number(values['embed-sample']);
const model = getModel(DEFAULT_MODEL_ID);
const expected = { model, dtype: model.defaultDtype };
const log = (message: string) => process.stderr.write(`${message}\n`);
const roughly = (x: number) => String(Number(x.toPrecision(3)));

interface Timing {
  cpuS: number;
  wallS: number;
}

async function timed<T>(run: () => T | Promise<T>): Promise<{ result: T } & Timing> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const result = await run();
  const cpu = process.cpuUsage(cpuStart);
  return { result, cpuS: (cpu.user + cpu.system) / 1e6, wallS: (performance.now() - wallStart) / 1000 };
}

/** Papers with seed-corpus words in random order: realistic vocabulary and lengths for the lexical index. */
function syntheticPapers(n: number, corpus: Paper[]): Paper[] {
  const rand = mulberry32(2);
  const words = corpus.flatMap((p) => p.abstract.split(/\s+/));
  const pick = (count: number) => Array.from({ length: count }, () => words[Math.floor(rand() * words.length)]).join(' ');
  return Array.from({ length: n }, (_, i) => {
    const title = `Synthetic paper ${i} ${pick(8)}`;
    return { id: `synthetic-${i}`, title, abstract: pick(180), authors: null, date: null, sources: [`bench:${i}`], imported: true };
  });
}

const dims = model.dims;
/** Papers added to a collection that already holds n: the everyday import, set against a rebuild. */
const BATCH = 100;
const insertRows: string[] = [];
let embedPerS = NaN;
let seedCount = 0;

{
  log(`embedding ${embedSample} seed papers with ${model.id} ${model.defaultDtype}`);
  const embedder = await createEmbedder({ modelId: model.id, dtype: model.defaultDtype, localModelPath: modelsDir() });
  const seedPapers = (await readArtifactsDir(SITE_ARTIFACTS_DIR, expected)).papers;
  seedCount = seedPapers.length;
  const sample = seedPapers.slice(0, embedSample).map(paperText);
  await embedder.embedDocuments(sample.slice(0, 1)); // warm-up: first call pays for graph setup
  const run = await timed(() => embedder.embedDocuments(sample));
  embedPerS = sample.length / run.wallS;
  log(`  ${roughly(embedPerS)} papers/s wall`);
  await embedder.dispose();
}

for (const n of sizes) {
  const engine = await SearchEngine.open(await readArtifactsDir(SITE_ARTIFACTS_DIR, expected));
  const papers = syntheticPapers(n + BATCH, engine.papers);
  const raw = clusteredUnitVectors(n + BATCH, dims, Math.max(10, n / 100), 1);
  log(`n=${n}: bulk addPapers`);
  const bulk = await timed(() => engine.addPapers(papers.slice(0, n), raw.subarray(0, n * dims)));
  log(`n=${n}: ${BATCH} more with addPapers`);
  const batch = await timed(() => engine.addPapers(papers.slice(n), raw.subarray(n * dims)));
  if (bulk.result.added.length + batch.result.added.length !== n + BATCH) throw new Error('papers were not all added');

  log(`n=${n}: full rebuild of graphs + lexical over ${engine.papers.length} papers`);
  const all = engine.papers;
  const vectors = engine.vectors;
  const rebuild = await timed(async () => {
    for (const d of engine.manifest.indexDims) {
      const graph = await HnswIndex.create(d, all.length, DEFAULT_HNSW);
      graph.add(d === dims ? vectors : prefixRows(vectors, dims, d));
      graph.dispose();
    }
    buildLexicalIndex(all);
  });
  const batchPerS = BATCH / batch.cpuS;
  insertRows.push(
    `| ${n.toLocaleString('en')} | ${roughly(bulk.cpuS)} s / ${roughly(bulk.wallS)} s (${roughly(n / bulk.cpuS)}/s) | ${roughly((batch.cpuS / BATCH) * 1000)} ms (${roughly(batchPerS)}/s) | ${roughly(1 / (1 / batchPerS + 1 / embedPerS))}/s | ${roughly(rebuild.cpuS)} s / ${roughly(rebuild.wallS)} s | ${roughly(rebuild.cpuS / batch.cpuS)}× |`,
  );
  log(insertRows.at(-1)!);
}

const mapRows: string[] = [];
for (const n of mapSizes) {
  const vectors = clusteredUnitVectors(n, dims, Math.max(10, n / 100), 3);
  for (const prefixDims of [64, dims]) {
    log(`map n=${n} prefix ${prefixDims}`);
    const run = await timed(() => projectMap(vectors, dims, { seed: 1, prefixDims }));
    mapRows.push(`| ${n.toLocaleString('en')} | ${prefixDims} | umap-js default | ${roughly(run.cpuS)} s | ${roughly(run.wallS)} s |`);
    log(mapRows.at(-1)!);
  }
}

console.log(`Embedding (${model.id} ${model.defaultDtype}, ${embedSample} seed papers, one at a time): ${roughly(embedPerS)} papers/s wall.

| imported papers n (+ ${seedCount} seed) | addPapers of all n: CPU / wall (papers/s CPU) | ${BATCH} more: CPU per paper (papers/s) | ${BATCH} more with embedding | full rebuild at n + ${BATCH}: CPU / wall (graphs + lexical) | rebuild / adding ${BATCH} (CPU) |
|---:|---:|---:|---:|---:|---:|
${insertRows.join('\n')}

| points | prefix dims | epochs | projectMap CPU | wall |
|---:|---:|---|---:|---:|
${mapRows.join('\n')}`);
