import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../hash';
import { AsyncLru, encodeTable, FileTable, Lru } from './sharded-files';

describe('Lru weighed by bytes', () => {
  it('drops the least recently used values until the kept bytes fit the budget', () => {
    const lru = new Lru<string, Uint8Array>(100, (value) => value.byteLength);
    lru.set('a', new Uint8Array(40));
    lru.set('b', new Uint8Array(40));
    expect(lru.get('a')).toBeDefined(); // a is now the most recent
    lru.set('c', new Uint8Array(40));
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
    expect(lru.get('c')).toBeDefined();
    expect(lru.weight).toBe(80);
  });

  it('keeps nothing heavier than the whole budget, and counts a replaced value once', () => {
    const lru = new Lru<string, Uint8Array>(100, (value) => value.byteLength);
    lru.set('a', new Uint8Array(30));
    lru.set('a', new Uint8Array(50));
    expect(lru.weight).toBe(50);
    lru.set('huge', new Uint8Array(101));
    expect(lru.get('huge')).toBeUndefined();
    expect(lru.get('a')).toBeDefined();
  });

  it('counts entries when given no weight', () => {
    const lru = new Lru<number, string>(2);
    for (const i of [1, 2, 3]) lru.set(i, String(i));
    expect(lru.size).toBe(2);
    expect(lru.get(1)).toBeUndefined();
  });
});

describe('AsyncLru', () => {
  it('serves a kept value without loading again, and loads again once it was pushed out', async () => {
    const loads: number[] = [];
    const cache = new AsyncLru<number, Uint8Array>(64, (_, key) => key);
    const load = async (key: number) => (loads.push(key), new Uint8Array(key));
    await cache.get(40, load);
    await cache.get(40, load);
    expect(loads).toEqual([40]);
    await cache.get(30, load); // 70 bytes > 64: 40 goes
    await cache.get(40, load);
    expect(loads).toEqual([40, 30, 40]);
  });

  it('forgets a failed load', async () => {
    const cache = new AsyncLru<number, string>(4);
    await expect(cache.get(1, async () => Promise.reject(new Error('bad download')))).rejects.toThrow('bad download');
    expect(await cache.get(1, async () => 'good')).toBe('good');
  });
});

describe('FileTable', () => {
  it('gives each file its size and digest as written, made when asked for, and nothing past the end', async () => {
    const entries = await Promise.all(
      ['a', 'bb', ''].map(async (text, i) => ({ bytes: 1000 * i + text.length, sha256: await sha256Hex(text) })),
    );
    const table = new FileTable(encodeTable(entries), entries.length, 't-table.bin');
    expect(entries.map((_, i) => table.entry(i))).toEqual(entries);
    expect(table.bytesOf(1)).toBe(1002);
    for (const outside of [-1, 3, 1.5, Number.NaN]) {
      expect(table.entry(outside)).toBeUndefined();
      expect(table.bytesOf(outside)).toBe(0);
    }
  });

  it('refuses a table whose length does not match the count', () => {
    expect(() => new FileTable(new Uint8Array(36 * 2 + 1), 2, 'p-table.bin')).toThrow(/p-table\.bin lists/);
  });
});
