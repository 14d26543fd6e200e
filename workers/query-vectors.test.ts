import { describe, expect, it } from 'vitest';
import { QueryVectors } from './query-vectors';

const v = (x: number) => new Float32Array([x]);

describe('QueryVectors', () => {
  it('keeps the most recently used searched vectors', () => {
    const cache = new QueryVectors(2, 2);
    cache.set('a', v(1));
    cache.set('b', v(2));
    cache.get('a'); // a is now the most recent
    cache.set('c', v(3));
    expect(cache.has('a')).toBe(true);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('c')).toEqual({ vector: v(3), from: 'search' });
  });

  it('keeps vectors made ahead apart until a search uses one, so typing never pushes out searched queries', () => {
    const cache = new QueryVectors(2, 2);
    cache.set('searched 1', v(1));
    cache.set('searched 2', v(2));
    for (const prefix of ['s', 'sp', 'spa', 'sparse']) cache.setAhead(prefix, v(prefix.length));
    expect(cache.has('searched 1')).toBe(true);
    expect(cache.has('searched 2')).toBe(true);
    expect(cache.has('s')).toBe(false); // only the latest two made ahead are kept
    expect(cache.get('sparse')).toEqual({ vector: v(6), from: 'prefetch' });
    // Used by a search, it joins the searched ones (the oldest of them leaves) and says it was made ahead.
    expect(cache.has('searched 1')).toBe(false);
    expect(cache.get('sparse')).toEqual({ vector: v(6), from: 'prefetch' });
    expect(cache.has('spa')).toBe(true);
  });
});
