import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCorpus } from './build';
import { parseSeedFile } from './parse';

const SEEDS = new URL('../../../seeds/', import.meta.url);
const seedFiles = readdirSync(SEEDS)
  .filter((name) => name.endsWith('.txt'))
  .sort()
  .map((name) => ({ name: `seeds/${name}`, text: readFileSync(new URL(name, SEEDS), 'utf8') }));

/*
 * The expected figures were counted without this parser, with awk over the files:
 *
 * 1. Every paper has exactly one abstract line, and abstracts are the only lines of 200 characters or more
 *    (the shortest abstract has 427; the longest other line, a title, 168). Papers per file:
 *      for f in seeds/*.txt; do awk 'length($0) >= 200' "$f" | wc -l; done   → 35 37 26 238 57 (393 listings)
 * 2. A paper's title is the last non-blank line before its abstract ("Subscribe" cut off the one glued title),
 *    normalised as normaliseTitle does for these ASCII titles (lower case, non-alphanumerics → one space):
 *      awk 'FNR==1{prev=""} length($0)>=200{t=prev; sub(/^Subscribe/,"",t); t=tolower(t);
 *           gsub(/[^a-z0-9]+/," ",t); gsub(/^ +| +$/,"",t); print t; next} length($0)>0{prev=$0}' seeds/*.txt \
 *        | sort | uniq -c
 *    gives 364 distinct titles; 22 of them are listed more than once (7 three times, 15 twice), i.e. 29 extra
 *    listings: 393 − 29 = 364. No title repeats within one file.
 * 3. Cross-check: `awk 'length($0) >= 200' seeds/*.txt | sort -u | wc -l` finds 364 distinct abstracts too, so
 *    no paper hides under two titles and the duplicates' abstracts are identical.
 * 364 is also the size DESIGN.md gives for the seed corpus.
 */
describe('the seed corpus', () => {
  it('has the papers counted by hand in every file', () => {
    const counts = seedFiles.map((file) => {
      const { papers, problems } = parseSeedFile(file.text, file.name);
      expect(problems).toEqual([]);
      return [file.name, papers.length];
    });
    expect(counts).toEqual([
      ['seeds/000_642b5ed72580e05c.txt', 35],
      ['seeds/001_95cd9150e95c99bb.txt', 37],
      ['seeds/002_fad969ed94149d1c.txt', 26],
      ['seeds/003_992833ff42967d4f.txt', 238],
      ['seeds/004_2860d7431af7726a.txt', 57],
    ]);
  });

  it('has exactly 364 unique papers, 22 of them listed more than once', () => {
    const { papers, problems } = buildCorpus(seedFiles);
    expect(problems).toEqual([]);
    expect(papers).toHaveLength(364);
    expect(new Set(papers.map((p) => p.id)).size).toBe(364);
    const repeated = papers.filter((p) => p.sources.length > 1);
    expect(repeated).toHaveLength(22);
    expect(repeated.filter((p) => p.sources.length === 3)).toHaveLength(7);
    expect(papers.reduce((sum, p) => sum + p.sources.length, 0)).toBe(393);
  });

  it('reads titles, abstracts and dates cleanly, with no chrome taken for a paper', () => {
    const { papers } = buildCorpus(seedFiles);
    expect(papers[0].sources[0]).toBe('seeds/000_642b5ed72580e05c.txt:11');
    const chimera = papers.find((p) => p.sources.includes('seeds/003_992833ff42967d4f.txt:3'));
    expect(chimera?.title).toBe(
      'Chimera: Effectively Modeling Multivariate Time Series with 2-Dimensional State Space Models',
    );
    expect(papers.find((p) => p.id === 'the-consciousness-prior')).toMatchObject({
      date: 'Sep 25, 2017',
      sources: [
        'seeds/000_642b5ed72580e05c.txt:27',
        'seeds/002_fad969ed94149d1c.txt:153',
        'seeds/004_2860d7431af7726a.txt:85',
      ],
    });
    for (const paper of papers) {
      expect(paper.title).not.toMatch(/^(Subscribe|new$|Daily Papers|Get trending|byAK)/);
      expect(paper.title.length).toBeLessThan(200);
      expect(paper.abstract.length).toBeGreaterThan(400);
    }
    // 002 and 004 print a meta block (`·` then a date) under 81 of their 83 listings, 5 papers being in both
    // (awk: a "·" line's next line, keyed by the title before the abstract, sort -u); 000, 001, 003 print none.
    expect(papers.filter((p) => p.date !== null)).toHaveLength(76);
  });
});
