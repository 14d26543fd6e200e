import { describe, expect, it } from 'vitest';
import type { Paper } from '../types';
import { corpusHash } from './hash';

const papers: Paper[] = [
  {
    id: 'matryoshka-representation-learning',
    title: 'Matryoshka Representation Learning',
    abstract: 'Learned representations are a central component in modern ML systems.',
    authors: null,
    date: 'May 26, 2022',
    sources: ['seeds/a.txt:23'],
  },
  {
    id: 'the-consciousness-prior',
    title: 'The Consciousness Prior',
    abstract: 'A new prior is proposed for learning representations of high-level concepts.',
    authors: ['Y. Bengio'],
    date: null,
    sources: ['seeds/a.txt:27'],
  },
];
const edited = (index: number, change: Partial<Paper>) => papers.map((p, i) => (i === index ? { ...p, ...change } : p));

/** 64-bit FNV-1a in BigInt arithmetic, the textbook definition, to check the 32-bit-halves version against. */
function referenceFnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h.toString(16).padStart(16, '0');
}

describe('corpusHash', () => {
  it('is 64-bit FNV-1a over one JSON line per paper', () => {
    const text = papers.map((p) => `${JSON.stringify([p.id, p.title, p.abstract, p.authors, p.date])}\n`).join('');
    expect(corpusHash(papers)).toBe(referenceFnv1a64(new TextEncoder().encode(text)));
    expect(corpusHash([])).toBe('cbf29ce484222325'); // the offset basis: nothing hashed
  });

  it('is stable: same papers, same hash', () => {
    expect(corpusHash(papers)).toMatch(/^[0-9a-f]{16}$/);
    expect(corpusHash(structuredClone(papers))).toBe(corpusHash(papers));
  });

  it('changes when an abstract or a title changes, by one character too', () => {
    const base = corpusHash(papers);
    expect(corpusHash(edited(0, { abstract: `${papers[0].abstract} ` }))).not.toBe(base);
    expect(corpusHash(edited(1, { abstract: papers[1].abstract.replace('new', 'New') }))).not.toBe(base);
    expect(corpusHash(edited(1, { title: 'The Consciousness Prior!' }))).not.toBe(base);
  });

  it('changes with the id, authors, date and order, but not with sources', () => {
    const base = corpusHash(papers);
    expect(corpusHash(edited(0, { id: 'mrl' }))).not.toBe(base);
    expect(corpusHash(edited(1, { authors: null }))).not.toBe(base);
    expect(corpusHash(edited(0, { date: null }))).not.toBe(base);
    expect(corpusHash([...papers].reverse())).not.toBe(base);
    expect(corpusHash(edited(0, { sources: ['seeds/b.txt:1'] }))).toBe(base);
  });

  it('changes with each metadata field, and keeps the old hash for papers without metadata', () => {
    const base = corpusHash(papers);
    expect(corpusHash(edited(0, { url: undefined, categories: undefined }))).toBe(base);
    const withMetadata = edited(0, { categories: ['cs.LG'], published: '2022-05-26' });
    expect(corpusHash(withMetadata)).not.toBe(base);
    for (const change of [{ categories: ['cs.CL'] }, { published: '2022-05' }, { url: 'https://arxiv.org/abs/2205.13147' }, { doi: '10.1/x' }, { venue: 'NeurIPS' }, { arxivId: '2205.13147' }]) {
      const changed = withMetadata.map((p, i) => (i === 0 ? { ...p, ...change } : p));
      expect(corpusHash(changed)).not.toBe(corpusHash(withMetadata));
    }
  });

  it('tells apart text that moved from one field to the next', () => {
    const a = edited(0, { title: 'Matryoshka Representation', abstract: `Learning ${papers[0].abstract}` });
    const b = edited(0, { title: 'Matryoshka Representation Learning', abstract: papers[0].abstract });
    expect(corpusHash(a)).not.toBe(corpusHash(b));
  });
});
