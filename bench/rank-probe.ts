/**
 * npx tsx bench/rank-probe.ts
 *
 * Probe for issue #15 item 2: ranking changes on the semantic side that need no new vectors, each
 * scored per kind on the judged queries, semantic alone and inside the shipped hybrid (coverage
 * z-score fusion + vector PRF). "shipped" reproduces `npm run eval`'s default row.
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedQueries } from '../src/cli/embed-queries';
import { hybridWith, rotatedUnit } from './probe-pipeline';
import { REPO_ROOT } from '../src/cli/node-env';
import { openEngine } from '../src/cli/open-engine';
import { ndcgAt } from '../src/core/eval/metrics';
import { parseJudgedQueries, QUERY_KINDS, type JudgedQuery } from '../src/core/eval/queries';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import type { Scored } from '../src/core/hybrid/fuse';
import { rocchio } from '../src/core/hybrid/prf';
import { candidateVectors, smoothOverNeighbours } from '../src/core/hybrid/smooth';
import { coverageOf, queryTermWeights, searchLexical, similarLexical, type LexicalHit } from '../src/core/lexical/index';
import { analyze, paperTerms } from '../src/core/lexical/analyzer';
import { dot, normaliseInPlace } from '../src/core/vectors';

const opened = await openEngine({ log: (l) => process.stderr.write(`${l}\n`) });
const { engine, embedder, artifacts } = opened;
const D = engine.dims;
const N = engine.papers.length;
const queries = parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test/eval/queries.json'), 'utf8')));
const withInstruction = await embedQueries(embedder, queries);
const plain = new Map<string, Float32Array>();
for (const q of queries) if (q.kind !== 'similar') plain.set(q.id, (await embedder.embedDocuments([q.text])).slice(0, D));
await embedder.dispose();

const rotate = (v: Float32Array) => rotatedUnit(artifacts.rotation, D, v);
const unit = (v: Float32Array) => {
  const r = v.slice();
  normaliseInPlace(r);
  return r;
};

// Corpus mean (rotated space) and its unit direction.
const mean = new Float32Array(D);
for (let r = 0; r < N; r++) for (let i = 0; i < D; i++) mean[i] += engine.vectors[r * D + i] / N;
const meanDir = unit(mean);
console.log(`corpus mean norm ${Math.hypot(...mean).toFixed(3)}; mean direction · first rotated axis ${meanDir[0].toFixed(3)}`);
const projectOut = (v: Float32Array, dir: Float32Array) => {
  const c = dot(v, dir);
  return v.map((x, i) => x - c * dir[i]);
};
const centredDocs = new Float32Array(N * D);
for (let r = 0; r < N; r++) {
  for (let i = 0; i < D; i++) centredDocs[r * D + i] = engine.vectors[r * D + i] - mean[i];
  normaliseInPlace(centredDocs, r * D, D);
}
// Hubness: each paper's mean cosine to its 10 nearest papers (CSLS's r_d).
const HUB_K = 10;
const hub = new Float64Array(N);
for (let r = 0; r < N; r++) {
  const sims: number[] = [];
  for (let s = 0; s < N; s++) if (s !== r) sims.push(dotRows(r, s));
  sims.sort((a, b) => b - a);
  hub[r] = sims.slice(0, HUB_K).reduce((a, b) => a + b, 0) / HUB_K;
}
function dotRows(a: number, b: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += engine.vectors[a * D + i] * engine.vectors[b * D + i];
  return s;
}

interface Variant {
  name: string;
  /** The rotated query vector for a text query. */
  query: (q: JudgedQuery) => Float32Array;
  /** Score of row for a rotated query vector. */
  score: (qv: Float32Array, row: number) => number;
  /** The query vector for a "similar" query's source row; default its stored vector. */
  source?: (row: number) => Float32Array;
}
const cosine = (qv: Float32Array, r: number) => dot(qv, engine.vectors, D, r * D);
const instr = (q: JudgedQuery) => rotate(withInstruction.get(q.id) as Float32Array);
const noInstr = (q: JudgedQuery) => rotate(plain.get(q.id) as Float32Array);
const variants: Variant[] = [
  { name: 'shipped', query: instr, score: cosine },
  { name: 'query without instruction', query: noInstr, score: cosine },
  { name: 'query: mean of with/without instruction', query: (q) => unit(instr(q).map((x, i) => x + noInstr(q)[i])), score: cosine },
  { name: 'query: corpus-mean direction projected out', query: (q) => projectOut(instr(q), meanDir), score: cosine },
  { name: 'centred cosine (docs − mean, query − mean dir)', query: (q) => unit(projectOut(instr(q), meanDir)), score: (qv, r) => dot(qv, centredDocs, D, r * D), source: (r) => centredDocs.slice(r * D, (r + 1) * D) },
  { name: 'centred docs, query as is', query: instr, score: (qv, r) => dot(qv, centredDocs, D, r * D) },
  { name: 'CSLS: cosine − ½ hubness', query: instr, score: (qv, r) => cosine(qv, r) - 0.5 * hub[r] },
];

