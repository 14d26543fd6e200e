import { describe, expect, it } from 'vitest';
import { PhaseClock } from './phases';

describe('phase clock', () => {
  it('sums the time of repeated parts, synchronous and awaited, and rounds them for a reply', async () => {
    const clock = new PhaseClock();
    expect(clock.time('walk', () => 7)).toBe(7);
    clock.add('walk', 1.234567);
    expect(await clock.wait('rows', new Promise((resolve) => setTimeout(() => resolve('bytes'), 20)))).toBe('bytes');
    expect(clock.ms.walk).toBeGreaterThanOrEqual(1.234567);
    expect(clock.ms.rows).toBeGreaterThanOrEqual(15);
    expect(Object.keys(clock.rounded())).toEqual(['walk', 'rows']);
    expect(clock.rounded().walk * 100).toBe(Math.round(clock.ms.walk * 100));
  });

  it('counts a part that fails, and passes the failure on', async () => {
    const clock = new PhaseClock();
    await expect(clock.wait('text', Promise.reject(new Error('gone')))).rejects.toThrow('gone');
    expect(() => clock.time('annotate', () => {
      throw new Error('bad');
    })).toThrow('bad');
    expect(Object.keys(clock.ms).sort()).toEqual(['annotate', 'text']);
  });
});
