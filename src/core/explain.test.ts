import { describe, expect, it } from 'vitest';
import type { Embedder } from './embed/types';
import { explainMatch, splitSentences } from './explain';
import { getModel } from './models';

const DIMS = 64;

/** A stand-in embedder: hashed bag of lowercase words, unit length. Sentences sharing words with the query score higher. */
function bagOfWords(text: string): Float32Array {
  const v = new Float32Array(DIMS);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 0;
    for (const c of word) h = (h * 31 + c.charCodeAt(0)) >>> 0;
    v[h % DIMS] += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

const embedder: Embedder = {
  model: getModel('bge-small-en-v1.5'),
  dtype: 'q8',
  backend: 'cpu',
  embedDocuments: async (texts) => {
    const out = new Float32Array(texts.length * DIMS);
    texts.forEach((t, i) => out.set(bagOfWords(t), i * DIMS));
    return out;
  },
  embedQuery: async (text) => bagOfWords(text),
  dispose: async () => {},
};

const paper = {
  title: 'Sparse Autoencoders for Circuits',
  abstract:
    'Language models are hard to read. We train sparse autoencoders on attention outputs, e.g. in GPT-2. ' +
    'The features are sparse and interpretable. Results hold across 3 models (Smith et al. 2024). Code is public.',
};

describe('splitSentences', () => {
  it('splits at sentence ends and keeps offsets into the text', () => {
    const sentences = splitSentences(paper.abstract);
    expect(sentences.map((s) => s.text)).toEqual([
      'Language models are hard to read.',
      'We train sparse autoencoders on attention outputs, e.g. in GPT-2.',
      'The features are sparse and interpretable.',
      'Results hold across 3 models (Smith et al. 2024).',
      'Code is public.',
    ]);
    for (const s of sentences) expect(paper.abstract.slice(s.start, s.end)).toBe(s.text);
  });

  it('does not split after abbreviations or initials, and handles a missing final stop', () => {
    expect(splitSentences('As in J. Smith et al. It works vs. Baselines. Then more').map((s) => s.text)).toEqual([
      'As in J. Smith et al. It works vs. Baselines.',
      'Then more',
    ]);
    expect(splitSentences('   ')).toEqual([]);
  });
});

describe('explainMatch', () => {
  it('returns the sentence closest to the query', async () => {
    const explanation = await explainMatch({
      paper,
      queryEmbedding: bagOfWords('which results hold across models'),
      embedder,
      lexicalTerms: [],
    });
    expect(explanation.spans).toHaveLength(1);
    expect(explanation.spans[0].text).toBe('Results hold across 3 models (Smith et al. 2024).');
    const { start, end } = explanation.spans[0];
    expect(paper.abstract.slice(start, end)).toBe(explanation.spans[0].text);
  });

  it('merges the two best sentences into one span when they are adjacent and score alike', async () => {
    const explanation = await explainMatch({
      paper,
      queryEmbedding: bagOfWords('sparse autoencoders interpretable'),
      embedder,
      lexicalTerms: [],
    });
    expect(explanation.spans).toHaveLength(1);
    expect(explanation.spans[0].text).toBe(
      'We train sparse autoencoders on attention outputs, e.g. in GPT-2. The features are sparse and interpretable.',
    );
  });

  it('returns two spans in reading order when the two best sentences are apart and score alike', async () => {
    const explanation = await explainMatch({
      paper,
      queryEmbedding: bagOfWords('hard to read code is public'),
      embedder,
      lexicalTerms: [],
    });
    expect(explanation.spans.map((s) => s.text)).toEqual(['Language models are hard to read.', 'Code is public.']);
  });

  it('maps matched lexical terms back to the words of the title and abstract', async () => {
    const explanation = await explainMatch({
      paper,
      queryEmbedding: bagOfWords('sparse autoencoders'),
      embedder,
      lexicalTerms: ['spars', 'autoencod'],
    });
    expect(explanation.terms).toEqual([
      { term: 'spars', words: ['sparse'] },
      { term: 'autoencod', words: ['autoencoders'] },
    ]);
    const titleHits = explanation.highlights.filter((h) => h.field === 'title').map((h) => paper.title.slice(h.start, h.end));
    expect(titleHits).toEqual(['Sparse', 'Autoencoders']);
    const abstractHits = explanation.highlights.filter((h) => h.field === 'abstract').map((h) => paper.abstract.slice(h.start, h.end));
    expect(abstractHits).toEqual(['sparse', 'autoencoders', 'sparse']);
  });
});
