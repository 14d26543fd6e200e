import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSeedFile } from './parse';

const FIXTURES = new URL('../../../test/fixtures/corpus/', import.meta.url);
const fixture = (name: string) => readFileSync(new URL(name, FIXTURES), 'utf8');
const parseFixture = (name: string) => parseSeedFile(fixture(name), `fixtures/${name}`);

describe('parseSeedFile', () => {
  it('reads the blank-line format: page chrome dropped, author counts and dates read from meta blocks', () => {
    const { papers, problems } = parseFixture('blank-lines.txt');
    expect(problems).toEqual([]);
    expect(papers.map((p) => [p.title, p.date, p.source])).toEqual([
      ['Sparse Probing of Toy Transformers', 'Sep 25, 2017', 'fixtures/blank-lines.txt:13'],
      ['Gradient Noise as a Regulariser', 'Jun 16', 'fixtures/blank-lines.txt:21'], // "Jun 16 3": 3 upvotes
      ['Hatchling Networks: A Missing Link between Transformers and the Brain', 'Sep 30', 'fixtures/blank-lines.txt:29'],
      ['Why Do Embeddings Collapse?', null, 'fixtures/blank-lines.txt:37'], // no meta block
      ['Rotations Before Prefixes: PCA for Matryoshka Embeddings', 'Dec 5, 2024', 'fixtures/blank-lines.txt:41'],
    ]);
    // "• 4 authors" counts authors without naming them; "pathwaycom Pathway" is the submitting organisation.
    expect(papers.every((p) => p.authors === null)).toBe(true);
    expect(papers[0].abstract).toMatch(/^Probing classifiers are .* handful of neurons\.$/);
  });

  it('does not take the page date above the first paper for that paper’s date', () => {
    const { papers } = parseFixture('blank-lines.txt');
    expect(papers.map((p) => p.date)).not.toContain('Mar 14');
  });

  it('reads the format without blank lines, un-gluing the first title from "Subscribe"', () => {
    const { papers, problems } = parseFixture('no-blank-lines.txt');
    expect(problems).toEqual([]);
    expect(papers.map((p) => [p.title, p.source])).toEqual([
      ['Chimera Nets: Two-Dimensional State Spaces for Time Series', 'fixtures/no-blank-lines.txt:3'],
      ['Are Gaussian Data All You Need? Limits of Universality in Linear Estimation', 'fixtures/no-blank-lines.txt:5'],
      ['GLU Variants Improve Transformer', 'fixtures/no-blank-lines.txt:7'],
      ['SPARSE PROBING OF TOY TRANSFORMERS', 'fixtures/no-blank-lines.txt:9'],
    ]);
    expect(papers.every((p) => p.authors === null && p.date === null)).toBe(true);
  });

  it('drops chrome anywhere: submitter lines, upvote counts, "Copy link", a second page header and its date', () => {
    const { papers, problems } = parseFixture('chrome.txt');
    expect(problems).toEqual([]);
    expect(papers.map((p) => [p.title, p.date])).toEqual([
      ['Gradient Noise as a Regulariser', null],
      ['Why Do Embeddings Collapse?', null],
      ['GLU Variants Improve Transformer', null],
    ]);
  });

  it('reports a title without an abstract at its line and keeps both neighbours with their own meta', () => {
    const { papers, problems } = parseFixture('missing-abstract.txt');
    expect(papers.map((p) => [p.title, p.date])).toEqual([
      ['Sparse Probing of Toy Transformers', 'Sep 25, 2017'],
      ['Gradient Noise as a Regulariser', 'Jun 16'],
    ]);
    expect(papers[1].abstract).toMatch(/^Adding annealed Gaussian noise/);
    expect(problems).toEqual([
      {
        source: 'fixtures/missing-abstract.txt',
        line: 9,
        message: 'title without an abstract: "A Title Whose Abstract Was Lost"',
      },
    ]);
  });

  it('reports an empty file as having no papers', () => {
    expect(parseFixture('empty.txt')).toEqual({
      papers: [],
      problems: [{ source: 'fixtures/empty.txt', line: 0, message: 'no papers found' }],
    });
  });

  it('reports a file of chrome alone as having no papers', () => {
    const { papers, problems } = parseSeedFile('new\n\nSubscribe\n\nMar 14\n', 'chrome-only.txt');
    expect(papers).toEqual([]);
    expect(problems).toEqual([{ source: 'chrome-only.txt', line: 0, message: 'no papers found' }]);
  });

  it('skips binary junk with a problem per run of lines and resynchronises on the next title', () => {
    const { papers, problems } = parseFixture('binary-junk.txt');
    expect(papers.map((p) => [p.title, p.source])).toEqual([
      ['Sparse Probing of Toy Transformers', 'fixtures/binary-junk.txt:1'],
      ['Gradient Noise as a Regulariser', 'fixtures/binary-junk.txt:5'],
      // Junk between a title and its abstract costs nothing but a problem.
      ['Rotations Before Prefixes: PCA for Matryoshka Embeddings', 'fixtures/binary-junk.txt:9'],
      ['GLU Variants Improve Transformer', 'fixtures/binary-junk.txt:12'],
    ]);
    expect(papers[2].abstract).toMatch(/^Matryoshka embeddings promise/);
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [3, 'binary or control characters on lines 3–4; skipped'],
      [7, 'binary or control characters on line 7; skipped'],
      // The junk on line 7 replaced a title: that paper is lost, reported, and not glued onto a neighbour.
      [8, 'abstract without a title; skipped'],
      [10, 'binary or control characters on line 10; skipped'],
    ]);
    expect(papers[1].abstract).toMatch(/^Adding annealed Gaussian noise .* twenty benchmarks\.$/);
  });

  it('accepts CRLF line ends and a byte-order mark', () => {
    const text = `\uFEFF${fixture('no-blank-lines.txt').replace(/\n/g, '\r\n')}`;
    const { papers, problems } = parseSeedFile(text, 'crlf.txt');
    expect(problems).toEqual([]);
    expect(papers.map((p) => p.title)).toEqual(parseFixture('no-blank-lines.txt').papers.map((p) => p.title));
    expect(papers.every((p) => !/\r/.test(p.abstract))).toBe(true);
  });
});
