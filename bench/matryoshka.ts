/**
 * Matryoshka search on the seed corpus: per prefix length, top-10 overlap with full-dim exact search for
 * plain prefixes (unrotated model vectors) and PCA-rotated prefixes, and adaptive retrieval (rotated
 * HNSW shortlist re-ranked at full dims): overlap, vector comparisons and time per query.
 *
 *   npx tsx bench/matryoshka.ts [--queries test/eval/queries.json] [--shortlist 50]
 *
 * Queries: every text query of the judged set (embedded once) plus every paper as a "similar" query.
 */
import '../src/cli/node-env';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ExactIndex } from '../src/core/index/exact';
import { openEngine } from '../src/cli/open-engine';
import { prefixRows, prefixVector, row } from '../src/core/vectors';

const { values } = parseArgs({ options: { queries: { type: 'string' }, shortlist: { type: 'string' } } });
const shortlist = Number(values.shortlist ?? 50);
const { engine, embedder, artifacts } = await openEngine({ log: () => {} });
const D = engine.dims;
const N = engine.papers.length;

// Plain vectors: undo the rotation (Rᵀ·v), which gives back the model's own coordinates.
const R = artifacts.rotation;
const plain = new Float32Array(N * D);
for (let r = 0; r < N; r++) {
  for (let j = 0; j < D; j++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += R[i * D + j] * engine.vectors[r * D + i];
    plain[r * D + j] = s;
  }
}

interface Query { rotated: Float32Array; plain: Float32Array; exclude: Set<number> }
const queries: Query[] = [];
const queryFile = values.queries ?? 'test/eval/queries.json';
let textQueries = 0;
if (existsSync(queryFile)) {
  const parsed = JSON.parse(readFileSync(queryFile, 'utf8')) as { queries?: { text?: string }[] } | { text?: string }[];
  const list = Array.isArray(parsed) ? parsed : (parsed.queries ?? []);
  for (const q of list) {
    if (!q.text) continue;
    const e = await embedder.embedQuery(q.text);
    let rotated: Float32Array = new Float32Array(D);
    for (let i = 0; i < D; i++) { let s = 0; for (let j = 0; j < D; j++) s += R[i * D + j] * e[j]; rotated[i] = s; }
    rotated = prefixVector(rotated, D);
    queries.push({ rotated, plain: e, exclude: new Set() });
    textQueries++;
  }
}
for (let r = 0; r < N; r++) {
  queries.push({ rotated: row(engine.vectors, D, r).slice(), plain: row(plain, D, r).slice(), exclude: new Set([r]) });
}
await embedder.dispose();

const K = 10;
const fullExact = new ExactIndex(D);
fullExact.add(engine.vectors);
const truth = queries.map((q) => new Set(fullExact.search(q.rotated, K, { exclude: q.exclude }).labels));
const overlap = (labels: number[], i: number) => labels.filter((l) => truth[i].has(l)).length / K;

function timeEach<T>(fn: (q: Query, i: number) => T): { results: T[]; msPerQuery: number } {
  for (let i = 0; i < Math.min(20, queries.length); i++) fn(queries[i], i); // warm-up
  const started = performance.now();
  const results = queries.map(fn);
  return { results, msPerQuery: (performance.now() - started) / queries.length };
}

const exactFullTime = timeEach((q) => fullExact.search(q.rotated, K, { exclude: q.exclude })).msPerQuery;
const lines = [
  `Queries: ${textQueries} judged text queries + ${N} papers as "similar" queries = ${queries.length}; corpus ${N} papers, ${D} dims.`,
  `Reference: exact full-dim search, ${(exactFullTime * 1000).toFixed(0)} µs/query, ${N} full-dim comparisons.`,
  '',
  `| dims | plain prefix overlap@10 | rotated prefix overlap@10 | adaptive (rotated HNSW@d shortlist ${shortlist} → full) overlap@10 | adaptive full-dim comparisons/query (after the HNSW@d graph walk) | adaptive µs/query |`,
  '|---|---|---|---|---|---|',
];
for (const d of [32, 64, 128, 256, D]) {
  const plainIndex = new ExactIndex(d);
  plainIndex.add(d === D ? plain : prefixRows(plain, D, d));
  const plainOverlap = timeEach((q, i) => overlap(plainIndex.search(prefixVector(q.plain, d), K, { exclude: q.exclude }).labels, i)).results;
  const rotatedOverlap = queries.map((q, i) => {
    const res = q.exclude.size
      ? engine.similar(engine.papers[[...q.exclude][0]].id, { dims: d, exact: true })
      : engine.searchEmbedding(q.plain, { dims: d, exact: true });
    return overlap(res.hits.map((h) => h.row), i);
  });
  const adaptive = timeEach((q) =>
    q.exclude.size
      ? engine.similar(engine.papers[[...q.exclude][0]].id, { dims: d, adaptive: d < D, shortlist, exact: false })
      : engine.searchEmbedding(q.plain, { dims: d, adaptive: d < D, shortlist, exact: false }),
  );
  const adaptiveOverlap = adaptive.results.map((res, i) => overlap(res.hits.map((h) => h.row), i));
  // hnswlib reports no visit count, so only the re-rank's full-dim comparisons are counted.
  const reranked = adaptive.results.reduce((s, r) => s + r.reranked, 0) / queries.length;
  const mean = (xs: number[]) => (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(3);
  lines.push(
    `| ${d} | ${mean(plainOverlap)} | ${mean(rotatedOverlap)} | ${d < D ? mean(adaptiveOverlap) : `${mean(adaptiveOverlap)} (HNSW, full dims)`} | ${d < D ? reranked.toFixed(0) : 'graph only'} | ${(adaptive.msPerQuery * 1000).toFixed(0)} |`,
  );
}
process.stdout.write(`${lines.join('\n')}\n`);
