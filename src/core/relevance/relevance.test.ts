import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShippedEngine } from '../../../test/helpers/shipped-engine';
import type { Embedder } from '../embed/types';
import type { SearchEngine } from '../search';
import { calibrationsFor, NO_MATCH_BELOW, probability, relevanceBand, relevanceOf } from './relevance';

let engine: SearchEngine;
let embedder: Embedder;
beforeAll(async () => {
  ({ engine, embedder } = await openShippedEngine());
});
afterAll(async () => embedder?.dispose());

describe('relevance calibration', () => {
  it('is a logistic function of the standardised features', () => {
    const calibration = { mean: [0.5], scale: [0.1], bias: 0, weights: [2] };
    expect(probability(calibration, [0.5])).toBeCloseTo(0.5, 12);
    expect(probability(calibration, [0.6])).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
  });

  it('rises with cosine and with coverage for the shipped model, and is unknown for a model never fitted', () => {
    const fitted = calibrationsFor('bge-small-en-v1.5');
    const p = (cosine: number | null, coverage: number) => relevanceOf(fitted, 'query', { cosine, coverage }) as number;
    expect(p(0.8, 1)).toBeGreaterThan(p(0.6, 1));
    expect(p(0.7, 1)).toBeGreaterThan(p(0.7, 0));
    expect(p(null, 1)).toBeGreaterThan(p(null, 0.2));
    expect(relevanceOf(calibrationsFor('no-such-model'), 'query', { cosine: 0.9, coverage: 1 })).toBeUndefined();
  });

  it('names fixed bands', () => {
    expect(relevanceBand(0.9).band).toBe('strong');
    expect(relevanceBand(0.5).band).toBe('likely');
    expect(relevanceBand(0.3).band).toBe('possible');
    expect(relevanceBand(0.01).band).toBe('weak');
  });
});

describe('relevance in the engine', () => {

  it('a query with its paper in the corpus has a close match; gibberish and an unrelated field have none', async () => {
    for (const mode of ['hybrid', 'semantic'] as const) {
      const good = await engine.search(embedder, 'sparse autoencoders', { mode });
      expect(good.noCloseMatch).toBe(false);
      expect(good.hits[0].relevance).toBeGreaterThan(0.5);
      for (const text of ['xqzvv wplk', 'chocolate chip cookie recipe']) {
        const bad = await engine.search(embedder, text, { mode });
        expect(bad.noCloseMatch).toBe(true);
        expect(Math.max(...bad.hits.map((h) => h.relevance as number))).toBeLessThan(NO_MATCH_BELOW);
      }
    }
  });

  it('gives a paper the same relevance whichever dims ranked it (full-dim cosine)', async () => {
    const embedding = await embedder.embedQuery('state space models');
    const full = engine.searchText('state space models', embedding, { mode: 'semantic' });
    const low = engine.searchText('state space models', embedding, { mode: 'semantic', dims: 64 });
    const byId = new Map(full.hits.map((h) => [h.paper.id, h.relevance]));
    const shared = low.hits.filter((h) => byId.has(h.paper.id));
    expect(shared.length).toBeGreaterThan(0);
    for (const h of shared) expect(h.relevance).toBeCloseTo(byId.get(h.paper.id) as number, 6);
  });

  it('counts keyword matches beyond k, and says a keyword search that matches nothing has no match', () => {
    const result = engine.searchText('attention', null, { k: 3 });
    expect(result.hits).toHaveLength(3);
    expect(result.keywordMatches?.any).toBeGreaterThan(3);
    expect(result.keywordMatches?.all).toBe(result.keywordMatches?.any);
    const two = engine.searchText('sparse autoencoders', null);
    expect(two.keywordMatches?.all).toBeLessThan(two.keywordMatches?.any as number);
    const none = engine.searchText('xqzvv wplk', null);
    expect(none.hits).toEqual([]);
    expect(none.keywordMatches).toEqual({ all: 0, any: 0 });
    expect(none.noCloseMatch).toBe(true);
  });

  it('highlights the query terms a paper contains, not function words; for similar, rare shared terms', async () => {
    const query = 'embeddings you can shorten without retraining';
    const result = await engine.search(embedder, query);
    for (const hit of result.hits) expect(hit.terms).not.toContain('without');
    const similar = engine.similar('matryoshka-representation-learning');
    const common = new Set(['learn', 'represent', 'model']);
    for (const hit of similar.hits) for (const term of hit.terms ?? []) expect(common.has(term)).toBe(false);
    expect(similar.hits.some((h) => (h.terms ?? []).length > 0)).toBe(true);
    expect(similar.hits[0].relevance).toBeGreaterThan(0);
  });
});

describe('typos and authors', () => {

  it('searches the nearest corpus word when no paper contains a word of the query, and says so', async () => {
    const result = await engine.search(embedder, 'transfromer');
    expect(result.correctedQuery).toBe('transformer');
    expect(result.corrections).toEqual([{ typed: 'transfromer', word: 'transformer' }]);
    expect(result.keywordMatches?.all).toBeGreaterThan(0);
    expect(result.hits[0].terms).toContain('transform');
    // a query with words the corpus has is left as typed, even with a rare word in it
    expect((await engine.search(embedder, 'embeddings you can shorten without retraining')).correctedQuery).toBeUndefined();
    expect(engine.searchText('xqzvv wplk', null).correctedQuery).toBeUndefined();
  });

  it('lists an author’s papers first when the query is their name, and knows when the corpus has no authors', () => {
    expect(engine.hasAuthors).toBe(false);
    expect(engine.searchText('Vaswani', null).authorMatches).toBeUndefined();
    const vector = () => {
      const v = Float32Array.from({ length: engine.dims }, (_, i) => Math.sin(i + 1));
      return v.map((x) => x / Math.hypot(...v));
    };
    const papers = ['Attention Is All You Need', 'Self-attention with relative positions'].map((title, i) => ({
      id: `by-author-${i}`,
      title,
      abstract: 'A sequence transduction model based on attention.',
      authors: i === 0 ? ['Ashish Vaswani', 'Noam Shazeer'] : ['Peter Shaw', 'Ashish Vaswani', 'Lena Transformar'],
      date: null,
      sources: ['test'],
      imported: true,
    }));
    const block = new Float32Array(engine.dims * 2);
    block.set(vector(), 0);
    block.set(vector(), engine.dims);
    engine.addPapers(papers, block);
    expect(engine.hasAuthors).toBe(true);
    for (const query of ['Vaswani', 'ashish vaswani']) {
      const result = engine.searchText(query, null);
      expect(result.authorMatches).toEqual({ names: ['Ashish Vaswani'], papers: 2 });
      expect(result.hits.slice(0, 2).map((h) => h.author)).toEqual(['Ashish Vaswani', 'Ashish Vaswani']);
      expect(result.noCloseMatch).toBe(false);
    }
    expect(engine.searchText('Noam Vaswani', null).authorMatches).toBeUndefined();
    // A name in no paper's text, a letter from a corpus word: it is not 'corrected' to that word.
    const named = engine.searchText('Transformar', null);
    expect(named.correctedQuery).toBeUndefined();
    expect(named.authorMatches).toEqual({ names: ['Lena Transformar'], papers: 1 });
  });
});
