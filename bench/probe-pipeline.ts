/**
 * The engine's hybrid pipeline with its semantic side swapped out, for the ranking probes
 * (bench/passage-probe.ts, bench/rank-probe.ts): typed queries fuse, move the query vector toward
 * the top of the fusion (PRF) and fuse again; "similar" fuses once, without the neighbour smoothing
 * the engine now adds (both probes compare semantic sides against the ranking of their time).
 */
import { ndcgAt } from '../src/core/eval/metrics';
import { parseJudgedQueries, QUERY_KINDS, type JudgedQuery } from '../src/core/eval/queries';
import type { Scored } from '../src/core/hybrid/fuse';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { rocchio } from '../src/core/hybrid/prf';
import { searchLexical, similarLexical, type LexicalIndex } from '../src/core/lexical/index';
import type { SearchEngine } from '../src/core/search';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedQueries } from '../src/cli/embed-queries';
import { REPO_ROOT } from '../src/cli/node-env';
import type { Embedder } from '../src/core/embed';
import { rotateVector } from '../src/core/matryoshka/rotation';
import { normaliseInPlace } from '../src/core/vectors';

/**
 * `qv`: the rotated query vector (for "similar", the source's row); `semantic(v, exclude)`: the
 * semantic list for a rotated vector, FUSION_DEPTH deep, without row `exclude`.
 */
export function hybridWith(
  engine: SearchEngine,
  lexicalIndex: LexicalIndex,
  q: JudgedQuery,
  qv: Float32Array,
  semantic: (v: Float32Array, exclude: number) => Scored[],
): Scored[] {
  if (q.kind === 'similar') {
    const source = engine.rowOf(q.source);
    return fuseHybrid(similarLexical(lexicalIndex, engine.papers[source], FUSION_DEPTH).filter((h) => h.row !== source), semantic(qv, source));
  }
  const lexical = searchLexical(lexicalIndex, q.text, FUSION_DEPTH);
  const first = fuseHybrid(lexical, semantic(qv, -1));
  const moved = rocchio(qv, engine.vectors, engine.dims, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT);
  return fuseHybrid(lexical, semantic(moved, -1));
}

/** The README's own example query and the paper it is after (issue #15). */
export const FLAGSHIP_QUERY = 'embeddings you can shorten without retraining';
export const FLAGSHIP_PAPER = 'matryoshka-representation-learning';

/**
 * One markdown table row: nDCG@10 per kind, overall, per half (alternate queries: a split check
 * against fitting the 60 queries) and where `rank` puts the flagship query's paper.
 */
export function probeRow(name: string, queries: readonly JudgedQuery[], rank: (q: JudgedQuery) => string[]): string {
  const per = queries.map((q) => ndcgAt(rank(q), q.judgments, 10));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const kinds = QUERY_KINDS.map((k) => mean(per.filter((_, i) => queries[i].kind === k)).toFixed(3));
  const halves = [0, 1].map((h) => mean(per.filter((_, i) => i % 2 === h)).toFixed(3));
  const flagship = queries.find((q) => q.kind !== 'similar' && q.text === FLAGSHIP_QUERY);
  const at = flagship ? rank(flagship).indexOf(FLAGSHIP_PAPER) + 1 || '>100' : 'n/a';
  return `| ${name} | ${kinds.join(' | ')} | ${mean(per).toFixed(3)} | ${halves.join(' | ')} | ${at} |`;
}

/** The header of probeRow's table, `first` naming the first column. */
export function probeHeader(first: string): string {
  return `| ${first} | ${QUERY_KINDS.join(' | ')} | overall | half A | half B | flagship: Matryoshka's rank |\n| --- | ${QUERY_KINDS.map(() => '---:').join(' | ')} | ---: | ---: | ---: | ---: |`;
}

// ---- The shipped default, step by step, for the third-round probes (bench/query-precision-probe.ts,
// bench/clause-probe.ts, bench/doc-expansion-probe.ts, bench/feedback-probe.ts): typed queries fuse the
// coverage-weighted lexical list with an exact semantic list, feed the top 3 back (Rocchio) and fuse again;
// "similar" is the engine's own (fused once, then smoothed). Every piece can be swapped.

