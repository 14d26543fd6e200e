/**
 * Fusion of ranked lists (lexical, semantic, a second model) into one ranking. Pure functions over
 * {row, score} lists, each best first; a row missing from a list was not retrieved by that side.
 *
 * The building blocks `npm run eval` compares (figures in docs/QUALITY.md): reciprocal rank fusion,
 * plain (k = 60) and weighted; normalised score combination (min-max or z-score per list, then a
 * weighted sum, optionally with a weight per candidate); a per-query weight from each side's
 * confidence. The default the engine uses is assembled from them in hybrid.ts.
 */

export interface Scored {
  row: number;
  score: number;
}

/** The constant of Cormack et al. (2009); it damps the difference between the very top ranks. */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: score(row) = Σ_i w_i / (k + rank_i(row)), ranks from 1. Needs no score
 * calibration (BM25 is unbounded, cosines are not), but throws away how far apart the scores are.
 */
export function fuseRrf(lists: readonly (readonly Scored[])[], options: { k?: number; weights?: readonly number[] } = {}): Scored[] {
  const k = options.k ?? RRF_K;
  const fused = new Map<number, number>();
  lists.forEach((list, i) => {
    const weight = options.weights?.[i] ?? 1;
    list.forEach(({ row }, rank) => fused.set(row, (fused.get(row) ?? 0) + weight / (k + rank + 1)));
  });
  return sortScores(fused);
}

export type Normalisation = 'minmax' | 'zscore';

/** A candidate that may carry its own weight (e.g. a lexical hit's query coverage); default 1. */
export interface WeightedScored extends Scored {
  weight?: number;
}

/**
 * Normalises each list's scores, then sums them: Σ_i listWeight_i · itemWeight · (score − min_i) / scale_i,
 * with scale the list's range (min-max) or standard deviation (z-score). Measuring from the list's
 * minimum makes a row absent from a list contribute 0, the same as the list's worst row: it ranked
 * below everything the list returned. (For z-scores this is the usual (x − mean)/sd shifted by a
 * per-list constant, so it ranks the same.)
 */
export function fuseScores(
  lists: readonly (readonly WeightedScored[])[],
  options: { normalisation: Normalisation; weights?: readonly number[] },
): Scored[] {
  const fused = new Map<number, number>();
  lists.forEach((list, i) => {
    if (list.length === 0) return;
    const scores = list.map((s) => s.score);
    const min = Math.min(...scores);
    const scale = options.normalisation === 'minmax' ? Math.max(...scores) - min : standardDeviation(scores);
    const listWeight = options.weights?.[i] ?? 1;
    for (const { row, score, weight = 1 } of list) {
      const normalised = scale > 0 ? (score - min) / scale : 0;
      fused.set(row, (fused.get(row) ?? 0) + listWeight * weight * normalised);
    }
  });
  return sortScores(fused);
}

function standardDeviation(values: readonly number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
}

/**
 * How sure a side is of its top result: the top score's lead over the mean of the next `depth - 1`,
 * divided by the range of the top `depth` scores, so 0..1. A flat list (no result stands out) and a
 * side that retrieved fewer than two results give 0.
 */
export function confidence(list: readonly Scored[], depth = 10): number {
  const top = list.slice(0, depth).map((s) => s.score);
  if (top.length < 2) return 0;
  const rest = top.slice(1);
  const mean = rest.reduce((a, b) => a + b, 0) / rest.length;
  const spread = top[0] - top[top.length - 1];
  return spread > 0 ? (top[0] - mean) / spread : 0;
}

/**
 * Per-query weights from each side's confidence, scaled to sum to the number of sides, so a query
 * that only one side answers sharply leans on that side. Equal weights when no side is confident.
 */
export function confidenceWeights(lists: readonly (readonly Scored[])[]): number[] {
  const conf = lists.map((list) => confidence(list));
  const total = conf.reduce((a, b) => a + b, 0);
  if (total === 0) return lists.map(() => 1);
  return conf.map((c) => (c * lists.length) / total);
}

function sortScores(fused: Map<number, number>): Scored[] {
  return [...fused]
    .map(([row, score]) => ({ row, score }))
    .sort((a, b) => b.score - a.score || a.row - b.row);
}
