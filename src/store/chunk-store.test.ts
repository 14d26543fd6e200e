import { clear, createStore, get, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../core/hash';
import type { FileEntry } from '../core/format3/sharded-files';
import { ChunkStore, idbChunkStorage, keepsAnyFile, type ChunkStorage, type OfflineProgress } from './chunk-store';

const BASE = 'https://papersift.test/artifacts/';

async function serverFiles(count = 6) {
  const files = new Map<string, Uint8Array>();
  const entries = new Map<string, FileEntry>();
  for (let i = 0; i < count; i++) {
    const bytes = new TextEncoder().encode(`chunk ${i} `.repeat(50 + i * 10));
    files.set(`lexical/b-${i}.bin`, bytes);
    entries.set(`lexical/b-${i}.bin`, { bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
  }
  return { files, entries };
}

/** A fetch over a Map of files, counting requests; `offline` makes every request fail as a dropped network does. */
function fakeFetch(files: Map<string, Uint8Array>) {
  const state = { requests: [] as string[], offline: false, caches: [] as (RequestCache | undefined)[] };
  const fetch = (async (input: URL | RequestInfo, init?: RequestInit) => {
    const url = String(input);
    state.requests.push(url.slice(BASE.length));
    state.caches.push(init?.cache);
    if (state.offline) throw new TypeError('Failed to fetch');
    const bytes = files.get(url.slice(BASE.length));
    return bytes ? new Response(bytes.slice()) : new Response('not found', { status: 404 });
  }) as typeof globalThis.fetch;
  return { fetch, state };
}

/** Storage over a Map, with a key listing. */
function memoryStorage(kept: Map<string, unknown>): ChunkStorage {
  return {
    get: async (key) => kept.get(key),
    set: async (key, value) => void kept.set(key, value),
    del: async (key) => void kept.delete(key),
    keys: async () => [...kept.keys()],
  };
}

let databases = 0;
async function setup() {
  const { files, entries } = await serverFiles();
  const { fetch, state } = fakeFetch(files);
  const database = `chunk-store-test-${databases++}`;
  const open = (storage: ChunkStorage = idbChunkStorage(database)) => new ChunkStore({ base: BASE, fetch, storage });
  return { files, entries, fetch, state, database, open };
}

describe('chunk store', () => {
  it('fetches a file once, checks it, and serves it from IndexedDB on the next visit', async () => {
    const { files, entries, state, open } = await setup();
    const name = 'lexical/b-2.bin';
    const first = open();
    expect(await first.read(name, entries.get(name)!)).toEqual(files.get(name));
    expect(state.requests).toEqual([name]);
    await first.flush();
    const nextVisit = open();
    state.offline = true;
    expect(await nextVisit.read(name, entries.get(name)!)).toEqual(files.get(name));
    expect(nextVisit.stats.stored.files).toBe(1);
    expect(state.requests).toEqual([name]);
  });

  it('downloads past the browser HTTP cache, for searches and for making the collection available offline', async () => {
    const { entries, state, open } = await setup();
    const store = open();
    await store.read('lexical/b-0.bin', entries.get('lexical/b-0.bin')!);
    await store.makeAllAvailableOffline(entries);
    expect(state.requests.length).toBe(entries.size);
    expect(state.caches).toEqual(state.requests.map(() => 'no-store'));
  });

  it('tells whether this browser keeps any file (a repeat visit) without listing them', async () => {
    const { entries, database, open } = await setup();
    expect(await keepsAnyFile(database)).toBe(false);
    const store = open();
    const name = 'lexical/b-0.bin';
    await store.read(name, entries.get(name)!);
    await store.flush();
    expect(await keepsAnyFile(database)).toBe(true);
    await clear(createStore(database, 'chunks'));
    expect(await keepsAnyFile(database)).toBe(false);
  });

  it('counts the time its reads waited for IndexedDB, the network and the sha256 checks', async () => {
    const { entries, open } = await setup();
    const name = 'lexical/b-1.bin';
    const first = open();
    expect(first.stats.ms).toEqual({ storageGet: 0, fetch: 0, hash: 0 });
    await first.read(name, entries.get(name)!);
    await first.flush();
    const { fetch, hash } = first.stats.ms;
    expect(Math.min(fetch, hash)).toBeGreaterThan(0);
    const nextVisit = open();
    await nextVisit.read(name, entries.get(name)!);
    expect(nextVisit.stats.ms.fetch).toBe(0);
    expect(Math.min(nextVisit.stats.ms.storageGet, nextVisit.stats.ms.hash)).toBeGreaterThan(0);
  });

  it('asks IndexedDB only for files it has kept: the keys are listed once, at open', async () => {
    const { files, entries } = await setup();
    const kept = new Map<string, unknown>();
    const asked: string[] = [];
    let listings = 0;
    const storage: ChunkStorage = {
      get: async (key) => (asked.push(key), kept.get(key)),
      set: async (key, value) => void kept.set(key, value),
      del: async (key) => void kept.delete(key),
      keys: async () => (listings++, [...kept.keys()]),
    };
    const first = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage });
    // Once the listing is back (before it, a read looks its file up at once: the next test).
    await first.whenListed();
    for (const name of ['lexical/b-0.bin', 'lexical/b-1.bin']) await first.read(name, entries.get(name)!);
    await first.flush();
    expect(asked).toEqual([]);
    const next = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage });
    for (const name of ['lexical/b-1.bin', 'lexical/b-2.bin']) expect(await next.read(name, entries.get(name)!)).toEqual(files.get(name));
    // Asked for the kept one only; the other came from the network at once.
    expect(asked).toEqual([entries.get('lexical/b-1.bin')!.sha256]);
    expect(next.stats).toMatchObject({ stored: { files: 1 }, network: { files: 1 } });
    expect(listings).toBe(2);
  });

  it('says how much of a set it keeps from its key listing, before and after reads, without reading a file', async () => {
    const { files, entries, database } = await setup();
    const sizeOf = (...names: string[]) => names.reduce((sum, name) => sum + entries.get(name)!.bytes, 0);
    const store = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage: idbChunkStorage(database) });
    expect(store.keptOf(entries)).toBeUndefined(); // the listing is not back yet
    await store.whenListed();
    expect(store.keptOf(entries)).toEqual({ files: 0, bytes: 0 });
    for (const name of ['lexical/b-0.bin', 'lexical/b-3.bin']) await store.read(name, entries.get(name)!);
    await store.flush();
    expect(store.keptOf(entries)).toEqual({ files: 2, bytes: sizeOf('lexical/b-0.bin', 'lexical/b-3.bin') });
    const asked: string[] = [];
    const storage = idbChunkStorage(database);
    const next = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage: { ...storage, get: (key) => (asked.push(key), storage.get(key)) } });
    await next.whenListed();
    await next.makeAllAvailableOffline(entries);
    expect(next.keptOf(entries)).toEqual({ files: entries.size, bytes: sizeOf(...entries.keys()) });
    const third = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage: idbChunkStorage(database) });
    await third.whenListed();
    expect(third.keptOf(entries)).toEqual({ files: entries.size, bytes: sizeOf(...entries.keys()) });
  });

  it('does not wait for its key listing: a kept file is read at once, an unkept one fetched once the listing says so', async () => {
    const { files, entries } = await setup();
    const [keptName, otherName] = ['lexical/b-1.bin', 'lexical/b-2.bin'];
    const kept = new Map<string, unknown>([[entries.get(keptName)!.sha256, { name: keptName, data: files.get(keptName)!.slice() }]]);
    let releaseListing!: () => void;
    const listingHeld = new Promise<void>((resolve) => (releaseListing = resolve));
    const storage: ChunkStorage = {
      get: async (key) => kept.get(key),
      set: async (key, value) => void kept.set(key, value),
      del: async (key) => void kept.delete(key),
      keys: async () => (await listingHeld, [...kept.keys()]),
      // A lookup of a file not kept that IndexedDB is slow to answer (it waits behind writes): never, here.
      getMany: (wanted) => (wanted.every((key) => kept.has(key)) ? Promise.resolve(wanted.map((key) => kept.get(key))) : new Promise(() => {})),
    };
    const { fetch, state } = fakeFetch(files);
    const store = new ChunkStore({ base: BASE, fetch, storage });
    expect(await store.read(keptName, entries.get(keptName)!)).toEqual(files.get(keptName));
    expect(store.stats).toMatchObject({ stored: { files: 1 }, network: { files: 0 } });
    const other = store.read(otherName, entries.get(otherName)!);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.requests).toEqual([]);
    releaseListing();
    expect(await other).toEqual(files.get(otherName));
    expect(state.requests).toEqual([otherName]);
  });

  it('offline, finds a file another tab kept after this store listed its keys', async () => {
    const { files, entries } = await setup();
    const kept = new Map<string, unknown>();
    const storage = memoryStorage(kept);
    const { fetch, state } = fakeFetch(files);
    const tab = new ChunkStore({ base: BASE, fetch, storage });
    const name = 'lexical/b-3.bin';
    // Another tab keeps the file once this one has listed the keys (its "available offline").
    await new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage }).makeAllAvailableOffline([[name, entries.get(name)!]]);
    state.offline = true;
    expect(await tab.read(name, entries.get(name)!)).toEqual(files.get(name));
    expect(tab.stats).toMatchObject({ stored: { files: 1 }, network: { files: 0 } });
    // A file kept nowhere still fails offline, in visitor words.
    await expect(tab.read('lexical/b-4.bin', entries.get('lexical/b-4.bin')!)).rejects.toMatchObject({ code: 'offline' });
  });

  it('reads the kept files asked for together in one IndexedDB read, and fetches them when that read fails', async () => {
    const { files, entries } = await setup();
    const kept = new Map<string, unknown>();
    const reads: string[][] = [];
    let failing = false;
    const storage: ChunkStorage = {
      get: async (key) => (reads.push([key]), kept.get(key)),
      set: async (key, value) => void kept.set(key, value),
      del: async (key) => void kept.delete(key),
      keys: async () => [...kept.keys()],
      getMany: async (wanted) => {
        reads.push(wanted);
        if (failing) throw new DOMException('gone', 'UnknownError');
        return wanted.map((key) => kept.get(key));
      },
    };
    const names = [...entries.keys()];
    const first = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage });
    await first.whenListed();
    await Promise.all(names.map((name) => first.read(name, entries.get(name)!)));
    await first.flush();
    const next = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage });
    const got = await Promise.all(names.map((name) => next.read(name, entries.get(name)!)));
    expect(got).toEqual(names.map((name) => files.get(name)));
    expect(reads).toEqual([names.map((name) => entries.get(name)!.sha256)]);
    expect(next.stats.stored.files).toBe(names.length);
    failing = true;
    const third = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage });
    expect(await third.read(names[0], entries.get(names[0])!)).toEqual(files.get(names[0]));
    expect(third.stats.network.files).toBe(1);
  });

  it('gives a fetched file to the search before its IndexedDB write ends; flush waits for the write', async () => {
    const { files, entries, fetch } = await setup();
    const kept = new Map<string, unknown>();
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowStorage: ChunkStorage = {
      get: async (key) => kept.get(key),
      set: async (key, value) => {
        await released;
        kept.set(key, value);
      },
      del: async (key) => void kept.delete(key),
    };
    const store = new ChunkStore({ base: BASE, fetch, storage: slowStorage });
    const name = 'lexical/b-5.bin';
    expect(await store.read(name, entries.get(name)!)).toEqual(files.get(name));
    expect(kept.size).toBe(0);
    let flushed = false;
    const flushing = store.flush().then(() => (flushed = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(flushed).toBe(false);
    release();
    await flushing;
    expect(kept.has(entries.get(name)!.sha256)).toBe(true);
  });

  it('shares one download between reads of the same file in flight', async () => {
    const { entries, state, open } = await setup();
    const store = open();
    const name = 'lexical/b-1.bin';
    await Promise.all([store.read(name, entries.get(name)!), store.read(name, entries.get(name)!)]);
    expect(state.requests).toEqual([name]);
  });

  it('drops a corrupt stored chunk and fetches it again', async () => {
    const { files, entries, state, database, open } = await setup();
    const name = 'lexical/b-3.bin';
    const entry = entries.get(name)!;
    const earlier = open();
    await earlier.read(name, entry);
    await earlier.flush();
    // Same length, one bit flipped: only the digest can tell.
    const idb = createStore(database, 'chunks');
    const record = (await get(entry.sha256, idb)) as { name: string; data: Uint8Array };
    record.data[10] ^= 1;
    await set(entry.sha256, record, idb);

    const store = open();
    expect(await store.read(name, entry)).toEqual(files.get(name));
    expect(store.stats.corrupt).toBe(1);
    expect(state.requests).toEqual([name, name]);
    await store.flush();
    // The fetched copy replaced the bad one.
    expect(((await get(entry.sha256, idb)) as { data: Uint8Array }).data).toEqual(files.get(name));
  });

  it('fetches an evicted chunk again', async () => {
    const { entries, state, database, open } = await setup();
    const name = 'lexical/b-0.bin';
    const earlier = open();
    await earlier.read(name, entries.get(name)!);
    await earlier.flush();
    // What eviction leaves: the store without its records (the database stays open in this worker).
    await clear(createStore(database, 'chunks'));
    await open().read(name, entries.get(name)!);
    expect(state.requests).toEqual([name, name]);
  });

  it('refuses a network file whose hash differs, naming the file, and keeps nothing', async () => {
    const { files, entries, database, open } = await setup();
    const name = 'lexical/b-4.bin';
    files.get(name)![0] ^= 1;
    await expect(open().read(name, entries.get(name)!)).rejects.toThrow(/lexical\/b-4\.bin is corrupted: its sha256 differs/);
    expect(await get(entries.get(name)!.sha256, createStore(database, 'chunks'))).toBeUndefined();
    files.set(name, new Uint8Array(3));
    await expect(open().read(name, entries.get(name)!)).rejects.toThrow(/lexical\/b-4\.bin is corrupted: 3 bytes/);
  });

  it('names a file the server lacks, and one it cannot reach', async () => {
    const { state, open } = await setup();
    const entry = { bytes: 1, sha256: '0'.repeat(64) };
    await expect(open().read('lexical/b-99.bin', entry)).rejects.toMatchObject({ code: 'artifacts-missing', message: expect.stringMatching(/lexical\/b-99\.bin: HTTP 404/) });
    state.offline = true;
    // Offline, in visitor words that point to the footer button; the file is named in the details.
    await expect(open().read('lexical/b-98.bin', entry)).rejects.toMatchObject({
      code: 'offline',
      message: expect.stringMatching(/not been downloaded to this device.*“Make the whole collection available offline”/),
      details: { file: 'lexical/b-98.bin' },
    });
  });

  it('on a full quota says so once and keeps serving from the network', async () => {
    const { files, entries, fetch } = await setup();
    const quotaFull: ChunkStorage = {
      get: async () => undefined,
      set: async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
      del: async () => undefined,
    };
    const problems: string[] = [];
    const store = new ChunkStore({ base: BASE, fetch, storage: quotaFull, onStorageProblem: (p) => problems.push(p.message) });
    for (const name of ['lexical/b-0.bin', 'lexical/b-1.bin']) expect(await store.read(name, entries.get(name)!)).toEqual(files.get(name));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/storage for this site is full: search goes on from the network/);
    expect(store.storageProblem).toMatchObject({ code: 'storage', details: { quota: true } });
    await expect(store.makeAllAvailableOffline(entries)).rejects.toMatchObject({ code: 'storage' });
  });

  it('keeps the files a search downloads in one write, and serves one waiting for it from memory', async () => {
    const { files, entries, database, state } = await setup();
    const idb = idbChunkStorage(database);
    const writes: string[][] = [];
    const asked: string[] = [];
    const storage: ChunkStorage = {
      ...idb,
      get: (key) => (asked.push(key), idb.get(key)),
      getMany: (wanted) => (asked.push(...wanted), idb.getMany!(wanted)),
      set: (key, value) => (writes.push([key]), idb.set(key, value)),
      setMany: (batch) => (writes.push(batch.map(([key]) => key)), idb.setMany!(batch)),
    };
    const store = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage });
    await store.whenListed();
    const names = [...entries.keys()];
    await Promise.all(names.map((name) => store.read(name, entries.get(name)!)));
    expect(writes).toEqual([]); // not yet: the batch waits a few ms for more
    expect(await store.read(names[2], entries.get(names[2])!)).toEqual(files.get(names[2]));
    expect(asked).toEqual([]);
    await store.flush();
    // One write holding every file, in the order their downloads were checked (which varies).
    expect(writes.map((keys) => [...keys].sort())).toEqual([names.map((name) => entries.get(name)!.sha256).sort()]);
    state.offline = true;
    const next = new ChunkStore({ base: BASE, fetch: fakeFetch(files).fetch, storage: idbChunkStorage(database) });
    for (const name of names) expect(await next.read(name, entries.get(name)!)).toEqual(files.get(name));
    expect(next.stats).toMatchObject({ stored: { files: names.length }, network: { files: 0 } });
  });

  it('when a batched write fails, says so once and fetches those files again rather than look for them', async () => {
    const { files, entries } = await setup();
    const kept = new Map<string, unknown>();
    const storage: ChunkStorage = {
      ...memoryStorage(kept),
      setMany: async () => {
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      },
    };
    const { fetch, state } = fakeFetch(files);
    const problems: string[] = [];
    const store = new ChunkStore({ base: BASE, fetch, storage, onStorageProblem: (p) => problems.push(p.message) });
    await store.whenListed();
    const names = ['lexical/b-0.bin', 'lexical/b-1.bin'];
    await Promise.all(names.map((name) => store.read(name, entries.get(name)!)));
    await store.flush();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/storage for this site is full/);
    expect(await store.read(names[0], entries.get(names[0])!)).toEqual(files.get(names[0]));
    expect(state.requests.slice(0, 2).sort()).toEqual(names);
    expect(state.requests.slice(2)).toEqual([names[0]]);
    // "Available offline" writes one file at a time and must hold them all: it keeps them with `set`.
    await store.makeAllAvailableOffline(entries);
    expect(kept.size).toBe(entries.size);
  });

  it('makes every file available offline, reporting the total up front and progress to the end', async () => {
    const { files, entries, state, open } = await setup();
    const store = open();
    await store.read('lexical/b-5.bin', entries.get('lexical/b-5.bin')!);
    const total = [...entries.values()].reduce((sum, e) => sum + e.bytes, 0);
    expect(await store.missingBytes(entries)).toBe(total - entries.get('lexical/b-5.bin')!.bytes);
    const progress: OfflineProgress[] = [];
    const done = await store.makeAllAvailableOffline(entries, (p) => progress.push(p));
    expect(progress[0]).toEqual({ files: 0, totalFiles: 6, bytes: 0, totalBytes: total });
    expect(progress.at(-1)).toEqual({ files: 6, totalFiles: 6, bytes: total, totalBytes: total });
    expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
    expect(done.bytes).toBe(total);
    // The file already kept was not fetched again.
    expect(state.requests.filter((r) => r === 'lexical/b-5.bin')).toHaveLength(1);
    expect(await store.missingBytes(entries)).toBe(0);
    state.offline = true;
    const offline = open();
    for (const [name, entry] of entries) expect(await offline.read(name, entry)).toEqual(files.get(name));
  });
});
