import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShippedEngine } from '../../test/helpers/shipped-engine';
import type { Embedder } from './embed/types';
import { isPapersiftError } from './errors';
import { pastedPaper } from './pasted-paper';
import { SearchEngine, checkQueryText, MAX_QUERY_CHARS } from './search';

let engine: SearchEngine;
let embedder: Embedder;

beforeAll(async () => {
  ({ engine, embedder } = await openShippedEngine());
});
afterAll(async () => embedder?.dispose());

const SEMANTIC = { mode: 'semantic' } as const;
const ids = (r: { hits: { paper: { id: string } }[] }) => r.hits.map((h) => h.paper.id);
const overlap = (a: string[], b: string[]) => a.filter((x) => b.includes(x)).length / b.length;
/** A spread of papers used as "similar" queries, so properties hold across the corpus, not for one paper. */
const sampleIds = () => engine.papers.filter((_, i) => i % 7 === 0).map((p) => p.id);

describe('SearchEngine: text queries', () => {
  it('puts the paper a query names first', async () => {
    const result = await engine.search(embedder, 'Matryoshka representation learning: nested embeddings of many sizes');
    expect(result.hits[0].paper.title).toBe('Matryoshka Representation Learning');
    expect(result.hits).toHaveLength(10);
    for (let i = 1; i < result.hits.length; i++) expect(result.hits[i].score).toBeLessThanOrEqual(result.hits[i - 1].score);
  });

  it('refuses an empty query and cuts a huge one', async () => {
    await expect(engine.search(embedder, '   \n ')).rejects.toMatchObject({ code: 'empty-query' });
    expect(checkQueryText('x'.repeat(50_000))).toHaveLength(MAX_QUERY_CHARS);
    const huge = await engine.search(embedder, 'sparse autoencoders '.repeat(2000), { k: 3 });
    expect(huge.hits).toHaveLength(3);
  });

  it('answers emoji and right-to-left text without failing', async () => {
    expect((await engine.search(embedder, '🔍📄 retrieval')).hits.length).toBe(10);
    expect((await engine.search(embedder, 'نماذج اللغة الكبيرة')).hits.length).toBe(10);
  });
});

describe('SearchEngine: modes', () => {
  it('answers lexically before the model is ready, and says so', () => {
    const result = engine.searchText('sparse autoencoders monosemantic features', null);
    expect(result.mode).toBe('lexical');
    expect(result.hits[0].terms?.length).toBeGreaterThan(0);
  });

  it('hybrid keeps a keyword hit that semantic search alone ranks lower, and lists matched terms', async () => {
    const query = 'matryoshka embeddings';
    const embedding = await embedder.embedQuery(query);
    const hybrid = engine.searchText(query, embedding);
    const lexical = engine.searchText(query, embedding, { mode: 'lexical' });
    expect(hybrid.mode).toBe('hybrid');
    const matryoshka = engine.papers.filter((p) => /matryoshka/i.test(p.title)).map((p) => p.id);
    expect(matryoshka.length).toBeGreaterThanOrEqual(2);
    // Both Matryoshka papers lead the fused list, as they lead the lexical one.
    expect(ids(hybrid).slice(0, 2).sort()).toEqual(matryoshka.sort());
    expect(ids(lexical).slice(0, 2).sort()).toEqual(matryoshka.sort());
    expect(hybrid.hits[0].terms).toContain('matryoshka');
  });

  it('a stored paper\'s embedding (rotation undone) finds the paper itself first', () => {
    const paper = engine.papers[77];
    const result = engine.searchEmbedding(engine.embeddingOf(paper.id), { mode: 'semantic' });
    expect(result.hits[0].paper.id).toBe(paper.id);
    expect(result.hits[0].score).toBeCloseTo(1, 4);
  });
});

describe('SearchEngine: similar', () => {
  it('never returns the paper itself, and finds it by id or exact title', () => {
    const source = engine.papers[42];
    for (const mode of ['semantic', 'lexical', 'hybrid'] as const) {
      const byId = engine.similar(source.id, { k: 20, mode });
      expect(byId.mode).toBe(mode);
      expect(ids(byId)).not.toContain(source.id);
      expect(byId.hits).toHaveLength(20);
      expect(ids(engine.similar(source.title.toUpperCase(), { k: 20, mode }))).toEqual(ids(byId));
    }
  });

  it('names an unknown paper in its error', () => {
    try {
      engine.similar('no-such-paper-anywhere');
      expect.unreachable();
    } catch (e) {
      expect(isPapersiftError(e, 'unknown-paper')).toBe(true);
      expect((e as Error).message).toContain('no-such-paper-anywhere');
    }
  });

  it('HNSW at full dims agrees with exact search', () => {
    const agreement = sampleIds().map((id) => overlap(ids(engine.similar(id, { ...SEMANTIC, exact: false })), ids(engine.similar(id, { ...SEMANTIC, exact: true }))));
    expect(agreement.reduce((a, b) => a + b) / agreement.length).toBeGreaterThanOrEqual(0.99);
  });
});

