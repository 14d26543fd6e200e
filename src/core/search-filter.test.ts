/**
 * Filters and date sort inside the engine, on a synthetic corpus large enough that a wide filter walks
 * the HNSW graph and a narrow one is scanned (FILTERED_SCAN_BELOW): both must return only papers that
 * pass, and the same papers an exact search of the filtered subset finds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { clusteredUnitVectors } from '../../test/helpers/random';
import { buildArtifacts } from './build';
import type { Embedder } from './embed/types';
import { paperMatcher, type PaperFilter } from './filter';
import { getModel } from './models';
import { FILTERED_SCAN_BELOW, SearchEngine } from './search';
import type { Paper } from './types';
import { ExactIndex } from './index/exact';
import { rotateVector } from './matryoshka/rotation';
import { normaliseInPlace, prefixRows, prefixVector } from './vectors';

const DIMS = 32;
const N = 5000;
const TOPICS = ['graph', 'quantum', 'protein', 'galaxy', 'language'];

function paperAt(i: number): Paper {
  const dated = i % 50 !== 7;
  return {
    id: `p${i}`,
    title: `Paper ${i} on ${TOPICS[i % TOPICS.length]} methods`,
    abstract: `We study ${TOPICS[i % TOPICS.length]} problems and ${TOPICS[(i * 7) % TOPICS.length]} data.`,
    authors: null,
    date: null,
    sources: [],
    ...(dated ? { published: `${2000 + (i % 20)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}` } : {}),
    categories: i % 4 === 0 ? ['stat.ML', 'cs.LG'] : [['cs.LG', 'cs.CL', 'hep-ph'][i % 3]],
  };
}

const papers = Array.from({ length: N }, (_, i) => paperAt(i));
const vectors = clusteredUnitVectors(N + 20, DIMS, 40, 11);
const queries = Array.from({ length: 20 }, (_, i) => vectors.slice((N + i) * DIMS, (N + i + 1) * DIMS));

/** Stand-in model: the corpus's vectors in order, so the build is fast and deterministic. */
const embedder: Embedder = {
  model: { ...getModel('bge-small-en-v1.5'), dims: DIMS },
  dtype: 'q8',
  backend: 'cpu',
  embedDocuments: async (texts) => vectors.slice(0, texts.length * DIMS),
  embedQuery: async () => queries[0],
  dispose: async () => {},
};

let engine: SearchEngine;
let rotation: Float32Array;
beforeAll(async () => {
  const { artifacts } = await buildArtifacts(papers, embedder, { corpusHash: 'test', createdBy: 'test' });
  rotation = artifacts.rotation;
  engine = await SearchEngine.open(artifacts);
}, 60_000);

/** The true top k of the filtered subset: every passing paper compared with the rotated query, at `dims`. */
function exactTop(query: Float32Array, filter: PaperFilter, k: number, dims = DIMS): { ids: string[]; scores: number[] } {
  const passes = paperMatcher(filter);
  const rotated = rotateVector(rotation, DIMS, query);
  normaliseInPlace(rotated);
  const brute = new ExactIndex(dims);
  brute.add(dims === DIMS ? engine.vectors : prefixRows(engine.vectors, DIMS, dims));
  const found = brute.search(dims === DIMS ? rotated : prefixVector(rotated, dims), k, { keep: (row) => passes(papers[row]) });
  return { ids: found.labels.map((row) => papers[row].id), scores: found.scores };
}

const ids = (r: { hits: { paper: Paper }[] }) => r.hits.map((h) => h.paper.id);

