/**
 * Ranking metrics over graded judgments (paper id → grade: 2 = what the query asks for, 1 = partly
 * relevant, 0 = judged not relevant). A paper with no judgment counts as not relevant, but is also
 * counted as unjudged so an evaluation can show how far its figures rest on guesses.
 *
 * nDCG uses linear gain (gain = grade) and log2 discounts, as trec_eval and BEIR do; the ideal ranking
 * is built from every judged grade of the query, retrieved or not. The binary metrics (recall, MRR,
 * precision) count grade ≥ 1 as relevant.
 */

export type Judgments = Readonly<Record<string, number>>;

/** Grade at which a paper counts as relevant for the binary metrics. */
export const RELEVANT = 1;

/** Discounted cumulative gain of a list of gains, first `k` positions. */
export function dcg(gains: readonly number[], k: number): number {
  let sum = 0;
  for (let i = 0; i < Math.min(k, gains.length); i++) sum += gains[i] / Math.log2(i + 2);
  return sum;
}

export function ndcgAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  const ideal = dcg(
    Object.values(judgments)
      .filter((g) => g > 0)
      .sort((a, b) => b - a),
    k,
  );
  if (ideal === 0) return 0;
  return dcg(ranked.slice(0, k).map((id) => judgments[id] ?? 0), k) / ideal;
}

/** Share of the relevant papers found in the first k; 0 when the query has none. */
export function recallAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  const relevant = Object.values(judgments).filter((g) => g >= RELEVANT).length;
  if (relevant === 0) return 0;
  return ranked.slice(0, k).filter((id) => (judgments[id] ?? 0) >= RELEVANT).length / relevant;
}

/** 1 / rank of the first relevant paper within the first k, else 0. */
export function reciprocalRankAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  const at = ranked.slice(0, k).findIndex((id) => (judgments[id] ?? 0) >= RELEVANT);
  return at < 0 ? 0 : 1 / (at + 1);
}

export function precisionAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  if (k <= 0) return 0;
  return ranked.slice(0, k).filter((id) => (judgments[id] ?? 0) >= RELEVANT).length / k;
}

/** How many of the first k have no judgment at all (0 is a judgment). */
export function unjudgedAt(ranked: readonly string[], judgments: Judgments, k: number): number {
  return ranked.slice(0, k).filter((id) => !(id in judgments)).length;
}

export interface QueryScores {
  ndcg10: number;
  recall10: number;
  mrr10: number;
  p1: number;
  unjudged10: number;
}

/** The figures the harness reports for one ranked list. */
export function scoreRanking(ranked: readonly string[], judgments: Judgments): QueryScores {
  return {
    ndcg10: ndcgAt(ranked, judgments, 10),
    recall10: recallAt(ranked, judgments, 10),
    mrr10: reciprocalRankAt(ranked, judgments, 10),
    p1: precisionAt(ranked, judgments, 1),
    unjudged10: unjudgedAt(ranked, judgments, 10),
  };
}

/** Mean of each figure over queries; unjudged10 is summed (a count of result slots, not a rate). */
export function aggregate(scores: readonly QueryScores[]): QueryScores {
  const n = scores.length || 1;
  const mean = (pick: (s: QueryScores) => number) => scores.reduce((sum, s) => sum + pick(s), 0) / n;
  return {
    ndcg10: mean((s) => s.ndcg10),
    recall10: mean((s) => s.recall10),
    mrr10: mean((s) => s.mrr10),
    p1: mean((s) => s.p1),
    unjudged10: scores.reduce((sum, s) => sum + s.unjudged10, 0),
  };
}