/** The exact semantic list for a rotated unit query vector over an engine's vectors, FUSION_DEPTH deep. */
export function exactSemantic(engine: SearchEngine, qv: Float32Array, exclude = -1, depth = FUSION_DEPTH): Scored[] {
  const D = engine.dims;
  const vectors = engine.vectors;
  const list: Scored[] = [];
  for (let r = 0; r < engine.papers.length; r++) {
    if (r === exclude) continue;
    let s = 0;
    for (let i = 0; i < D; i++) s += qv[i] * vectors[r * D + i];
    list.push({ row: r, score: s });
  }
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, depth);
}

/** The shipped ranking of a judged query as paper ids; `qv` the rotated query vector of a typed query. */
export function shippedIds(engine: SearchEngine, lexicalIndex: LexicalIndex, q: JudgedQuery, qv?: Float32Array): string[] {
  if (q.kind === 'similar') return engine.similar(q.source, { k: FUSION_DEPTH, mode: 'hybrid' }).hits.map((h) => engine.papers[h.row].id);
  const lexical = searchLexical(lexicalIndex, q.text, FUSION_DEPTH);
  const first = fuseHybrid(lexical, exactSemantic(engine, qv as Float32Array));
  const moved = rocchio(qv as Float32Array, engine.vectors, engine.dims, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT);
  return fuseHybrid(lexical, exactSemantic(engine, moved)).map((s) => engine.papers[s.row].id);
}

/**
 * Paired comparison of each ranking with the first over `queries` (bootstrap over queries, 10,000
 * resamples, fixed seed): mean Δ nDCG@10, better / worse, 95% CI, and Δ per kind.
 */
export function pairedTable(title: string, queries: readonly JudgedQuery[], rankings: { name: string; rank: (q: JudgedQuery) => string[] }[]): string {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const base = queries.map((q) => ndcgAt(rankings[0].rank(q), q.judgments, 10));
  const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
  const lines = [
    `| ${title} | mean Δ nDCG@10 | better / worse | bootstrap 95% CI | ${QUERY_KINDS.map((k) => `Δ ${k}`).join(' | ')} |`,
    `| --- | ---: | ---: | --- | ${QUERY_KINDS.map(() => '---:').join(' | ')} |`,
  ];
  for (const r of rankings.slice(1)) {
    const d = queries.map((q, i) => ndcgAt(r.rank(q), q.judgments, 10) - base[i]);
    let seed = 15;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const means = Array.from({ length: 10000 }, () => mean(d.map(() => d[Math.floor(rnd() * d.length)]))).sort((a, b) => a - b);
    const kinds = QUERY_KINDS.map((k) => sign(mean(d.filter((_, i) => queries[i].kind === k))));
    lines.push(`| ${r.name} | ${sign(mean(d))} | ${d.filter((x) => x > 1e-9).length} / ${d.filter((x) => x < -1e-9).length} | ${means[250].toFixed(3)}…${means[9750].toFixed(3)} | ${kinds.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** A vector in the set's rotated space, unit length (what the engine searches with). */
export function rotatedUnit(rotation: Float32Array, dims: number, v: Float32Array): Float32Array {
  const r = rotateVector(rotation, dims, v);
  normaliseInPlace(r);
  return r;
}

/** The judged queries embedded as queries, rotated and made unit length, by query id. */
export async function rotatedQueryVectors(embedder: Embedder, queries: readonly JudgedQuery[], rotation: Float32Array, dims: number): Promise<Map<string, Float32Array>> {
  return new Map([...(await embedQueries(embedder, queries))].map(([id, v]) => [id, rotatedUnit(rotation, dims, v)]));
}

/** The judged queries of `npm run eval` (test/eval/queries.json). */
export function loadJudgedQueries(): JudgedQuery[] {
  return parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test/eval/queries.json'), 'utf8')));
}

type ProbeRows = { name: string; rank: (q: JudgedQuery) => string[] }[];

/** A probe's output: its hybrid and semantic nDCG tables, then both paired against their first row. */
export function printProbeTables(queries: readonly JudgedQuery[], hybridRows: ProbeRows, semanticRows: ProbeRows, pairedHeading: string): void {
  console.log(probeHeader('hybrid'));
  for (const r of hybridRows) console.log(probeRow(r.name, queries, r.rank));
  console.log('\n' + probeHeader('semantic'));
  for (const r of semanticRows) console.log(probeRow(r.name, queries, r.rank));
  console.log(`\n${pairedHeading}\n`);
  console.log(pairedTable('hybrid', queries, hybridRows));
  console.log('\n' + pairedTable('semantic', queries, semanticRows));
}
