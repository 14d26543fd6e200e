/**
 * npx tsx bench/second-model-probe.ts
 *
 * Probe for issue #15 item 2: all-MiniLM-L6-v2 beside bge-small for typed queries only ("similar"
 * stays as shipped: bge, smoothed; the documented ensemble lowered it). Variants: MiniLM as a third
 * fused list (the ensemble row of `npm run eval -- --second-model`), the semantic side as the mean of
 * both models' z-scores (semantic keeps its weight of 1), and MiniLM stored as the format-3 sites
 * would afford a second vector set: its rotated 64-d prefix in int8, scored only for the candidates
 * the shipped pipeline already found (a re-rank, no second graph). Per kind, per half, and the
 * flagship query's Matryoshka rank. Needs MiniLM's artifacts (`npm run eval -- --second-model`
 * builds them into .cache/artifacts).
 */
import '../src/cli/node-env';
import { embedQueries } from '../src/cli/embed-queries';
import { probeHeader, probeRow, loadJudgedQueries } from './probe-pipeline';
import { openEngine } from '../src/cli/open-engine';
import { ndcgAt } from '../src/core/eval/metrics';
import type { JudgedQuery } from '../src/core/eval/queries';
import { fuseScores, type Scored, type WeightedScored } from '../src/core/hybrid/fuse';
import { coverageWeighted, FUSION_DEPTH, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { rocchio } from '../src/core/hybrid/prf';
import { searchLexical } from '../src/core/lexical/index';
import { rotateVector } from '../src/core/matryoshka/rotation';
import type { SearchEngine } from '../src/core/search';
import { dot, normaliseInPlace } from '../src/core/vectors';

const log = (l: string) => process.stderr.write(`${l}\n`);
const queries = loadJudgedQueries();
const models = [] as { engine: SearchEngine; rotation: Float32Array; queryVectors: Map<string, Float32Array> }[];
for (const modelId of [undefined, 'all-MiniLM-L6-v2']) {
  const o = await openEngine({ modelId, log });
  models.push({ engine: o.engine, rotation: o.artifacts.rotation, queryVectors: await embedQueries(o.embedder, queries) });
  await o.embedder.dispose();
}
const [bge, mini] = models;
const lexicalIndex = (await openEngine({ log })).artifacts.lexical;
const N = bge.engine.papers.length;
if (mini.engine.papers.some((p, i) => p.id !== bge.engine.papers[i].id)) throw new Error('the two artifact sets order papers differently');

const rotated = (m: (typeof models)[number], q: JudgedQuery) => {
  const r = rotateVector(m.rotation, m.engine.dims, m.queryVectors.get(q.id) as Float32Array);
  normaliseInPlace(r);
  return r;
};
function exact(m: (typeof models)[number], qv: Float32Array): Scored[] {
  const D = m.engine.dims;
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) list.push({ row: r, score: dot(qv, m.engine.vectors, D, r * D) });
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}
/** MiniLM's rotated prefix of `dims`, re-normalised, int8 with one scale per vector. */
function lowInt8(dims: number): Float32Array {
  const D = mini.engine.dims;
  const out = new Float32Array(N * dims);
  for (let r = 0; r < N; r++) {
    const v = mini.engine.vectors.slice(r * D, r * D + dims);
    normaliseInPlace(v);
    const scale = Math.max(...v.map(Math.abs)) / 127;
    for (let j = 0; j < dims; j++) out[r * dims + j] = Math.round(v[j] / scale) * scale;
  }
  return out;
}
const mini64 = lowInt8(64);
const mini128 = lowInt8(128);

interface Variant {
  name: string;
  /** The semantic lists to fuse beside the lexical one, with their weights, for bge's and MiniLM's query vectors. */
  sides: (bq: Float32Array, mq: Float32Array, candidates: () => number[]) => { list: WeightedScored[]; weight: number }[];
}
const scoredRows = (rows: number[], score: (r: number) => number) => rows.map((row) => ({ row, score: score(row) })).sort((a, b) => b.score - a.score);
const lowScore = (set: Float32Array, dims: number, mq: Float32Array) => {
  const q = mq.slice(0, dims);
  normaliseInPlace(q);
  return (r: number) => dot(q, set, dims, r * dims);
};
const variants: Variant[] = [
  { name: 'shipped (bge only)', sides: (bq) => [{ list: exact(bge, bq), weight: 1 }] },
  { name: 'MiniLM as a third list (weights 1, 1, 1; the eval ensemble)', sides: (bq, mq) => [{ list: exact(bge, bq), weight: 1 }, { list: exact(mini, mq), weight: 1 }] },
  { name: 'semantic = mean of both models (weights 1, ½, ½)', sides: (bq, mq) => [{ list: exact(bge, bq), weight: 0.5 }, { list: exact(mini, mq), weight: 0.5 }] },
  ...([['384-d f32', mini.engine.vectors, mini.engine.dims], ['128-d int8', mini128, 128], ['64-d int8', mini64, 64]] as [string, Float32Array, number][]).map(
    ([label, set, dims]): Variant => ({
      name: `MiniLM ${label} re-scores the shipped candidates (weights 1, ½, ½)`,
      sides: (bq, mq, candidates) => [{ list: exact(bge, bq), weight: 0.5 }, { list: scoredRows(candidates(), lowScore(set, dims, mq)), weight: 0.5 }],
    }),
  ),
];

