import { describe, expect, it, vi } from 'vitest';
import { clusteredUnitVectors } from '../../../test/helpers/random';
import { isPapersiftError } from '../errors';
import { ExactIndex } from './exact';
import { HnswIndex } from './hnsw';

const DIMS = 64;
const ROWS = 2000;
const QUERIES = 100;
// Queries come from the same clusters as the corpus but are not in it.
const vectors = clusteredUnitVectors(ROWS + QUERIES, DIMS, 40, 11);
const corpus = vectors.subarray(0, ROWS * DIMS);
const queries = Array.from({ length: QUERIES }, (_, i) => vectors.subarray((ROWS + i) * DIMS, (ROWS + i + 1) * DIMS));
const rowOf = (row: number) => corpus.subarray(row * DIMS, (row + 1) * DIMS);

const exact = new ExactIndex(DIMS);
exact.add(corpus);

async function built(rows = ROWS): Promise<HnswIndex> {
  const index = await HnswIndex.create(DIMS, rows);
  index.add(corpus.subarray(0, rows * DIMS));
  return index;
}

function recallAt10(index: HnswIndex): number {
  let hits = 0;
  for (const query of queries) {
    const truth = new Set(exact.search(query, 10).labels);
    hits += index.search(query, 10).labels.filter((label) => truth.has(label)).length;
  }
  return hits / (10 * QUERIES);
}

async function expectRejection(run: () => unknown, code: string, message: RegExp): Promise<void> {
  let thrown: unknown;
  try {
    await run();
  } catch (e) {
    thrown = e;
  }
  expect(isPapersiftError(thrown), `expected a PapersiftError, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: string }).code).toBe(code);
  expect((thrown as Error).message).toMatch(message);
}

describe('HnswIndex', () => {
  it('finds at least 95% of the true top 10, with cosine scores', async () => {
    const index = await built();
    expect(index.size).toBe(ROWS);
    expect(recallAt10(index)).toBeGreaterThanOrEqual(0.95);
    const found = index.search(queries[0], 10);
    const truth = exact.search(queries[0], ROWS);
    const cosineOf = new Map(truth.labels.map((label, i) => [label, truth.scores[i]]));
    found.labels.forEach((label, i) => expect(found.scores[i]).toBeCloseTo(cosineOf.get(label)!, 5));
    expect(found.scores).toEqual([...found.scores].sort((a, b) => b - a));
    expect(found.distanceEvaluations).toBeNaN();
    index.dispose();
  });

  it('gives identical results after toBytes → fromBytes', async () => {
    const index = await HnswIndex.create(DIMS, ROWS, { m: 12, efConstruction: 100, efSearch: 40 });
    index.add(corpus);
    index.remove(17);
    const copy = await HnswIndex.fromBytes(await index.toBytes(), DIMS);
    expect([copy.size, copy.m, copy.efConstruction, copy.efSearch]).toEqual([ROWS - 1, 12, 100, 40]);
    for (const query of queries) expect(copy.search(query, 10)).toEqual(index.search(query, 10));
    await expectRejection(() => copy.add(rowOf(17), [17]), 'index', /Label 17 was removed/);
    copy.add(rowOf(3));
    expect(copy.search(rowOf(3), 2).labels.sort((a, b) => a - b)).toEqual([3, ROWS]);
    const tuned = await HnswIndex.fromBytes(await index.toBytes(), DIMS, { efSearch: 200 });
    expect(tuned.efSearch).toBe(200);
    for (const index of [copy, tuned]) index.dispose();
  });

  it('keeps two indexes apart, even with their byte transfers interleaved', async () => {
    const [small, large] = await Promise.all([built(300), built()]);
    const [smallBytes, largeBytes] = await Promise.all([small.toBytes(), large.toBytes()]);
    const [smallCopy, largeCopy] = await Promise.all([HnswIndex.fromBytes(smallBytes, DIMS), HnswIndex.fromBytes(largeBytes, DIMS)]);
    expect([smallCopy.size, largeCopy.size]).toEqual([300, ROWS]);
    for (const query of queries.slice(0, 20)) {
      expect(smallCopy.search(query, 10)).toEqual(small.search(query, 10));
      expect(largeCopy.search(query, 10)).toEqual(large.search(query, 10));
      expect(Math.max(...smallCopy.search(query, 10).labels)).toBeLessThan(300);
    }
    for (const index of [small, large, smallCopy, largeCopy]) index.dispose();
  });

  it('grows past the capacity it was created with', async () => {
    const index = await HnswIndex.create(DIMS, 10);
    for (let row = 0; row < 600; row += 50) index.add(corpus.subarray(row * DIMS, (row + 50) * DIMS));
    expect(index.size).toBe(600);
    expect(index.capacity).toBeGreaterThanOrEqual(600);
    for (const row of [0, 299, 599]) expect(index.search(rowOf(row), 1).labels).toEqual([row]);
    index.dispose();
  });

  it('skips excluded labels and never returns removed ones', async () => {
    const index = await built(500);
    const query = rowOf(42);
    const nearest = index.search(query, 6).labels;
    expect(nearest[0]).toBe(42);
    const found = index.search(query, 5, { exclude: new Set([42]) });
    expect(found.labels).toEqual(nearest.slice(1));
    index.remove(nearest[1]);
    index.remove(nearest[1]);
    expect(index.size).toBe(499);
    expect(index.search(query, 5).labels).toEqual([42, ...nearest.slice(2)]);
    expect(index.search(query, 1000).labels).toHaveLength(499);
    index.dispose();
  });

  it('refuses bad input with a PapersiftError and a clear message', async () => {
    const index = await built(50);
    await expectRejection(() => index.search(new Float32Array(DIMS - 1), 5), 'index', /query has 63 dimensions; the index has 64/);
    await expectRejection(() => index.add(new Float32Array(DIMS + 1)), 'index', /not a whole number of 64-d rows/);
    await expectRejection(() => index.add(rowOf(0), [3]), 'index', /Label 3 is already in the index/);
    await expectRejection(() => index.search(rowOf(0), 5, { efSearch: 0 }), 'index', /efSearch must be a whole number/);
    await expectRejection(() => index.remove(9999), 'index', /Label 9999 is not in the index/);
    await expectRejection(() => HnswIndex.create(DIMS, 10, { m: 1 }), 'index', /m must be a whole number of at least 2/);
    const bytes = await index.toBytes();
    await expectRejection(() => HnswIndex.fromBytes(bytes, 32), 'artifacts-format', /holds 64-d vectors; 32-d were expected/);
    await expectRejection(() => HnswIndex.fromBytes(new Uint8Array(100), DIMS), 'artifacts-format', /not an HNSW index/);
    expect(index.size).toBe(50);
    index.dispose();
    await expectRejection(() => index.search(rowOf(0), 1), 'index', /disposed/);
  });

  it('keeps the library chatter out of the console', async () => {
    const index = await built(100);
    const log = vi.spyOn(console, 'log');
    const warn = vi.spyOn(console, 'warn');
    try {
      const copy = await HnswIndex.fromBytes(await index.toBytes(), DIMS);
      copy.dispose();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect([...log.mock.calls, ...warn.mock.calls]).toEqual([]);
    } finally {
      log.mockRestore();
      warn.mockRestore();
      index.dispose();
    }
  });
});
