import { describe, expect, it } from 'vitest';
import { clusteredUnitVectors } from '../../../test/helpers/random';
import { isPapersiftError } from '../errors';
import { ExactIndex } from './exact';

const DIMS = 48;
const ROWS = 500;
const vectors = clusteredUnitVectors(ROWS + 20, DIMS, 12, 7);
const corpus = vectors.subarray(0, ROWS * DIMS);
const queries = Array.from({ length: 20 }, (_, i) => vectors.subarray((ROWS + i) * DIMS, (ROWS + i + 1) * DIMS));

/** The reference: every row scored, sorted by cosine. */
function naiveTopK(query: Float32Array, k: number, skip: (row: number) => boolean = () => false) {
  const scored: { row: number; score: number }[] = [];
  for (let row = 0; row < ROWS; row++) {
    if (skip(row)) continue;
    let score = 0;
    for (let j = 0; j < DIMS; j++) score += corpus[row * DIMS + j] * query[j];
    scored.push({ row, score });
  }
  return scored.sort((a, b) => b.score - a.score).slice(0, k);
}

function filled(): ExactIndex {
  const index = new ExactIndex(DIMS);
  index.add(corpus);
  return index;
}

function expectIndexError(run: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    run();
  } catch (e) {
    thrown = e;
  }
  expect(isPapersiftError(thrown, 'index'), `expected PapersiftError('index'), got ${String(thrown)}`).toBe(true);
  expect((thrown as Error).message).toMatch(message);
}

describe('ExactIndex', () => {
  it('returns the true top k, best first, with cosine scores', () => {
    const index = filled();
    expect(index.size).toBe(ROWS);
    for (const query of queries) {
      const expected = naiveTopK(query, 10);
      const found = index.search(query, 10);
      expect(found.labels).toEqual(expected.map((e) => e.row));
      found.scores.forEach((score, i) => expect(score).toBeCloseTo(expected[i].score, 6));
      expect(found.distanceEvaluations).toBe(ROWS);
    }
  });

  it('returns every row when k exceeds the size', () => {
    const found = filled().search(queries[0], ROWS + 50);
    expect(found.labels).toHaveLength(ROWS);
    expect(new Set(found.labels).size).toBe(ROWS);
  });

  it('skips excluded labels and still returns k', () => {
    const index = filled();
    const query = corpus.subarray(3 * DIMS, 4 * DIMS);
    const exclude = new Set(naiveTopK(query, 5).map((e) => e.row));
    const found = index.search(query, 10, { exclude });
    expect(found.labels).toEqual(naiveTopK(query, 10, (row) => exclude.has(row)).map((e) => e.row));
  });

  it('never returns a removed label; removing twice is a no-op', () => {
    const index = filled();
    const query = queries[1];
    const [first, second] = naiveTopK(query, 2);
    index.remove(first.row);
    index.remove(first.row);
    expect(index.size).toBe(ROWS - 1);
    const found = index.search(query, 10);
    expect(found.labels).not.toContain(first.row);
    expect(found.labels[0]).toBe(second.row);
    expect(found.distanceEvaluations).toBe(ROWS - 1);
  });

  it('keeps caller-given labels and continues default labels after the largest', () => {
    const index = new ExactIndex(DIMS);
    index.add(corpus.subarray(0, 2 * DIMS), [40, 7]);
    index.add(corpus.subarray(2 * DIMS, 3 * DIMS));
    expect(index.search(corpus.subarray(2 * DIMS, 3 * DIMS), 1).labels).toEqual([41]);
    expect(index.search(corpus.subarray(0, DIMS), 1).labels).toEqual([40]);
  });

  it('gives the same answers when filled in small batches', () => {
    const batched = new ExactIndex(DIMS, 3);
    for (let row = 0; row < ROWS; row += 37) batched.add(corpus.subarray(row * DIMS, Math.min(ROWS, row + 37) * DIMS));
    const whole = filled();
    for (const query of queries) expect(batched.search(query, 10)).toEqual(whole.search(query, 10));
  });

  it('round-trips through bytes, removed labels included', async () => {
    const index = filled();
    index.remove(11);
    const copy = ExactIndex.fromBytes(await index.toBytes());
    expect(copy.size).toBe(ROWS - 1);
    for (const query of queries) expect(copy.search(query, 10)).toEqual(index.search(query, 10));
    expectIndexError(() => copy.add(corpus.subarray(0, DIMS), [11]), /already in the index/);
    copy.add(corpus.subarray(0, DIMS));
    expect(copy.search(corpus.subarray(0, DIMS), 2).labels.sort()).toEqual([0, ROWS]);
  });

  it('refuses bytes of another kind with artifacts-format', async () => {
    const bytes = await filled().toBytes();
    expect(() => ExactIndex.fromBytes(new Uint8Array(64))).toThrow(/not an exact index/);
    expect(() => ExactIndex.fromBytes(bytes.subarray(0, bytes.length - 1))).toThrow(/should be/);
    try {
      ExactIndex.fromBytes(new Uint8Array(64));
    } catch (e) {
      expect(isPapersiftError(e, 'artifacts-format')).toBe(true);
    }
  });

  it('refuses bad input with PapersiftError("index") and a clear message', () => {
    const index = filled();
    expectIndexError(() => index.search(new Float32Array(DIMS + 1), 5), /query has 49 dimensions; the index has 48/);
    expectIndexError(() => index.search(queries[0], 0), /k must be a whole number/);
    expectIndexError(() => index.search(new Float32Array(DIMS).fill(Number.NaN), 5), /NaN/);
    expectIndexError(() => index.add(new Float32Array(DIMS + 3)), /not a whole number of 48-d rows/);
    expectIndexError(() => index.add(new Float32Array(DIMS * 2), [ROWS + 1]), /1 labels for 2 vectors/);
    expectIndexError(() => index.add(new Float32Array(DIMS).fill(Number.POSITIVE_INFINITY)), /Vector 0 contains Infinity/);
    expectIndexError(() => index.add(new Float32Array(DIMS), [5]), /Label 5 is already in the index/);
    expectIndexError(() => index.add(new Float32Array(DIMS), [-1]), /whole number from 0/);
    expectIndexError(() => index.remove(ROWS + 99), /not in the index/);
    expect(index.size).toBe(ROWS);
  });

  it('refuses use after dispose', () => {
    const index = filled();
    index.dispose();
    expectIndexError(() => index.search(queries[0], 1), /disposed/);
  });
});
