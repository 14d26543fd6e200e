import { describe, expect, it } from 'vitest';
import { aggregate, dcg, ndcgAt, precisionAt, recallAt, reciprocalRankAt, scoreRanking, unjudgedAt } from './metrics';

// a is fully relevant, c partly, e fully relevant but never retrieved, x judged not relevant.
const judgments = { a: 2, c: 1, e: 2, x: 0 };
const ranked = ['a', 'b', 'c', 'd'];

describe('metrics, against hand-computed values', () => {
  it('dcg: gain / log2(rank + 1)', () => {
    // 2/1 + 0/log2(3) + 1/2 + 0/log2(5)
    expect(dcg([2, 0, 1, 0], 4)).toBeCloseTo(2.5, 12);
    expect(dcg([2, 0, 1, 0], 1)).toBe(2);
    expect(dcg([], 10)).toBe(0);
  });

  it('ndcg: the ideal ranking uses every judged grade, retrieved or not', () => {
    // ideal [2, 2, 1] → 2 + 2/log2(3) + 1/2 = 3.761859507142915
    expect(ndcgAt(ranked, judgments, 4)).toBeCloseTo(2.5 / 3.761859507142915, 12);
    expect(ndcgAt(['a', 'e', 'c'], judgments, 10)).toBeCloseTo(1, 12);
    // cut at 1: dcg 2, ideal 2
    expect(ndcgAt(ranked, judgments, 1)).toBe(1);
    expect(ndcgAt(['x', 'b'], judgments, 10)).toBe(0);
  });

  it('ndcg is 0, not NaN, for a query without relevant papers', () => {
    expect(ndcgAt(['a'], { a: 0 }, 10)).toBe(0);
  });

  it('recall counts grade ≥ 1 papers found in the first k', () => {
    expect(recallAt(ranked, judgments, 4)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(ranked, judgments, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(ranked, {}, 10)).toBe(0);
  });

  it('reciprocal rank of the first relevant paper, 0 beyond k', () => {
    expect(reciprocalRankAt(ranked, judgments, 10)).toBe(1);
    expect(reciprocalRankAt(['b', 'x', 'c'], judgments, 10)).toBeCloseTo(1 / 3, 12);
    expect(reciprocalRankAt(['b', 'x', 'c'], judgments, 2)).toBe(0);
  });

  it('precision at k', () => {
    expect(precisionAt(ranked, judgments, 1)).toBe(1);
    expect(precisionAt(['b', 'a'], judgments, 1)).toBe(0);
    expect(precisionAt(ranked, judgments, 4)).toBe(0.5);
  });

  it('unjudged counts only papers with no grade at all', () => {
    expect(unjudgedAt(ranked, judgments, 10)).toBe(2);
    expect(unjudgedAt(['x', 'a'], judgments, 10)).toBe(0);
  });

  it('aggregate averages the rates and sums the unjudged slots', () => {
    const one = scoreRanking(ranked, judgments);
    const two = scoreRanking(['b', 'c'], judgments);
    expect(two.mrr10).toBe(0.5);
    expect(two.p1).toBe(0);
    const all = aggregate([one, two]);
    expect(all.mrr10).toBeCloseTo(0.75, 12);
    expect(all.p1).toBe(0.5);
    expect(all.unjudged10).toBe(3);
    expect(all.recall10).toBeCloseTo((2 / 3 + 1 / 3) / 2, 12);
  });
});
