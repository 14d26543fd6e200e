/**
 * Format 3's files in the browser: fetched one by one as search needs them, checked against the
 * manifest, kept in IndexedDB for the next visit and for offline use (browser worker, or tests with
 * fake-indexeddb). A file read from the network is handed to the search before its IndexedDB write ends.
 *
 * A record is keyed by the file's sha256, so a file unchanged between two builds is kept once and a
 * changed one can never be mistaken for the old. Every read re-hashes the stored bytes before use
 * (docs/BENCHMARKS.md: well under a millisecond for a 32 KiB bucket, small beside the IndexedDB read
 * itself), so a record damaged on disk is dropped and fetched again, never used; a record the browser
 * evicted is simply fetched again. When storing fails (the quota is full, private mode), the bytes are
 * still used: search goes on from the network and `storageProblem` says why nothing is being kept.
 *
 * idb-keyval (already the app's IndexedDB layer) rather than Cache Storage: Cache Storage keys by URL,
 * where a content-addressed key is what makes old and new builds share records safely.
 */
import { createStore, del, get, getMany, keys, promisifyRequest, set, setMany, type UseStore } from 'idb-keyval';
import { describeError, isPapersiftError, isQuotaError, PapersiftError } from '../core/errors';
import { checkFile, type FileEntry, type FileSource } from '../core/format3/sharded-files';

/** The part of IndexedDB the store uses; tests swap in one that fails. */
export interface ChunkStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
  del(key: string): Promise<void>;
  /** Every key stored; without it, every read asks storage first. */
  keys?(): Promise<string[]>;
  /** Several records in one read (one IndexedDB transaction); without it, `get` one by one. */
  getMany?(keys: string[]): Promise<unknown[]>;
  /** Several records in one write (one IndexedDB transaction); without it, a search's files are kept one `set` each. */
  setMany?(entries: [string, unknown][]): Promise<void>;
}

export interface ChunkStoreOptions {
  /** Where the files are served: a file's URL is new URL(name, base). */
  base: string | URL;
  fetch?: typeof fetch;
  /** Default: IndexedDB database "papersift-chunks" through idb-keyval. */
  storage?: ChunkStorage;
  /** Told once when storing fails (quota, private mode); search continues from the network. */
  onStorageProblem?: (problem: PapersiftError) => void;
  /** Told when the key listing taken at open has come back (a start-up mark for the benches). */
  onListed?: () => void;
}

/** A stored file. */
interface ChunkRecord {
  name: string;
  data: Uint8Array;
}

