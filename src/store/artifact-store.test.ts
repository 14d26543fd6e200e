import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArtifactStore, clearArtifactStore } from './artifact-store';

const bytes = (...values: number[]) => new Uint8Array(values);

describe('ArtifactStore (IndexedDB through fake-indexeddb)', () => {
  it('keeps a set per model and dtype, with its origin, and replaces it whole', async () => {
    const q8 = new ArtifactStore('bge-small-en-v1.5', 'q8');
    const fp32 = new ArtifactStore('bge-small-en-v1.5', 'fp32');
    await q8.save(new Map([['a.bin', new Uint8Array([1, 2, 3])], ['b.bin', new Uint8Array([4])]]), 'origin-1');
    await fp32.save(new Map([['a.bin', new Uint8Array([9])]]), 'origin-2');
    expect(await q8.read('a.bin')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await q8.origin()).toBe('origin-1');
    expect(await fp32.read('a.bin')).toEqual(new Uint8Array([9]));

    await q8.save(new Map([['c.bin', new Uint8Array([5])]]), 'origin-3');
    expect(await q8.read('a.bin')).toBeUndefined();
    expect(await q8.read('c.bin')).toEqual(new Uint8Array([5]));
    expect(await fp32.origin()).toBe('origin-2');

    await clearArtifactStore();
    expect(await q8.origin()).toBeUndefined();
    expect(await fp32.read('a.bin')).toBeUndefined();
  });

  it('stores only the bytes of a view, not its whole buffer', async () => {
    const store = new ArtifactStore('m', 'q8');
    const big = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    await store.save(new Map([['part.bin', big.subarray(2, 4)]]), 'o');
    const read = await store.read('part.bin');
    expect(read).toEqual(new Uint8Array([2, 3]));
    expect(read?.buffer.byteLength).toBe(2);
  });

  it('two writers replacing the same set at once leave one whole set, not a mix', async () => {
    const store = new ArtifactStore('race', 'fp32');
    const first = new Map([['shared.bin', bytes(1)], ['first.bin', bytes(1)]]);
    const second = new Map([['shared.bin', bytes(2)], ['second.bin', bytes(2)]]);
    // Separate remove-then-write transactions interleave here and keep first.bin next to second.bin.
    await Promise.all([new ArtifactStore('race', 'fp32').save(first, 'first'), new ArtifactStore('race', 'fp32').save(second, 'second')]);

    const origin = await store.origin();
    expect(['first', 'second']).toContain(origin);
    const winner = origin === 'first' ? first : second;
    const loser = origin === 'first' ? 'second.bin' : 'first.bin';
    for (const [name, value] of winner) expect(await store.read(name)).toEqual(value);
    expect(await store.read(loser)).toBeUndefined();
  });

  it('reads a set as of one moment while another tab replaces it', async () => {
    await new ArtifactStore('m', 'tabs').save(new Map([['a.bin', bytes(1)], ['b.bin', bytes(1)]]), 'old');
    const reader = new ArtifactStore('m', 'tabs');
    expect(await reader.origin()).toBe('old');
    expect(await reader.read('a.bin')).toEqual(bytes(1));

    // Another tab: its own copy of the module, with its own connection and write counter.
    vi.resetModules();
    const otherTab = await import('./artifact-store');
    await new otherTab.ArtifactStore('m', 'tabs').save(new Map([['a.bin', bytes(2)], ['b.bin', bytes(2)]]), 'new');

    expect(await reader.read('b.bin')).toEqual(bytes(1));
    const later = new ArtifactStore('m', 'tabs');
    expect(await later.origin()).toBe('new');
    expect(await later.read('b.bin')).toEqual(bytes(2));
  });

  it('returns nothing when the set changed between origin() and the first read', async () => {
    const reader = new ArtifactStore('m', 'changed');
    await reader.save(new Map([['a.bin', bytes(1)]]), 'old');
    expect(await reader.origin()).toBe('old');
    await new ArtifactStore('m', 'changed').save(new Map([['a.bin', bytes(2)]]), 'new');
    // The caller decided on 'old'; 'new' files would pass for it. Missing makes it load afresh.
    expect(await reader.read('a.bin')).toBeUndefined();
  });

  describe('with Web Locks', () => {
    afterEach(() => {
      vi.unstubAllGlobals();
    });

    it('writes under the exclusive lock and reads under the shared one', async () => {
      const held: { name: string; mode: LockMode | undefined }[] = [];
      const locks = {
        request: async (name: string, options: LockOptions, task: () => Promise<unknown>) => {
          held.push({ name, mode: options.mode });
          return task();
        },
      };
      vi.stubGlobal('navigator', { locks });
      const store = new ArtifactStore('m', 'locked');
      await store.save(new Map([['a.bin', bytes(7)]]), 'o');
      expect(await store.origin()).toBe('o');
      expect(await store.read('a.bin')).toEqual(bytes(7));
      await store.remove();
      await clearArtifactStore();
      expect(held).toEqual([
        { name: 'papersift-artifacts', mode: 'exclusive' },
        { name: 'papersift-artifacts', mode: 'shared' },
        { name: 'papersift-artifacts', mode: 'shared' },
        { name: 'papersift-artifacts', mode: 'exclusive' },
        { name: 'papersift-artifacts', mode: 'exclusive' },
      ]);
    });

    it('still works where the lock manager refuses (opaque origins)', async () => {
      const refuse = () => Promise.reject(new DOMException('The request was denied.', 'SecurityError'));
      vi.stubGlobal('navigator', { locks: { request: refuse } });
      const store = new ArtifactStore('m', 'refused');
      await store.save(new Map([['a.bin', bytes(3)]]), 'o');
      expect(await store.origin()).toBe('o');
      expect(await store.read('a.bin')).toEqual(bytes(3));
    });

    it('a write failing part-way under the lock commits nothing and reports the failure', async () => {
      vi.stubGlobal('navigator', { locks: { request: (_n: string, _o: LockOptions, task: () => Promise<unknown>) => task() } });
      const store = new ArtifactStore('m', 'failing');
      // A value IndexedDB cannot clone fails the write; that must surface, not be retried unlocked.
      await expect(store.save(new Map([['a.bin', bytes(1)]]), Symbol('not cloneable') as unknown as string)).rejects.toThrow(/clone/i);
      expect(await store.read('a.bin')).toBeUndefined();
    });
  });
});