describe('filters inside retrieval', () => {
  const wide: PaperFilter = { yearFrom: 2000, yearTo: 2014 };
  const narrow: PaperFilter = { yearFrom: 2003, yearTo: 2003, category: 'cs' };

  it('the two test filters take the two paths', () => {
    const count = (f: PaperFilter) => papers.filter(paperMatcher(f)).length;
    expect(count(wide)).toBeGreaterThan(FILTERED_SCAN_BELOW);
    expect(count(narrow)).toBeLessThanOrEqual(FILTERED_SCAN_BELOW);
    expect(count(narrow)).toBeGreaterThan(10);
  });

  for (const [name, filter, minRecall] of [
    ['a wide filter (HNSW walk)', wide, 0.9],
    ['a narrow filter (exact scan)', narrow, 1],
  ] as const) {
    it(`${name}: only passing papers, a full list, and the exact top 10 of the subset`, () => {
      const passes = paperMatcher(filter);
      let found = 0;
      for (const query of queries) {
        const result = engine.searchEmbedding(query, { k: 10, exact: false, filter });
        expect(result.hits).toHaveLength(10);
        expect(result.hits.every((h) => passes(h.paper))).toBe(true);
        expect(result.matching).toBe(papers.filter(passes).length);
        const truth = exactTop(query, filter, 10).ids;
        found += ids(result).filter((id) => truth.includes(id)).length;
      }
      expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(minRecall);
    });
  }

  it('adaptive search and prefix dims keep the filter', () => {
    const filter: PaperFilter = { category: 'hep-ph' };
    const passes = paperMatcher(filter);
    const result = engine.searchEmbedding(queries[3], { k: 10, exact: false, filter, dims: 16, adaptive: true });
    expect(result.hits).toHaveLength(10);
    expect(result.hits.every((h) => passes(h.paper))).toBe(true);
  });

  it('a narrow scan at prefix dims ranks as the prefix index does', () => {
    const filter: PaperFilter = { yearFrom: 2011, yearTo: 2011 };
    const scanned = engine.searchEmbedding(queries[5], { k: 10, exact: false, filter, dims: 16 });
    const want = exactTop(queries[5], filter, 10, 16);
    expect(ids(scanned)).toEqual(want.ids);
    scanned.hits.forEach((h, i) => expect(h.score).toBeCloseTo(want.scores[i], 5));
  });

  it('keyword, hybrid and similar searches keep the filter', () => {
    const filter: PaperFilter = { category: 'cs.CL', yearFrom: 2010 };
    const passes = paperMatcher(filter);
    const lexical = engine.searchText('quantum data', null, { filter, k: 20 });
    expect(lexical.mode).toBe('lexical');
    expect(lexical.hits).toHaveLength(20);
    expect(lexical.hits.every((h) => passes(h.paper))).toBe(true);
    // The filtered keyword list is the unfiltered one with the failing papers taken out.
    const all = engine.searchText('quantum data', null, { k: 1000 });
    expect(ids(lexical)).toEqual(all.hits.filter((h) => passes(h.paper)).slice(0, 20).map((h) => h.paper.id));

    const hybrid = engine.searchText('quantum data', queries[1], { filter });
    expect(hybrid.hits).toHaveLength(10);
    expect(hybrid.hits.every((h) => passes(h.paper))).toBe(true);

    const similar = engine.similar('p1', { filter, exact: false });
    expect(similar.hits.every((h) => passes(h.paper) && h.paper.id !== 'p1')).toBe(true);
    expect(similar.hits).toHaveLength(10);
  });

  it('a filter no paper passes says so, with the filter in the message', () => {
    expect(() => engine.searchEmbedding(queries[0], { filter: { yearFrom: 1990, yearTo: 1995 } })).toThrow(
      expect.objectContaining({ code: 'no-match', message: expect.stringContaining('1990–1995') }),
    );
    expect(() => engine.searchText('graph', null, { filter: { category: 'astro-ph' } })).toThrow(expect.objectContaining({ code: 'no-match' }));
  });

  it('refuses a backwards year range and an unknown sort', () => {
    expect(() => engine.searchEmbedding(queries[0], { filter: { yearFrom: 2010, yearTo: 2001 } })).toThrow(
      expect.objectContaining({ code: 'invalid-option' }),
    );
    expect(() => engine.searchEmbedding(queries[0], { sort: 'oldest' as never })).toThrow(expect.objectContaining({ code: 'invalid-option' }));
  });

  it('papers without a year fail a year filter but pass a category filter', () => {
    const undated = engine.searchText('Paper 7 graph', null, { k: 1000, filter: { category: 'cs.LG' } });
    expect(undated.hits.some((h) => h.paper.published === undefined)).toBe(true);
    const dated = engine.searchText('Paper 7 graph', null, { k: 1000, filter: { yearFrom: 2000 } });
    expect(dated.hits.every((h) => h.paper.published !== undefined)).toBe(true);
  });
});

describe('date sort', () => {
  it('orders the same most relevant papers newest first, undated last', () => {
    const relevance = engine.searchText('Paper 7 graph methods', null, { k: 30 });
    const byDate = engine.searchText('Paper 7 graph methods', null, { k: 30, sort: 'date' });
    expect(byDate.sort).toBe('date');
    expect(relevance.sort).toBe('relevance');
    expect(ids(byDate).sort()).toEqual(ids(relevance).sort());
    expect(ids(byDate)).not.toEqual(ids(relevance));
    const dates = byDate.hits.map((h) => h.paper.published ?? '');
    const dated = dates.filter(Boolean);
    expect(dated).toEqual([...dated].sort().reverse());
    expect(dates.slice(dated.length).every((d) => d === '')).toBe(true);
  });
});

describe('facets', () => {
  it('counts years and categories of the live papers', () => {
    const facets = engine.facets();
    expect(facets.papers).toBe(N);
    expect(facets.dated).toBe(papers.filter((p) => p.published).length);
    expect(facets.years.map((y) => y.year)).toEqual(Array.from({ length: 20 }, (_, i) => 2000 + i));
    expect(facets.years.reduce((sum, y) => sum + y.count, 0)).toBe(facets.dated);
    const count = (value: string) => facets.categories.find((c) => c.value === value)?.count;
    expect(count('stat.ML')).toBe(papers.filter((p) => p.categories?.includes('stat.ML')).length);
    expect(count('cs.LG')).toBe(papers.filter((p) => p.categories?.includes('cs.LG')).length);
    // "cs" groups cs.LG and cs.CL; stat has one category and is offered as stat.ML alone.
    expect(facets.archives).toEqual([{ value: 'cs', count: papers.filter(paperMatcher({ category: 'cs' })).length }]);
    expect(facets.categorised).toBe(N);
  });
});
