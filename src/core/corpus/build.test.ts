import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCorpus, type CorpusFile } from './build';

const FIXTURES = new URL('../../../test/fixtures/corpus/', import.meta.url);
const file = (name: string): CorpusFile => ({
  name: `fixtures/${name}`,
  text: readFileSync(new URL(name, FIXTURES), 'utf8'),
});

describe('buildCorpus', () => {
  // "Sparse Probing of Toy Transformers" is in blank-lines.txt (line 13) and, upper-cased with a longer
  // abstract, in no-blank-lines.txt (line 9); the other seven papers of the two files are distinct.
  const files = [file('no-blank-lines.txt'), file('blank-lines.txt')];

  it('deduplicates across files, keeping all sources and the longer abstract', () => {
    const { papers, problems } = buildCorpus(files);
    expect(problems).toEqual([]);
    expect(papers).toHaveLength(8);
    const probing = papers.find((p) => p.id === 'sparse-probing-of-toy-transformers');
    expect(probing).toMatchObject({
      title: 'Sparse Probing of Toy Transformers', // from the first file by name
      date: 'Sep 25, 2017',
      sources: ['fixtures/blank-lines.txt:13', 'fixtures/no-blank-lines.txt:9'],
    });
    expect(probing?.abstract).toMatch(/known ground truth\.$/);
  });

  it('orders papers by first appearance with files taken in name order, whatever order they came in', () => {
    const forward = buildCorpus(files).papers;
    const backward = buildCorpus([...files].reverse()).papers;
    expect(backward).toEqual(forward);
    expect(forward.map((p) => p.sources[0])).toEqual([
      'fixtures/blank-lines.txt:13',
      'fixtures/blank-lines.txt:21',
      'fixtures/blank-lines.txt:29',
      'fixtures/blank-lines.txt:37',
      'fixtures/blank-lines.txt:41',
      'fixtures/no-blank-lines.txt:3',
      'fixtures/no-blank-lines.txt:5',
      'fixtures/no-blank-lines.txt:7',
    ]);
  });

  it('gives a paper the same id in every build, whichever listing of it comes first', () => {
    const together = buildCorpus(files).papers;
    const alone = buildCorpus([file('no-blank-lines.txt')]).papers;
    const idOf = (papers: typeof together, pattern: RegExp) => papers.find((p) => pattern.test(p.title))?.id;
    expect(idOf(alone, /sparse probing/i)).toBe(idOf(together, /sparse probing/i));
    expect(idOf(together, /^Chimera/)).toBe('chimera-nets-two-dimensional-state-spaces-for-time-series');
  });

  it('collects every file’s problems and keeps the papers of the good files', () => {
    const { papers, problems } = buildCorpus([file('empty.txt'), file('missing-abstract.txt'), file('chrome.txt')]);
    expect(papers).toHaveLength(4); // 2 + 3, "Gradient Noise as a Regulariser" in both
    expect(problems.map((p) => `${p.source}:${p.line}`)).toEqual([
      'fixtures/empty.txt:0',
      'fixtures/missing-abstract.txt:9',
    ]);
  });
});