describe('SearchEngine: related (a pasted paper)', () => {
  it('a stored paper pasted as text finds itself first, then the same neighbours as similar', async () => {
    const source = engine.papers[120];
    const pasted = pastedPaper(`${source.title}\n${source.abstract}`);
    expect(pasted.title).toBe(source.title);
    const embedding = (await embedder.embedDocuments([pasted.text])).slice();
    for (const mode of ['semantic', 'hybrid'] as const) {
      const related = engine.related(pasted, embedding, { k: 11, mode });
      expect(related.mode).toBe(mode);
      expect(related.hits[0].paper.id).toBe(source.id);
      const similar = engine.similar(source.id, { k: 10, mode });
      // Semantic: the same text gives the same vector, so the same neighbours. Hybrid: the paper itself
      // now sits in both candidate lists and shifts the z-scores, so the order may move a little.
      expect(overlap(ids(related).slice(1), ids(similar))).toBeGreaterThanOrEqual(mode === 'semantic' ? 1 : 0.6);
    }
  });

  it('honours dims and adaptive like search', async () => {
    const pasted = pastedPaper('We shorten sentence embeddings without retraining by truncating dimensions, and re-rank a shortlist at full width.');
    expect(pasted.title).toBe('');
    const embedding = (await embedder.embedDocuments([pasted.text])).slice();
    const low = engine.related(pasted, embedding, { mode: 'semantic', dims: 64 });
    const adaptive = engine.related(pasted, embedding, { mode: 'semantic', dims: 64, adaptive: true });
    const full = engine.related(pasted, embedding, { mode: 'semantic', exact: true });
    expect(low.dims).toBe(64);
    expect(adaptive.adaptive).toBe(true);
    expect(overlap(ids(adaptive), ids(full))).toBeGreaterThanOrEqual(overlap(ids(low), ids(full)));
    expect(ids(full).slice(0, 5).some((id) => /matryoshka/.test(id))).toBe(true);
  });

  it('refuses empty text and cuts text longer than an abstract', () => {
    expect(() => pastedPaper(' \n\t ')).toThrow(/Paste a title and abstract/);
    const long = pastedPaper('x '.repeat(30_000));
    expect(long.truncated).toBe(true);
    expect(long.title).toBe('');
  });
});

describe('SearchEngine: Matryoshka dims', () => {
  const meanOverlap = (options: { dims: number; adaptive?: boolean; exact?: boolean; shortlist?: number }) => {
    const all = sampleIds().map((id) => overlap(ids(engine.similar(id, { ...SEMANTIC, ...options })), ids(engine.similar(id, { ...SEMANTIC, exact: true }))));
    return all.reduce((a, b) => a + b) / all.length;
  };

  it('a rotated 64-d prefix keeps most of the full-dim top 10', () => {
    expect(meanOverlap({ dims: 64, exact: true })).toBeGreaterThanOrEqual(0.8);
  });

  it('a 32-d shortlist of 50 re-ranked at full dims recovers the full-dim top 10', () => {
    const plain32 = meanOverlap({ dims: 32, exact: true });
    const adaptive32 = meanOverlap({ dims: 32, adaptive: true, shortlist: 50, exact: false });
    expect(adaptive32).toBeGreaterThanOrEqual(0.98);
    expect(adaptive32).toBeGreaterThan(plain32);
  });

  it('reports full-dim scores after an adaptive re-rank', () => {
    const source = engine.papers[3].id;
    const adaptive = engine.similar(source, { ...SEMANTIC, dims: 32, adaptive: true });
    const exact = engine.similar(source, { ...SEMANTIC, exact: true });
    expect(adaptive.adaptive).toBe(true);
    expect(adaptive.reranked).toBe(50);
    expect(adaptive.hits[0].score).toBeCloseTo(exact.hits[0].score, 5);
  });

  it('refuses dims, k and shortlist out of range', () => {
    const id = engine.papers[0].id;
    for (const options of [{ dims: 0 }, { dims: 385 }, { dims: 12.5 }, { k: 0 }, { k: 5000 }, { shortlist: -1 }]) {
      expect(() => engine.similar(id, options)).toThrow(/must be a whole number/);
    }
    expect(() => engine.similar(id, { mode: 'fuzzy' as never })).toThrow(/mode must be one of hybrid, semantic, lexical/);
  });
});