function semantic(v: Variant, qv: Float32Array, exclude: number): Scored[] {
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) if (r !== exclude) list.push({ row: r, score: v.score(qv, r) });
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}

function rank(v: Variant, q: JudgedQuery, hybrid: boolean): string[] {
  const source = q.kind === 'similar' ? engine.rowOf(q.source) : -1;
  const qv = q.kind === 'similar' ? (v.source?.(source) ?? engine.vectors.slice(source * D, (source + 1) * D)) : v.query(q);
  const list = hybrid ? hybridWith(engine, artifacts.lexical, q, qv, (w, exclude) => semantic(v, w, exclude)) : semantic(v, qv, source);
  return list.map((s) => engine.papers[s.row].id);
}

const mean1 = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`| side | variant | ${QUERY_KINDS.join(' | ')} | overall | half A | half B |`);
console.log(`| --- | --- | ${QUERY_KINDS.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
for (const hybrid of [false, true]) {
  for (const v of variants) {
    const per = queries.map((q, i) => ({ kind: q.kind, half: i % 2, ndcg: ndcgAt(rank(v, q, hybrid), q.judgments, 10) }));
    const kinds = QUERY_KINDS.map((k) => mean1(per.filter((p) => p.kind === k).map((p) => p.ndcg)).toFixed(3));
    const halves = [0, 1].map((h) => mean1(per.filter((p) => p.half === h).map((p) => p.ndcg)).toFixed(3));
    console.log(`| ${hybrid ? 'hybrid' : 'semantic'} | ${v.name} | ${kinds.join(' | ')} | ${mean1(per.map((p) => p.ndcg)).toFixed(3)} | ${halves.join(' | ')} |`);
  }
}

// ---- Pipeline variants: what the second (feedback) pass does, over the shipped semantic side.
const shipped = variants[0];
const idfOf = (term: string) => {
  const df = artifacts.lexical.search.search(term, { tokenize: (t) => [t], processTerm: (t) => t, prefix: false, fuzzy: false }).length;
  return Math.log(1 + (N - df + 0.5) / (df + 0.5));
};
const termsOfRow = new Map<number, Map<string, number>>();
function tfidf(row: number): Map<string, number> {
  let m = termsOfRow.get(row);
  if (!m) {
    const p = engine.papers[row];
    const counts = new Map<string, number>();
    for (const t of [...analyze(p.title), ...analyze(p.abstract)]) counts.set(t, (counts.get(t) ?? 0) + 1);
    m = new Map([...counts].map(([t, tf]) => [t, tf * idfOf(t)]));
    termsOfRow.set(row, m);
  }
  return m;
}
/** RM3-style: the query's terms (weight 1) plus the `count` best tf·idf terms of the feedback papers (weight ≤ `weight`). */
function expandedLexical(text: string, feedback: number[], count: number, weight: number): LexicalHit[] {
  const own = new Set(analyze(text));
  const pooled = new Map<string, number>();
  for (const row of feedback) {
    const m = tfidf(row);
    const norm = Math.max(...m.values());
    for (const [t, w] of m) if (!own.has(t)) pooled.set(t, (pooled.get(t) ?? 0) + w / norm / feedback.length);
  }
  const extra = [...pooled].sort((a, b) => b[1] - a[1]).slice(0, count);
  const top = extra[0]?.[1] ?? 1;
  const boost = new Map<string, number>([...own].map((t) => [t, 1]));
  for (const [t, w] of extra) boost.set(t, (weight * w) / top);
  const results = artifacts.lexical.search.search(
    { queries: [...boost.keys()], combineWith: 'OR' },
    { tokenize: (t) => [t], processTerm: (t) => t, boostTerm: (t) => boost.get(t) ?? 1 },
  );
  const weights = queryTermWeights(artifacts.lexical, text);
  return results.slice(0, FUSION_DEPTH).map((r) => {
    const row = artifacts.lexical.rowById.get(r.id as string) as number;
    return { row, id: r.id as string, score: r.score, terms: Object.keys(r.match), coverage: coverageOf(weights, paperTerms(engine.papers[row])) };
  });
}

const smoothed = (list: Scored[], weight: number, neighbours: number) => smoothOverNeighbours(list, candidateVectors(list, engine.vectors, D, FUSION_DEPTH), D, FUSION_DEPTH, neighbours, weight);
type Pipeline = { name: string; rank: (q: JudgedQuery) => Scored[] };
const sem = (qv: Float32Array, exclude = -1) => semantic(shipped, qv, exclude);
const similarList = (q: JudgedQuery & { kind: 'similar' }) => {
  const source = engine.rowOf(q.source);
  return fuseHybrid(similarLexical(artifacts.lexical, engine.papers[source], FUSION_DEPTH).filter((h) => h.row !== source), sem(engine.vectors.slice(source * D, (source + 1) * D), source));
};
/** A typed query's lexical list, its rotated vector and first fused list, handed to `second` for the rest; "similar" as shipped before smoothing. */
function typed(q: JudgedQuery, second: (lexical: LexicalHit[], qv: Float32Array, first: Scored[], text: string) => Scored[]): Scored[] {
  if (q.kind === 'similar') return similarList(q);
  const qv = instr(q);
  const lexical = searchLexical(artifacts.lexical, q.text, FUSION_DEPTH);
  return second(lexical, qv, fuseHybrid(lexical, sem(qv)), q.text);
}
const feedbackOf = (list: Scored[]) => list.slice(0, PRF_DOCS).map((s) => s.row);
const moved = (qv: Float32Array, first: Scored[]) => rocchio(qv, engine.vectors, D, feedbackOf(first), PRF_WEIGHT);
const previous = (q: JudgedQuery) => typed(q, (lex, qv, first) => fuseHybrid(lex, sem(moved(qv, first))));
const GRID: [number, number][] = [0.2, 0.3, 0.5].flatMap((w) => [3, 5, 10].map((k) => [w, k] as [number, number]));
const pipelines: Pipeline[] = [
  { name: 'coverage z-score + PRF (before)', rank: previous },
  { name: 'no PRF', rank: (q) => typed(q, (_lex, _qv, first) => first) },
  { name: 'PRF + lexical RM3 (10 terms, weight ≤ 0.5)', rank: (q) => typed(q, (_lex, qv, first, text) => fuseHybrid(expandedLexical(text, feedbackOf(first), 10, 0.5), sem(moved(qv, first)))) },
  { name: 'PRF + lexical RM3 (20 terms, weight ≤ 0.3)', rank: (q) => typed(q, (_lex, qv, first, text) => fuseHybrid(expandedLexical(text, feedbackOf(first), 20, 0.3), sem(moved(qv, first)))) },
  { name: 'second pass fuses the original and the moved semantic lists', rank: (q) => typed(q, (lex, qv, first) => fuseHybrid(lex, zsum([sem(qv), sem(moved(qv, first))]))) },
  { name: 'PRF feedback from the smoothed first pass (0.5, 10)', rank: (q) => typed(q, (lex, qv, first) => fuseHybrid(lex, sem(moved(qv, smoothed(first, 0.5, 10))))) },
  ...GRID.map(([w, k]) => ({ name: `smoothing every kind (${w}, ${k})`, rank: (q: JudgedQuery) => smoothed(previous(q), w, k) })),
];
function zsum(lists: Scored[][]): Scored[] {
  const m = new Map<number, number>();
  for (const list of lists) {
    const xs = list.map((s) => s.score);
    const mu = mean1(xs);
    const sd = Math.sqrt(mean1(xs.map((x) => (x - mu) ** 2)));
    const min = Math.min(...xs);
    for (const s of list) m.set(s.row, (m.get(s.row) ?? 0) + (s.score - min) / sd / lists.length);
  }
  return [...m].map(([row, score]) => ({ row, score })).sort((a, b) => b.score - a.score || a.row - b.row);
}
const ids = (list: Scored[]) => list.map((s) => engine.papers[s.row].id);
console.log('\nPipelines (smoothing: (weight, neighbours)):\n');
console.log(`| pipeline | ${QUERY_KINDS.join(' | ')} | overall | half A | half B |`);
console.log(`| --- | ${QUERY_KINDS.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`);
for (const p of pipelines) {
  const per = queries.map((q, i) => ({ kind: q.kind, half: i % 2, ndcg: ndcgAt(ids(p.rank(q)), q.judgments, 10) }));
  const kinds = QUERY_KINDS.map((k) => mean1(per.filter((x) => x.kind === k).map((x) => x.ndcg)).toFixed(3));
  const halves = [0, 1].map((h) => mean1(per.filter((x) => x.half === h).map((x) => x.ndcg)).toFixed(3));
  console.log(`| ${p.name} | ${kinds.join(' | ')} | ${mean1(per.map((x) => x.ndcg)).toFixed(3)} | ${halves.join(' | ')} |`);
}

// Smoothing on "similar" only: every setting against the previous ranking, per query, and a leave-half-out choice.
const similarQueries = queries.filter((q) => q.kind === 'similar');
const before = similarQueries.map((q) => ndcgAt(ids(similarList(q as JudgedQuery & { kind: 'similar' })), q.judgments, 10));
console.log('\nSmoothing "similar" queries only (halves: alternate queries):\n');
console.log('| weight, neighbours | nDCG@10 | mean Δ | better / worse | Δ half A | Δ half B |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const halfDelta: number[][] = [];
for (const [w, k] of GRID) {
  const d = similarQueries.map((q, i) => ndcgAt(ids(smoothed(similarList(q as JudgedQuery & { kind: 'similar' }), w, k)), q.judgments, 10) - before[i]);
  const halves = [0, 1].map((h) => mean1(d.filter((_, i) => i % 2 === h)));
  halfDelta.push(halves);
  console.log(`| ${w}, ${k} | ${(mean1(before) + mean1(d)).toFixed(3)} | ${mean1(d) >= 0 ? '+' : ''}${mean1(d).toFixed(3)} | ${d.filter((x) => x > 1e-9).length} / ${d.filter((x) => x < -1e-9).length} | ${halves.map((x) => x.toFixed(3)).join(' | ')} |`);
}
for (const h of [0, 1]) {
  const best = halfDelta.reduce((b, x, i) => (x[h] > halfDelta[b][h] + 1e-12 ? i : b), 0);
  console.log(`- chosen on half ${h === 0 ? 'A' : 'B'}: (${GRID[best].join(', ')}), Δ on half ${h === 0 ? 'B' : 'A'} ${halfDelta[best][1 - h].toFixed(3)}`);
}