/** Typed queries: fuse lexical + the variant's semantic lists, move every model's query toward the top 3 (PRF), fuse again. "similar": shipped. */
function ranked(q: JudgedQuery, v: Variant): string[] {
  if (q.kind === 'similar') return bge.engine.similar(q.source, { k: FUSION_DEPTH, mode: 'hybrid' }).hits.map((h) => bge.engine.papers[h.row].id);
  const lexical = coverageWeighted(searchLexical(lexicalIndex, q.text, FUSION_DEPTH));
  const pass = (bq: Float32Array, mq: Float32Array) => {
    // The candidates a shipped search holds anyway: its lexical hits and bge's semantic hits.
    const candidates = () => [...new Set([...lexical.map((h) => h.row), ...exact(bge, bq).map((s) => s.row)])];
    const sides = v.sides(bq, mq, candidates);
    return fuseScores([lexical, ...sides.map((s) => s.list)], { normalisation: 'zscore', weights: [1, ...sides.map((s) => s.weight)] });
  };
  const bq = rotated(bge, q);
  const mq = rotated(mini, q);
  const first = pass(bq, mq);
  const feedback = first.slice(0, PRF_DOCS).map((s) => s.row);
  const moved = [bge, mini].map((m, i) => rocchio(i === 0 ? bq : mq, m.engine.vectors, m.engine.dims, feedback, PRF_WEIGHT));
  return pass(moved[0], moved[1]).map((s) => bge.engine.papers[s.row].id);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(probeHeader('typed queries'));
for (const v of variants) console.log(probeRow(v.name, queries, (q) => ranked(q, v)));

// Paired comparison of each variant with the shipped ranking over the 45 typed queries: better / worse, bootstrap 95% CI of the mean Δ.
const typed = queries.filter((q) => q.kind !== 'similar');
const shippedPer = typed.map((q) => ndcgAt(ranked(q, variants[0]), q.judgments, 10));
const random = (seed: number) => () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
console.log('\nPaired over the 45 typed queries, against shipped:\n');
console.log('| typed queries | mean Δ nDCG@10 | better / worse | bootstrap 95% CI |');
console.log('| --- | ---: | ---: | --- |');
for (const v of variants.slice(1)) {
  const d = typed.map((q, i) => ndcgAt(ranked(q, v), q.judgments, 10) - shippedPer[i]);
  const rnd = random(15);
  const means = Array.from({ length: 10000 }, () => mean(d.map(() => d[Math.floor(rnd() * d.length)]))).sort((a, b) => a - b);
  console.log(`| ${v.name} | ${mean(d) >= 0 ? '+' : ''}${mean(d).toFixed(3)} | ${d.filter((x) => x > 1e-9).length} / ${d.filter((x) => x < -1e-9).length} | ${means[250].toFixed(3)}…${means[9750].toFixed(3)} |`);
}

// Semantic mode alone (no lexical side, no PRF), where the flagship query is 13th with bge.
function semanticOnly(q: JudgedQuery, which: 'bge' | 'mini' | 'both'): string[] {
  const source = q.kind === 'similar' ? bge.engine.rowOf(q.source) : -1;
  const qvOf = (m: (typeof models)[number]) => (source >= 0 ? m.engine.vectors.slice(source * m.engine.dims, (source + 1) * m.engine.dims) : rotated(m, q));
  const lists = (which === 'both' ? [bge, mini] : [which === 'bge' ? bge : mini]).map((m) => exact(m, qvOf(m)).filter((s) => s.row !== source));
  return fuseScores(lists, { normalisation: 'zscore' }).map((s) => bge.engine.papers[s.row].id);
}
console.log('\nSemantic mode:\n');
console.log(probeHeader('semantic'));
const semanticNames = { bge: 'bge-small alone (shipped)', mini: 'MiniLM alone', both: 'mean of both models’ z-scores' };
for (const which of ['bge', 'mini', 'both'] as const) console.log(probeRow(semanticNames[which], queries, (q) => semanticOnly(q, which)));