export interface OfflineProgress {
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

/** Where reads were served from: what a visit cost the network. */
export interface ChunkStats {
  network: { files: number; bytes: number };
  stored: { files: number; bytes: number };
  /** Stored records dropped because their bytes no longer matched. */
  corrupt: number;
  /**
   * Milliseconds spent, summed over files (reads run side by side, so these add up past the wall time):
   * waiting for IndexedDB to answer a read, for the network (request to last byte), checking sha256s.
   */
  ms: { storageGet: number; fetch: number; hash: number };
}

/** What a visitor reads when a query needs a file this device never kept and the network is off (names the footer button). */
export const NOT_KEPT_OFFLINE =
  'This needs a part of the collection that has not been downloaded to this device, and the network cannot be reached. ' +
  'Connect and try again; to search the whole collection without a connection, use “Make the whole collection available offline” at the bottom of the page while online.';

/** How many files "make available offline" fetches at once. */
const OFFLINE_CONCURRENCY = 4;

/**
 * A search's downloaded files are kept in one IndexedDB write per this many ms (or per WRITE_BATCH_BYTES), not one
 * each: a cold 1M search downloads ~300 row shards, and in headless Chromium 300 writes of 40 KB took 239 ms in a
 * transaction each against 95 ms in one, while a read begun behind them waited 209 ms (a read of a kept text shard
 * or keyword bucket waits behind every write transaction begun before it).
 */
const WRITE_BATCH_MS = 30;
const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

export function idbChunkStorage(database = 'papersift-chunks'): ChunkStorage {
  let store: UseStore | undefined;
  const idb = () => (store ??= createStore(database, 'chunks'));
  return {
    get: (key) => get(key, idb()),
    set: (key, value) => set(key, value, idb()),
    del: (key) => del(key, idb()),
    keys: async () => (await keys(idb())).map(String),
    getMany: (wanted) => getMany(wanted, idb()),
    setMany: (entries) => setMany(entries, idb()),
  };
}

/**
 * Whether this browser keeps any file of a format-3 set (a repeat visit, or a set kept offline): one key read,
 * not a listing. The worker asks it before it opens a set, to know whether the set's eager part will come from
 * IndexedDB (the model then loads after the first keyword answer) or from the network (beside it).
 */
export async function keepsAnyFile(database = 'papersift-chunks'): Promise<boolean> {
  const store = createStore(database, 'chunks');
  return (await store('readonly', (chunks) => promisifyRequest(chunks.getAllKeys(null, 1)))).length > 0;
}

export class ChunkStore {
  private readonly storage: ChunkStorage;
  private readonly fetchFn: typeof fetch;
  private readonly inFlight = new Map<string, Promise<Uint8Array>>();
  private readonly writes = new Set<Promise<void>>();
  /**
   * The first 32 bits of every key kept in storage, listed once when the store opens and kept up to date by
   * its own writes and deletions: a file whose key is not there is fetched at once, not first looked for in
   * IndexedDB (a lookup that waited behind the writes begun before it: ~5–10 ms a file in bench/search-ab.ts).
   * A key listed here is still read and checked; one that is gone (evicted) is fetched. 32 bits, not whole keys,
   * so that a kept collection of 100k files costs ~a megabyte here: a rare collision only costs a lookup.
   * Undefined when storage cannot list its keys.
   */
  private readonly kept: Promise<Set<number> | undefined>;
  /** `kept` once it has come back: reads made before then look their file up at once instead of waiting for it. */
  private listing: { done: false } | { done: true; set: Set<number> | undefined } = { done: false };
  /**
   * Stored records asked for in the same turn (a shortlist's row shards are asked for at once), read in one
   * IndexedDB transaction instead of one each.
   */
  private lookups?: Map<string, { resolve: (record: unknown) => void; reject: (error: unknown) => void }[]>;
  /** Downloaded files waiting for their batched write: a read of one meanwhile gets its checked bytes from here. */
  private writeBatch?: { records: Map<string, ChunkRecord>; bytes: number; writeNow: () => void; written: Promise<void> };
  readonly stats: ChunkStats = { network: { files: 0, bytes: 0 }, stored: { files: 0, bytes: 0 }, corrupt: 0, ms: { storageGet: 0, fetch: 0, hash: 0 } };
  /** Why files are not being kept, once storing has failed; undefined while all is well. */
  storageProblem?: PapersiftError;

  constructor(private readonly options: ChunkStoreOptions) {
    this.storage = options.storage ?? idbChunkStorage();
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    const listing = this.storage.keys?.();
    this.kept = listing
      ? listing.then(
          (all) => {
            const set = new Set(all.map(keyBits));
            this.listing = { done: true, set };
            options.onListed?.();
            return set;
          },
          () => ((this.listing = { done: true, set: undefined }), undefined),
        )
      : Promise.resolve(undefined);
    if (!listing) this.listing = { done: true, set: undefined };
  }

  /** Resolves once the key listing taken at open is back (or has failed); `keptOf` answers from then on. */
  async whenListed(): Promise<void> {
    await this.kept;
  }

  /** A file's checked bytes, from IndexedDB when kept there intact, else from the network (then kept). */
  readonly read: FileSource = (name, entry) => {
    const key = `${entry.sha256}:${name}`;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.load(name, entry).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  };

