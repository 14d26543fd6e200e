import { describe, expect, it } from 'vitest';
import { formatViewState, readViewState, sameView, type ViewState } from './url-state';

describe('view state in the URL', () => {
  it('round-trips every field', () => {
    const view: ViewState = { q: 'sparse attention & more', similar: '', dims: 64, adaptive: true, mode: 'semantic', tab: 'related', map: true };
    expect(formatViewState(view)).toBe('?q=sparse+attention+%26+more&dims=64&adaptive=1&mode=semantic&tab=related&map=1');
    expect(sameView(readViewState(formatViewState(view)), view)).toBe(true);
  });

  it('keeps defaults out of the URL', () => {
    expect(formatViewState({ q: '', similar: '', dims: null, adaptive: false, mode: 'hybrid', tab: 'search', map: false })).toBe('');
  });

  it('lets similar win over q', () => {
    const view = readViewState('?q=ignored&similar=pointer-networks&tab=library');
    expect(view.similar).toBe('pointer-networks');
    expect(view.tab).toBe('search');
    expect(formatViewState(view)).toBe('?similar=pointer-networks');
  });

  it('reads nonsense as defaults instead of failing', () => {
    const view = readViewState('?dims=-3&adaptive=yes&mode=telepathy&tab=settings&map=yes');
    expect(view).toEqual({ q: '', similar: '', dims: null, adaptive: false, mode: 'hybrid', tab: 'search', map: false });
    expect(readViewState('?dims=12.5').dims).toBeNull();
  });

  it('keeps emoji and right-to-left text intact', () => {
    for (const q of ['🧠 models', 'نماذج اللغة']) expect(readViewState(formatViewState({ ...readViewState(''), q })).q).toBe(q);
  });
});
