import { describe, expect, it } from 'vitest';
import { ArtifactStore, clearArtifactStore } from './artifact-store';

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
});
