import { describe, expect, it } from 'vitest';
import { archiveOf, describeFilter, formatYearRange, paperFacets, paperMatcher, paperYear, parseYearRange, sortByDate } from './filter';
import type { Paper } from './types';

const paper = (over: Partial<Paper>): Paper => ({ id: 'x', title: 't', abstract: 'a', authors: null, date: null, sources: [], ...over });

describe('year ranges', () => {
  it('reads the forms the CLI and the URL use, and writes them back', () => {
    expect(parseYearRange('2007-2009')).toEqual({ yearFrom: 2007, yearTo: 2009 });
    expect(parseYearRange('2007')).toEqual({ yearFrom: 2007, yearTo: 2007 });
    expect(parseYearRange('2007-')).toEqual({ yearFrom: 2007, yearTo: undefined });
    expect(parseYearRange('-2009')).toEqual({ yearFrom: undefined, yearTo: 2009 });
    expect(parseYearRange(' 2007 – 2009 ')).toEqual({ yearFrom: 2007, yearTo: 2009 });
    for (const text of ['2007-2009', '2007', '2007-', '-2009']) expect(formatYearRange(parseYearRange(text))).toBe(text);
    expect(formatYearRange({})).toBe('');
  });

  it('refuses what is not a range, saying what is', () => {
    for (const bad of ['', '-', '07', '2007-09', 'last year', '2009-2007']) {
      expect(() => parseYearRange(bad)).toThrow(expect.objectContaining({ code: 'invalid-option' }));
    }
  });
});

describe('matching', () => {
  it('reads the year from published, however much of the date it has', () => {
    expect(paperYear(paper({ published: '2007' }))).toBe(2007);
    expect(paperYear(paper({ published: '2007-04-02' }))).toBe(2007);
    expect(paperYear(paper({}))).toBeUndefined();
  });

  it('matches a category exactly or by archive, and a paper by any of its categories', () => {
    expect(archiveOf('cs.LG')).toBe('cs');
    expect(archiveOf('hep-ph')).toBe('hep-ph');
    const p = paper({ categories: ['stat.ML', 'cs.LG'], published: '2019-05' });
    expect(paperMatcher({ category: 'cs.LG' })(p)).toBe(true);
    expect(paperMatcher({ category: 'cs' })(p)).toBe(true);
    expect(paperMatcher({ category: 'c' })(p)).toBe(false);
    expect(paperMatcher({ category: 'cs.CL' })(p)).toBe(false);
    expect(paperMatcher({ yearFrom: 2019, yearTo: 2019, category: 'stat' })(p)).toBe(true);
    expect(paperMatcher({ yearTo: 2018 })(p)).toBe(false);
    expect(paperMatcher({ category: 'cs' })(paper({}))).toBe(false);
  });

  it('describes a filter in words', () => {
    expect(describeFilter({ yearFrom: 2007, yearTo: 2008, category: 'cs' })).toBe('2007–2008, category cs');
    expect(describeFilter({ yearFrom: 2007 })).toBe('2007 or later');
    expect(describeFilter({ yearTo: 2007 })).toBe('2007 or earlier');
  });
});

describe('facets and date order', () => {
  it('counts only what occurs; no dates and no categories give empty facets', () => {
    const seedLike = paperFacets([paper({ date: 'Sep 2017' }), paper({})]);
    expect(seedLike).toEqual({ papers: 2, years: [], dated: 0, categories: [], archives: [], categorised: 0 });
  });

  it('sorts newest first, keeps relevance order among equals, undated last', () => {
    const hits = [
      { paper: paper({ id: 'a' }) },
      { paper: paper({ id: 'b', published: '2007-04-02' }) },
      { paper: paper({ id: 'c', published: '2008' }) },
      { paper: paper({ id: 'd', published: '2007-04-02' }) },
    ];
    expect(sortByDate(hits).map((h) => h.paper.id)).toEqual(['c', 'b', 'd', 'a']);
  });
});
