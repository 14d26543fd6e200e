/**
 * The engine's hybrid pipeline with its semantic side swapped out, for the ranking probes
 * (bench/passage-probe.ts, bench/rank-probe.ts): typed queries fuse, move the query vector toward
 * the top of the fusion (PRF) and fuse again; "similar" fuses once, without the neighbour smoothing
 * the engine now adds (both probes compare semantic sides against the ranking of their time).
 */
import type { JudgedQuery } from '../src/core/eval/queries';
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
