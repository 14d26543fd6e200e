import { describe, expect, it } from 'vitest';
import { confidence, confidenceWeights, fuseRrf, fuseScores, type Scored } from './fuse';
import { coverageWeighted, fuseHybrid, hybridSearch } from './hybrid';
import { rocchio } from './prf';
import { candidateVectors, smoothOverNeighbours } from './smooth';

const list = (...rows: [number, number][]): Scored[] => rows.map(([row, score]) => ({ row, score }));

describe('fuseRrf', () => {
  it('sums w / (k + rank) over the lists, ranks from 1', () => {
    const fused = fuseRrf([list([1, 9], [2, 8]), list([2, 0.9], [3, 0.8])], { k: 60 });
    expect(fused.map((s) => s.row)).toEqual([2, 1, 3]);
    expect(fused[0].score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1].score).toBeCloseTo(1 / 61, 12);
    expect(fused[2].score).toBeCloseTo(1 / 62, 12);
  });

  it('weights a list', () => {
    const fused = fuseRrf([list([1, 9]), list([2, 9])], { weights: [1, 2] });
    expect(fused.map((s) => s.row)).toEqual([2, 1]);
    expect(fused[0].score).toBeCloseTo(2 / 61, 12);
  });
});

describe('fuseScores', () => {
  it('min-max: (score − min) / range per list, summed; an absent row adds 0', () => {
    const fused = fuseScores([list([1, 10], [2, 5], [3, 0]), list([3, 1], [4, 0.5])], { normalisation: 'minmax' });
    // row 1: 1 + 0; row 3: 0 + 1; row 2: 0.5; row 4: 0
    expect(fused).toEqual([
      { row: 1, score: 1 },
      { row: 3, score: 1 },
      { row: 2, score: 0.5 },
      { row: 4, score: 0 },
    ]);
  });

  it('z-score: (score − min) / standard deviation, with list and candidate weights', () => {
    // scores 3, 1: mean 2, sd 1 → normalised 2, 0
    const fused = fuseScores([[{ row: 1, score: 3, weight: 0.5 }, { row: 2, score: 1 }], list([2, 4], [1, 2])], {
      normalisation: 'zscore',
      weights: [1, 2],
    });
    const byRow = new Map(fused.map((s) => [s.row, s.score]));
    expect(byRow.get(1)).toBeCloseTo(0.5 * 2 + 2 * 0, 12);
    expect(byRow.get(2)).toBeCloseTo(0 + 2 * 2, 12);
  });

  it('a list of equal scores adds nothing, an empty list is skipped, ties go to the lower row', () => {
    expect(fuseScores([list([5, 1], [4, 1]), []], { normalisation: 'zscore' })).toEqual([
      { row: 4, score: 0 },
      { row: 5, score: 0 },
    ]);
  });
});

describe('confidence', () => {
  it('is the top score’s lead over the rest, relative to the range', () => {
    // top 1, rest mean (0.5 + 0) / 2 = 0.25, range 1
    expect(confidence(list([1, 1], [2, 0.5], [3, 0]))).toBeCloseTo(0.75, 12);
    expect(confidence(list([1, 1], [2, 1]))).toBe(0);
    expect(confidence(list([1, 1]))).toBe(0);
  });

  it('weights sum to the number of sides; equal when nobody is confident', () => {
    const w = confidenceWeights([list([1, 1], [2, 0.5], [3, 0]), list([1, 1], [2, 0.9], [3, 0])]);
    expect(w[0] + w[1]).toBeCloseTo(2, 12);
    expect(w[0]).toBeGreaterThan(w[1]);
    expect(confidenceWeights([list([1, 1], [2, 1]), []])).toEqual([1, 1]);
  });
});

describe('rocchio', () => {
  it('moves the query toward the centroid of the feedback rows and re-normalises', () => {
    const vectors = new Float32Array([1, 0, 0, 1, 0, 1]); // rows: e1, e2, e2
    const moved = rocchio(new Float32Array([1, 0]), vectors, 2, [1, 2], 1);
    expect(moved[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(moved[1]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('returns a copy of the query when there is no feedback', () => {
    const q = new Float32Array([0.6, 0.8]);
    const out = rocchio(q, new Float32Array(0), 2, [], 0.5);
    expect(Array.from(out)).toEqual(Array.from(q));
    expect(out).not.toBe(q);
  });
});

describe('hybrid fusion', () => {
  it('scales every lexical hit by its coverage: a low-coverage match cannot outrank the semantic favourite', () => {
    const lexical = [
      { row: 7, score: 10, coverage: 0.1 },
      { row: 1, score: 1, coverage: 0.1 },
    ];
    const semantic = list([1, 0.9], [7, 0.5], [3, 0.1]);
    expect(fuseHybrid(lexical, semantic)[0].row).toBe(1);
    // the same lexical hit covering the whole query wins
    expect(fuseHybrid([{ ...lexical[0], coverage: 1 }, lexical[1]], semantic)[0].row).toBe(7);
    expect(coverageWeighted(lexical)).toEqual([
      { row: 7, score: 10, weight: 0.1 },
      { row: 1, score: 1, weight: 0.1 },
    ]);
  });

  it('hybridSearch feeds the first fused top back into the query vector and searches again', () => {
    // 2-d corpus: rows 0 and 1 point along e1, row 2 along e2.
    const vectors = new Float32Array([1, 0, 1, 0, 0, 1]);
    const queries: Float32Array[] = [];
    const searchVector = (q: Float32Array) => {
      queries.push(q);
      return [0, 1, 2].map((row) => ({ row, score: q[0] * vectors[row * 2] + q[1] * vectors[row * 2 + 1] })).sort((a, b) => b.score - a.score);
    };
    const ranked = hybridSearch({
      lexical: [{ row: 2, score: 5, coverage: 1 }],
      query: new Float32Array([Math.SQRT1_2, Math.SQRT1_2]),
      vectors,
      dims: 2,
      searchVector,
    });
    expect(queries).toHaveLength(2);
    // the feedback (the top three: every row, centroid (2/3, 1/3)) pulls the query toward e1
    expect(queries[1][0]).toBeGreaterThan(queries[1][1]);
    expect(ranked.map((s) => s.row).sort()).toEqual([0, 1, 2]);
  });
});

describe('smoothOverNeighbours', () => {
  // Rows 0–2 point one way, row 3 the other (2-d unit vectors).
  const vectors = new Float32Array([1, 0, 0.96, 0.28, 0.8, 0.6, 0, 1]);

  it('mixes each score with the mean of its nearest fellow candidates: an isolated top hit sinks', () => {
    const candidates = list([3, 1], [0, 0.9], [1, 0.8], [2, 0.2]);
    const smoothed = smoothOverNeighbours(candidates, candidateVectors(candidates, vectors, 2, 10), 2, 10, 1, 0.5);
    // nearest: 3 → 2, 0 → 1, 1 → 0, 2 → 1
    expect(smoothed.map((s) => s.row)).toEqual([0, 1, 3, 2]);
    expect(smoothed.map((s) => s.score)).toEqual([0.85, 0.85, 0.6, 0.5].map((x) => expect.closeTo(x, 12)));
  });

  it('keeps only the first `depth` candidates, and a list too short to smooth as it is', () => {
    const three = list([0, 3], [1, 2], [2, 1]);
    expect(smoothOverNeighbours(three, candidateVectors(three, vectors, 2, 2), 2, 2).map((s) => s.row)).toEqual([0, 1]);
    expect(smoothOverNeighbours(list([2, 5]), vectors.subarray(4, 6), 2, 10)).toEqual(list([2, 5]));
  });
});
