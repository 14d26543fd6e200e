import { describe, expect, it } from 'vitest';
import { isPapersiftError } from '../errors';
import { analyze, ANALYZER, processTerm, tokenize } from './analyzer';
import { applyCorrections, buildLexicalIndex, loadLexical, searchLexical, serialiseLexical, similarLexical, suggestCorrections } from './index';

const papers = [
  {
    id: 'sae',
    title: 'Sparse Autoencoders Find Interpretable Features',
    abstract: 'We train sparse autoencoders on language model activations and find interpretable, monosemantic features.',
  },
  {
    id: 'ssm',
    title: 'Diagonal State Space Models',
    abstract: 'State space models with diagonal state matrices match structured state spaces on long sequences.',
  },
  {
    id: 'gelu',
    title: 'Gaussian Error Linear Units',
    abstract: 'An activation function weighting inputs by their value under the Gaussian distribution.',
  },
  {
    id: 'circuits',
    title: 'Circuits in Language Models',
    abstract: 'Sparse features from autoencoders reveal circuits: small sets of components that carry out a behaviour.',
  },
];

describe('analyzer', () => {
  it('splits on non-alphanumerics, lowercases, drops stopwords and stems (Porter)', () => {
    expect(tokenize('long-context LLMs, e.g. GPT-2')).toEqual(['long', 'context', 'LLMs', 'e', 'g', 'GPT', '2']);
    expect(processTerm('The')).toBeNull();
    expect(processTerm('Autoencoders')).toBe('autoencod');
    expect(processTerm('Naïve')).toBe('naiv');
    expect(analyze('Why do models hallucinate? Hallucinations!')).toEqual(['model', 'hallucin', 'hallucin']);
  });
});

describe('lexical index', () => {
  const index = buildLexicalIndex(papers);

  it('ranks by BM25 over title and abstract and reports the matched terms and their share of the query', () => {
    const hits = searchLexical(index, 'sparse autoencoders', 10);
    expect(hits.map((h) => h.id)).toEqual(['sae', 'circuits']);
    expect(hits[0]).toMatchObject({ row: 0, terms: expect.arrayContaining(['spars', 'autoencod']), coverage: 1 });
    expect(hits[0].score).toBeGreaterThan(hits[1].score);
  });

  it('gives partial coverage, idf-weighted, when a hit has only some of the query terms', () => {
    const [top] = searchLexical(index, 'gaussian circuits', 10);
    expect(top.coverage).toBeGreaterThan(0);
    expect(top.coverage).toBeLessThan(1);
    // a word no paper contains still counts, with the idf of an unseen term: of 4 papers, "gaussian"
    // is in 1 (idf ln(1 + 3.5/1.5)), "zyzzyva" in none (idf ln(1 + 4.5/0.5))
    const [withUnknown] = searchLexical(index, 'gaussian zyzzyva', 10);
    expect(withUnknown.id).toBe('gelu');
    const gaussian = Math.log(1 + 3.5 / 1.5);
    expect(withUnknown.coverage).toBeCloseTo(gaussian / (gaussian + Math.log(10)), 12);
  });

  it('returns nothing for an all-stopword query, honours k and excluded rows', () => {
    expect(searchLexical(index, 'what is the', 10)).toEqual([]);
    expect(searchLexical(index, 'sparse', 1)).toHaveLength(1);
    expect(searchLexical(index, 'sparse autoencoders', 10, new Set([0])).map((h) => h.id)).toEqual(['circuits']);
  });

  it('finds papers like a given one, the paper itself excluded, with coverage 1', () => {
    const hits = similarLexical(index, papers[0], 10);
    expect(hits[0].id).toBe('circuits');
    expect(hits.some((h) => h.id === 'sae')).toBe(false);
    expect(hits.every((h) => h.coverage === 1)).toBe(true);
    // a paper outside the index works too
    expect(similarLexical(index, { id: 'new', title: 'State space layers', abstract: 'Diagonal state matrices.' }, 1)[0].id).toBe('ssm');
  });

  it('round-trips through lexical.json and ranks the same', () => {
    const loaded = loadLexical(serialiseLexical(index), papers.map((p) => p.id));
    for (const query of ['sparse autoencoders', 'state space', 'activation function']) {
      expect(searchLexical(loaded, query, 10)).toEqual(searchLexical(index, query, 10));
    }
  });

  it('refuses a file from another analyzer, another corpus or no index at all', () => {
    const file = JSON.parse(new TextDecoder().decode(serialiseLexical(index)));
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const stale = () => loadLexical(encode({ ...file, analyzer: `${ANALYZER}-old` }));
    expect(stale).toThrow(/analyzer/);
    expect(() => loadLexical(serialiseLexical(index), ['sae', 'ssm'])).toThrow(/other papers/);
    for (const bad of [new TextEncoder().encode('{nope'), encode({ formatVersion: 99 })]) {
      try {
        loadLexical(bad);
        expect.unreachable();
      } catch (e) {
        expect(isPapersiftError(e, 'artifacts-format')).toBe(true);
      }
    }
    try {
      stale();
    } catch (e) {
      expect(isPapersiftError(e, 'artifacts-stale')).toBe(true);
    }
  });
});

describe('corrections', () => {
  const index = buildLexicalIndex(papers);
  it('offers the corpus word nearest a word no paper contains, spelled as the papers spell it', () => {
    expect(suggestCorrections(index, 'sparse autoencdoers', papers)).toEqual([{ typed: 'autoencdoers', word: 'autoencoders' }]);
    expect(suggestCorrections(index, 'difusion gausian', papers)).toEqual([{ typed: 'gausian', word: 'gaussian' }]);
    // known words, short words and words with digits are left alone
    expect(suggestCorrections(index, 'sparse circuits', papers)).toEqual([]);
    expect(suggestCorrections(index, 'circ gpt4x', papers)).toEqual([]);
    expect(applyCorrections('Gausian units, gausian!', [{ typed: 'Gausian', word: 'gaussian' }, { typed: 'gausian', word: 'gaussian' }])).toBe('gaussian units, gaussian!');
  });
});