  /**
   * Fetches and keeps every listed file not already kept intact, reporting files and bytes done (of
   * the total, which is known up front: show it before starting). Fails if storing fails, since the
   * collection would not then be available offline.
   */
  async makeAllAvailableOffline(files: Iterable<[string, FileEntry]>, onProgress?: (progress: OfflineProgress) => void): Promise<OfflineProgress> {
    const unique = new Map<string, FileEntry>(files);
    // A search's files still waiting for their batched write are written (or found unwritable) first: a file counts
    // as available offline only once IndexedDB holds it.
    await this.flush();
    const progress: OfflineProgress = { files: 0, totalFiles: unique.size, bytes: 0, totalBytes: 0 };
    for (const entry of unique.values()) progress.totalBytes += entry.bytes;
    onProgress?.({ ...progress });
    const queue = [...unique];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [name, entry] = next;
        if (!(await this.storedIntact(name, entry))) {
          const bytes = await this.download(name, entry);
          await this.keep(name, entry, bytes, { required: true });
        }
        progress.files++;
        progress.bytes += entry.bytes;
        onProgress?.({ ...progress });
      }
    };
    await Promise.all(Array.from({ length: OFFLINE_CONCURRENCY }, worker));
    return progress;
  }

  /**
   * Files and bytes of these that the key listing says are kept: neither read nor re-checked, so cheap enough for
   * the page's footer (a kept file found damaged when read is fetched again). Undefined until the listing is back,
   * or when storage cannot list its keys.
   */
  keptOf(files: Iterable<[string, FileEntry]>): { files: number; bytes: number } | undefined {
    const { listing } = this;
    if (!listing.done || !listing.set) return undefined;
    // Counted again only when the listing has grown or shrunk: a 1M set has ~76k files, and the page asks after every search.
    const memo = this.keptMemo;
    if (memo?.files === files && memo.listed === listing.set.size) return { ...memo.kept };
    const kept = { files: 0, bytes: 0 };
    for (const [, entry] of files) {
      if (!listing.set.has(keyBits(entry.sha256))) continue;
      kept.files++;
      kept.bytes += entry.bytes;
    }
    this.keptMemo = { files, listed: listing.set.size, kept };
    return { ...kept };
  }
  private keptMemo?: { files: Iterable<[string, FileEntry]>; listed: number; kept: { files: number; bytes: number } };

  /** Bytes that would be fetched to make these files available offline (those not yet kept intact). */
  async missingBytes(files: Iterable<[string, FileEntry]>): Promise<number> {
    let missing = 0;
    for (const [name, entry] of new Map(files)) if (!(await this.storedIntact(name, entry))) missing += entry.bytes;
    return missing;
  }

  private async load(name: string, entry: FileEntry): Promise<Uint8Array> {
    const stored = await this.storedIntact(name, entry);
    if (stored) {
      this.stats.stored.files++;
      this.stats.stored.bytes += stored.byteLength;
      return stored;
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.download(name, entry);
    } catch (error) {
      // The key listing is this store's own, taken at open: another tab may have kept the file since (its
      // "available offline"). Before a failed download is final, storage is asked after all.
      const late = await this.storedIntact(name, entry, { listed: false });
      if (!late) throw error;
      this.stats.stored.files++;
      this.stats.stored.bytes += late.byteLength;
      return late;
    }
    // Not awaited: the search has its checked bytes now, and an IndexedDB write (a transaction's commit)
    // took longer than the download itself; `flush` waits for the writes begun so far.
    const write: Promise<void> = this.keep(name, entry, bytes, { required: false }).finally(() => this.writes.delete(write));
    this.writes.add(write);
    return bytes;
  }

  /** Resolves once every file read so far has been offered to IndexedDB (kept, or its storage problem told). */
  async flush(): Promise<void> {
    this.writeBatch?.writeNow();
    await Promise.all([...this.writes]);
  }

  /** The stored bytes if there are any and they match the entry; a damaged record is deleted. */
  private async storedIntact(name: string, entry: FileEntry, { listed = true } = {}): Promise<Uint8Array | undefined> {
    let record: ChunkRecord | undefined;
    const asked = performance.now();
    const bits = keyBits(entry.sha256);
    const waiting = this.writeBatch?.records.get(entry.sha256);
    if (waiting) return waiting.data;
    const { listing } = this;
    // `listed: false` asks storage even for a key the listing lacks.
    if (listed && listing.done && listing.set && !listing.set.has(bits)) return undefined;
    try {
      const lookup = this.lookup(entry.sha256);
      if (listed && !listing.done) {
        // The listing is not back yet (a repeat visit's first reads): the file is looked up now rather than after
        // it, and fetched as soon as the listing says it is not kept.
        lookup.catch(() => {});
        const unlisted = this.kept.then((set) => (set && !set.has(bits) ? NOT_LISTED : lookup));
        const found = await Promise.race([lookup, unlisted]);
        if (found === NOT_LISTED) return undefined;
        record = found as ChunkRecord | undefined;
      } else record = (await lookup) as ChunkRecord | undefined;
    } catch {
      // An unreadable database is as good as an empty one: the network has every file.
      return undefined;
    } finally {
      this.stats.ms.storageGet += performance.now() - asked;
    }
    if (!record) return undefined;
    try {
      if (!(record.data instanceof Uint8Array)) throw new PapersiftError('storage', `Stored ${name} is not bytes`);
      await this.checked(name, record.data, entry);
      this.listed(bits, true);
      return record.data;
    } catch {
      this.stats.corrupt++;
      this.listed(bits, false);
      await this.storage.del(entry.sha256).catch(() => undefined);
      return undefined;
    }
  }

  /** Marks a key kept or not in the listing, now or (while the listing is not back) once it is: never waited for. */
  private listed(bits: number, kept: boolean): void {
    const mark = (set: Set<number> | undefined) => (kept ? set?.add(bits) : set?.delete(bits));
    if (this.listing.done) mark(this.listing.set);
    else void this.kept.then(mark);
  }

  /** One stored record: with the others asked for in this turn, in one read when storage can. */
  private lookup(key: string): Promise<unknown> {
    const { storage } = this;
    if (!storage.getMany) return storage.get(key);
    if (!this.lookups) {
      const batch = new Map<string, { resolve: (record: unknown) => void; reject: (error: unknown) => void }[]>();
      this.lookups = batch;
      queueMicrotask(() => {
        this.lookups = undefined;
        const wanted = [...batch.keys()];
        storage.getMany!(wanted).then(
          (records) => wanted.forEach((k, i) => batch.get(k)!.forEach((waiter) => waiter.resolve(records[i]))),
          (error: unknown) => batch.forEach((waiters) => waiters.forEach((waiter) => waiter.reject(error))),
        );
      });
    }
    const batch = this.lookups;
    return new Promise((resolve, reject) => {
      const waiters = batch.get(key) ?? [];
      waiters.push({ resolve, reject });
      batch.set(key, waiters);
    });
  }

  private async download(name: string, entry: FileEntry): Promise<Uint8Array> {
    const url = new URL(name, this.options.base);
    let response: Response;
    const asked = performance.now();
    try {
      // Not through the browser's HTTP cache: this store keeps the file itself (by its sha256), and a cache entry
      // looked up and written per file only delayed the answer (docs/BENCHMARKS.md, search time by part).
      response = await this.fetchFn(url, { cache: 'no-store' });
    } catch (e) {
      // fetch rejects only when no answer came at all: offline, or the server unreachable.
      throw new PapersiftError('offline', NOT_KEPT_OFFLINE, { file: name }, { cause: e });
    }
    if (!response.ok) throw new PapersiftError('artifacts-missing', `Could not fetch ${name}: HTTP ${response.status}`, { file: name, status: response.status });
    const bytes = new Uint8Array(await response.arrayBuffer());
    this.stats.ms.fetch += performance.now() - asked;
    // Throws naming the file: a wrong download is never used nor kept.
    await this.checked(name, bytes, entry);
    this.stats.network.files++;
    this.stats.network.bytes += bytes.byteLength;
    return bytes;
  }

  private async checked(name: string, bytes: Uint8Array, entry: FileEntry): Promise<void> {
    const started = performance.now();
    try {
      await checkFile(name, bytes, entry);
    } finally {
      this.stats.ms.hash += performance.now() - started;
    }
  }

  private async keep(name: string, entry: FileEntry, data: Uint8Array, { required }: { required: boolean }): Promise<void> {
    // Listed before the write commits: IndexedDB answers a read begun meanwhile after the write, so it finds the file.
    const kept = await this.kept;
    kept?.add(keyBits(entry.sha256));
    try {
      if (required || !this.storage.setMany) await this.storage.set(entry.sha256, { name, data } satisfies ChunkRecord);
      else await this.keepInBatch(entry.sha256, { name, data });
    } catch (e) {
      kept?.delete(keyBits(entry.sha256));
      const quota = isQuotaError(e);
      const problem = isPapersiftError(e)
        ? e
        : new PapersiftError(
            'storage',
            quota
              ? 'The browser’s storage for this site is full: search goes on from the network, but files are no longer kept for offline use'
              : `Files cannot be kept in this browser (${describeError(e)}): search goes on from the network, but not offline`,
            { file: name, quota },
            { cause: e },
          );
      if (!this.storageProblem) {
        this.storageProblem = problem;
        this.options.onStorageProblem?.(problem);
      }
      if (required) throw problem;
    }
  }

  /** Joins the write under way (written WRITE_BATCH_MS after its first file, sooner once it is big or on flush). */
  private keepInBatch(key: string, record: ChunkRecord): Promise<void> {
    let batch = this.writeBatch;
    if (!batch) {
      const records = new Map<string, ChunkRecord>();
      let writeNow!: () => void;
      const due = new Promise<void>((resolve) => (writeNow = resolve));
      const timer = setTimeout(writeNow, WRITE_BATCH_MS);
      const written = due.then(() => {
        clearTimeout(timer);
        if (this.writeBatch === batch) this.writeBatch = undefined;
        return this.storage.setMany!([...records]);
      });
      batch = { records, bytes: 0, writeNow, written };
      this.writeBatch = batch;
    }
    batch.records.set(key, record);
    batch.bytes += record.data.byteLength;
    if (batch.bytes >= WRITE_BATCH_BYTES) batch.writeNow();
    return batch.written;
  }
}
/** What a lookup raced against the key listing gives when the listing says the file is not kept. */
const NOT_LISTED = Symbol('not listed');

/** A stored key (a sha256 in hex) as the number the store lists it by: its first 32 bits. */
function keyBits(key: string): number {
  return parseInt(key.slice(0, 8), 16);
}
