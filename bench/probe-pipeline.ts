/**
 * The engine's hybrid pipeline with its semantic side swapped out, for the ranking probes
 * (bench/passage-probe.ts, bench/rank-probe.ts): typed queries fuse, move the query vector toward
 * the top of the fusion (PRF) and fuse again; "similar" fuses once, without the neighbour smoothing
 * the engine now adds (both probes compare semantic sides against the ranking of their time).
 */
import { ndcgAt } from '../src/core/eval/metrics';
import { QUERY_KINDS, type JudgedQuery } from '../src/core/eval/queries';
import type { Scored } from '../src/core/hybrid/fuse';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { rocchio } from '../src/core/hybrid/prf';
import { searchLexical, similarLexical, type LexicalIndex } from '../src/core/lexical/index';
import type { SearchEngine } from '../src/core/search';

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
