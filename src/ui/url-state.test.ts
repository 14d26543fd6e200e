import { describe, expect, it } from 'vitest';
import { formatViewState, readViewState, sameView, type ViewState } from './url-state';

describe('view state in the URL', () => {
  it('round-trips every field', () => {
    const view: ViewState = {
      q: 'sparse attention & more',
      similar: '',
      dims: 64,
      adaptive: true,
      mode: 'semantic',
      tab: 'related',
      map: true,
      filter: { yearFrom: 2005, yearTo: 2007, category: 'cs.LG' },
      sort: 'date',
    };
    expect(formatViewState(view)).toBe('?q=sparse+attention+%26+more&dims=64&adaptive=1&mode=semantic&tab=related&map=1&year=2005-2007&cat=cs.LG&sort=date');
    expect(sameView(readViewState(formatViewState(view)), view)).toBe(true);
  });

  it('keeps open-ended and single-year ranges', () => {
    for (const year of ['2007', '2005-', '-2007']) {
      const view = readViewState(`?q=x&year=${year}`);
      expect(formatViewState(view)).toBe(`?q=x&year=${year}`);
    }
    expect(readViewState('?year=2007-').filter).toEqual({ yearFrom: 2007 });
    expect(sameView(readViewState('?q=x&year=2007'), readViewState('?q=x'))).toBe(false);
    expect(sameView(readViewState('?q=x&sort=date'), readViewState('?q=x'))).toBe(false);
  });

  it('keeps defaults out of the URL', () => {
    expect(formatViewState({ q: '', similar: '', dims: null, adaptive: false, mode: 'hybrid', tab: 'search', map: false, filter: {}, sort: 'relevance' })).toBe('');
  });

  it('lets similar win over q', () => {
    const view = readViewState('?q=ignored&similar=pointer-networks&tab=library');
    expect(view.similar).toBe('pointer-networks');
    expect(view.tab).toBe('search');
    expect(formatViewState(view)).toBe('?similar=pointer-networks');
  });

  it('reads nonsense as defaults instead of failing', () => {
    const view = readViewState('?dims=-3&adaptive=yes&mode=telepathy&tab=settings&map=yes&year=last&sort=oldest&cat=');
    expect(view).toEqual({ q: '', similar: '', dims: null, adaptive: false, mode: 'hybrid', tab: 'search', map: false, filter: {}, sort: 'relevance' });
    expect(readViewState('?dims=12.5').dims).toBeNull();
  });

  it('keeps emoji and right-to-left text intact', () => {
    for (const q of ['🧠 models', 'نماذج اللغة']) expect(readViewState(formatViewState({ ...readViewState(''), q })).q).toBe(q);
  });
});
