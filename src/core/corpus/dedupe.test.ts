import { describe, expect, it } from 'vitest';
import { dedupePapers } from './dedupe';
import type { ParsedPaper } from './parse';

const listing = (over: Partial<ParsedPaper>): ParsedPaper => ({
  title: 'Matryoshka Representation Learning',
  abstract: 'Learned representations are a central component of modern ML systems.',
  authors: null,
  date: null,
  source: 'a.txt:1',
  ...over,
});

describe('dedupePapers', () => {
  it('merges listings whose titles normalise alike, keeping every source in order', () => {
    const papers = dedupePapers([
      listing({ source: 'a.txt:1' }),
      listing({ title: 'Another Paper', source: 'a.txt:5' }),
      listing({ title: 'MATRYOSHKA  representation-learning', source: 'b.txt:9' }),
      listing({ source: 'c.txt:3' }),
    ]);
    expect(papers.map((p) => [p.id, p.title, p.sources])).toEqual([
      ['matryoshka-representation-learning', 'Matryoshka Representation Learning', ['a.txt:1', 'b.txt:9', 'c.txt:3']],
      ['another-paper', 'Another Paper', ['a.txt:5']],
    ]);
  });

  it('keeps the longer abstract and the non-null, more complete authors and date', () => {
    const [paper] = dedupePapers([
      listing({ abstract: 'Short.', authors: null, date: 'Sep 25' }),
      listing({ abstract: 'A much longer abstract.', authors: ['A. Kusupati', 'G. Bhatt'], date: null }),
      listing({ abstract: 'Mid length.', authors: null, date: 'Sep 25, 2017' }),
    ]);
    expect(paper).toMatchObject({
      abstract: 'A much longer abstract.',
      authors: ['A. Kusupati', 'G. Bhatt'],
      date: 'Sep 25, 2017',
    });
  });

  it('keeps papers apart whose titles have no Latin letters or digits', () => {
    // normaliseTitle maps both to "": merging on it would make them one paper.
    const papers = dedupePapers([listing({ title: '注意力机制' }), listing({ title: '深度残差学习' })]);
    expect(papers).toHaveLength(2);
    expect(new Set(papers.map((p) => p.id)).size).toBe(2);
  });
});
