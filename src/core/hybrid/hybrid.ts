/**
 * The engine's default ranking: lexical and semantic candidates fused into one list.
 *
 * Scheme (chosen by `npm run eval`; figures in docs/QUALITY.md, overall nDCG@10 in brackets):
 *  1. z-score normalise each side's scores and add them, every lexical hit scaled by its own query
 *     coverage (LexicalHit.coverage: the idf-weighted share of the query's terms it contains), the
 *     semantic side by 1 [0.723]. No weight is tuned: a keyword query's good hits cover it fully, so
 *     BM25 counts in full where it is strongest; a paraphrase, worded unlike the papers, gives every
 *     hit a low share, so BM25's accidental matches barely move the semantic ranking.
 *  2. For typed queries, one round of pseudo-relevance feedback in vector space: the query vector
 *     moves toward the top PRF_DOCS fused papers (Rocchio, β = PRF_WEIGHT, textbook values, not
 *     tuned), the semantic side is searched again and fused again with the same lexical list [0.731].
 *  3. For a paper as the query (Similar, Related): step 1 only, then neighbour smoothing of the fused
 *     list (smooth.ts) [similar 0.734 → 0.761]; SearchEngine applies it.
 * Measured and not chosen: plain RRF k=60 [0.687], RRF with the semantic side ×2 [0.682], min-max
 * [0.701], plain z-score [0.704], z-score weighted by each side's score-gap confidence [0.700],
 * coverage z-score with the lexical side ×0.5 / ×2 [0.704 / 0.720]. PRF on "similar" (a whole paper
 * as the query) lowered those queries and is not applied.
 */
import { fuseScores, type Scored, type WeightedScored } from './fuse';
import { rocchio } from './prf';

/** Candidates taken from each side before fusing: deep enough that a paper ranked low by one side and high by the other is seen by both. */
export const FUSION_DEPTH = 100;
/** Feedback papers and their weight for the second pass (Rocchio's usual 3 and 0.5). */
export const PRF_DOCS = 3;
export const PRF_WEIGHT = 0.5;

/** A lexical candidate with its query coverage (LexicalHit has both). */
export interface CoveredHit extends Scored {
  coverage: number;
}

/**
 * Fuses a lexical and a semantic candidate list (each best first, rows of one corpus): z-score
 * normalised, each lexical hit scaled by its own coverage of the query, semantic hits by 1.
 */
export function fuseHybrid(lexical: readonly CoveredHit[], semantic: readonly Scored[], lexicalWeight = 1): Scored[] {
  return fuseScores([coverageWeighted(lexical), semantic], { normalisation: 'zscore', weights: [lexicalWeight, 1] });
}

/** Lexical hits as fusion candidates, each weighted by its coverage of the query. */
export function coverageWeighted(lexical: readonly CoveredHit[]): WeightedScored[] {
  return lexical.map(({ row, score, coverage }) => ({ row, score, weight: coverage }));
}

export interface TypedQuerySides {
  /** Lexical candidates for the query text (searchLexical, FUSION_DEPTH deep). */
  lexical: readonly CoveredHit[];
  /** The query's unit vector, in the same space as `vectors` (the engine's rotated space works: Rocchio commutes with a rotation). */
  query: Float32Array;
  /** Row-major unit vectors of the corpus, `dims` each. */
  vectors: Float32Array;
  dims: number;
  /** Semantic search for a query vector in that space, FUSION_DEPTH deep. */
  searchVector: (query: Float32Array) => readonly Scored[];
}

/** The default ranking for a typed query: fuse, feed the top back into the query vector, fuse again. */
export function hybridSearch(sides: TypedQuerySides): Scored[] {
  const first = fuseHybrid(sides.lexical, sides.searchVector(sides.query));
  const feedback = first.slice(0, PRF_DOCS).map((s) => s.row);
  const moved = rocchio(sides.query, sides.vectors, sides.dims, feedback, PRF_WEIGHT);
  return fuseHybrid(sides.lexical, sides.searchVector(moved));
}

/**
 * hybridSearch for an engine whose vectors are fetched on demand (format 3): the same two fusions and
 * feedback step, with the semantic side and the feedback rows awaited.
 */
export async function hybridSearchAsync(sides: {
  lexical: readonly CoveredHit[];
  query: Float32Array;
  /** The unit vectors of these rows, in the query's space, row-major. */
  vectorsOf: (rows: readonly number[]) => Promise<Float32Array>;
  searchVector: (query: Float32Array) => Promise<readonly Scored[]>;
  /** The semantic side for `query`, when the caller started it already (alongside the lexical side). */
  first?: Promise<readonly Scored[]>;
  /** Runs each fusion (a caller may time it); default: at once. */
  fuse?: (fuse: () => Scored[]) => Scored[];
}): Promise<Scored[]> {
  const run = sides.fuse ?? ((fuse) => fuse());
  const semantic = await (sides.first ?? sides.searchVector(sides.query));
  const first = run(() => fuseHybrid(sides.lexical, semantic));
  const feedback = first.slice(0, PRF_DOCS).map((s) => s.row);
  const block = await sides.vectorsOf(feedback);
  const moved = rocchio(sides.query, block, sides.query.length, feedback.map((_, i) => i), PRF_WEIGHT);
  const second = await sides.searchVector(moved);
  return run(() => fuseHybrid(sides.lexical, second));
}
