import { parse, type Creator } from '@retorquere/bibtex-parser';
import { describe, expect, it } from 'vitest';
import type { Paper } from '../types';
import { bibtexKey, paperToBibtex } from './bibtex';

/** Parses one entry back the way the import does (no sentence-casing, no case-protection markup). */
function parseOne(bibtex: string) {
  const library = parse(bibtex, { sentenceCase: false, english: false, caseProtection: false, unsupported: 'ignore' });
  expect(library.errors).toEqual([]);
  expect(library.entries).toHaveLength(1);
  return library.entries[0];
}

const name = (c: Creator) => c.name ?? [c.firstName, c.lastName].filter(Boolean).join(' ');

const arxivPaper: Paper = {
  id: '0704.0001',
  title: 'Calculation of prompt diphoton production cross sections at Tevatron and LHC energies',
  abstract: 'A fully differential calculation…',
  authors: ['C. Balázs', 'E. L. Berger', 'P. M. Nadolsky', 'C.-P. Yuan'],
  date: 'Apr 2, 2007',
  sources: [],
  url: 'https://arxiv.org/abs/0704.0001',
  published: '2007-04-02',
  categories: ['hep-ph'],
  doi: '10.1103/PhysRevD.76.013009',
  venue: 'Phys.Rev.D76:013009,2007',
  arxivId: '0704.0001',
};

describe('paperToBibtex', () => {
  it('writes every field an arXiv record has, and parses back to the same values', () => {
    const bibtex = paperToBibtex(arxivPaper);
    expect(bibtex).toMatch(/^@article\{0704\.0001,\n/);
    const entry = parseOne(bibtex);
    expect(entry.key).toBe('0704.0001');
    expect(entry.fields.title).toBe(arxivPaper.title);
    expect(entry.fields.author?.map(name)).toEqual(arxivPaper.authors);
    expect(entry.fields.year).toBe('2007');
    expect(entry.fields.month).toBe('4');
    expect(entry.fields.eprint).toBe('0704.0001');
    expect(entry.fields.archiveprefix).toBe('arXiv');
    expect(entry.fields.primaryclass).toBe('hep-ph');
    expect(entry.fields.doi).toBe(arxivPaper.doi);
    expect(entry.fields.url).toBe(arxivPaper.url);
    expect(entry.fields.journal).toBe(arxivPaper.venue);
  });

  it('escapes TeX specials in text so any title survives the round trip', () => {
    const title = 'Ünïcode & 50% {braces} $x^2$ under_score #hash ~tilde back\\slash';
    const paper: Paper = { ...arxivPaper, id: 'weird id/ü?', title, authors: ['Smith, Jr., John', 'Tom and Jerry', 'Ada Lovelace'], venue: 'J. A&B 5%' };
    const entry = parseOne(paperToBibtex(paper));
    expect(entry.fields.title).toBe(title);
    expect(entry.fields.journal).toBe('J. A&B 5%');
    expect(entry.fields.author?.map(name)).toEqual(['Smith, Jr., John', 'Tom and Jerry', 'Ada Lovelace']);
    expect(entry.key).toBe('weird-id-u');
  });

  it('writes only what a paper has: a seed paper is a @misc with a title and authors', () => {
    const seed: Paper = { id: 'pointer-networks', title: 'Pointer   Networks', abstract: '…', authors: ['Oriol Vinyals'], date: 'Jun 2015', sources: [] };
    const bibtex = paperToBibtex(seed);
    expect(bibtex).toBe('@misc{pointer-networks,\n  title = {{Pointer Networks}},\n  author = {Oriol Vinyals}\n}\n');
    expect(parseOne(bibtex).fields.title).toBe('Pointer Networks');
  });

  it('keeps a non-web link out and verbatim fields intact', () => {
    const entry = parseOne(paperToBibtex({ ...arxivPaper, url: 'javascript:alert(1)', doi: '10.1002/(SICI)1097-0258{x}' }));
    expect(entry.fields.url).toBeUndefined();
    expect(entry.fields.doi).toBe('10.1002/(SICI)1097-0258%7Bx%7D');
  });

  it('makes a key from any id', () => {
    expect(bibtexKey({ id: '   ', title: 't' })).toBe('paper');
    expect(bibtexKey({ id: 'arXiv:2106.09685v2', title: 't' })).toBe('arXiv:2106.09685v2');
  });
});
