/**
 * HNSW graph search over hnswlib-wasm, in its inner-product space: distance = 1 − dot, so for unit
 * vectors cosine = 1 − distance.
 *
 * The library is built for the web and keeps files in Emscripten's IDBFS, so index bytes travel through
 * IndexedDB: `indexedDB` must exist (browsers have it; Node needs `import 'fake-indexeddb/auto'` and a
 * `globalThis.importScripts` stub, as src/cli/node-env.ts and test/setup.ts do). Everything that touches
 * the library's file system runs one at a time (see `withLibrary`).
 */
import { IDBFS_STORE_NAME, loadHnswlib, syncFileSystem, type HierarchicalNSW, type HnswlibModule } from 'hnswlib-wasm/dist/hnswlib.js';
import { PapersiftError, describeError } from '../errors';
import { checkAddInput, checkQuery, checkWholeNumber, defaultLabels, type AnnIndex, type AnnResult, type AnnSearchOptions } from './types';

export interface HnswParams {
  /** Links per node and layer (hnswlib's M; twice that on the bottom layer). More: better recall, more memory, slower build. */
  m?: number;
  /** Candidate list size while inserting. More: a better graph, a slower build. */
  efConstruction?: number;
  /** Candidate list size while searching (at least k is used). More: better recall, slower queries. */
  efSearch?: number;
}

/** m and efConstruction are hnswlib's usual values; efSearch 64 reached recall@10 ≥ 0.99 on 100k clustered vectors (bench/hnsw.ts). */
export const DEFAULT_HNSW_PARAMS: Readonly<Required<HnswParams>> = { m: 16, efConstruction: 200, efSearch: 64 };

/** Fixed, so the same vectors always build the same graph. */
const RANDOM_SEED = 100;

/** "PSHN": papersift HNSW index. The envelope records what hnswlib's own bytes leave implicit. */
const MAGIC = 0x4e485350;
const FORMAT_VERSION = 1;
/** magic, version, dims, m, efConstruction, efSearch: little-endian u32 each. */
const HEADER_BYTES = 24;

/** The IndexedDB database IDBFS keeps the library's files in: named after its mount point. */
const IDBFS_DATABASE = '/hnswlib-index';
const FILE_PREFIX = 'papersift-';
/** S_IFREG | 0644: IDBFS restores a record as a regular file only when its mode says so. */
const REGULAR_FILE_MODE = 0o100644;
const SYNC_TIMEOUT_MS = 120_000;
/** Web Lock held around file operations, so tabs and workers of one origin take turns. */
const LOCK_NAME = 'papersift-hnswlib-idbfs';

type NativeIndex = HierarchicalNSW & { delete(): void };
type Hnswlib = HnswlibModule & { getExceptionMessage?: (e: unknown) => [string, string] };

let library: Hnswlib | undefined;
let queue: Promise<unknown> = Promise.resolve();

export class HnswIndex implements AnnIndex {
  readonly kind = 'hnsw';
  readonly dims: number;
  readonly m: number;
  readonly efConstruction: number;
  private defaultEf: number;
  /** The ef the native index holds, so a search sets it only when it changes. */
  private nativeEf = -1;
  private readonly live = new Set<number>();
  /** Removed labels stay reserved: hnswlib keeps their nodes (marked deleted) and refuses to reuse them. */
  private readonly removed = new Set<number>();
  private nextLabel = 0;
  private disposed = false;

  private constructor(
    private readonly native: NativeIndex,
    dims: number,
    params: Required<HnswParams>,
  ) {
    this.dims = dims;
    this.m = params.m;
    this.efConstruction = params.efConstruction;
    this.defaultEf = params.efSearch;
  }

  /** An empty index with room for `capacity` vectors; adding past it grows the index. */
  static async create(dims: number, capacity: number, params: HnswParams = {}): Promise<HnswIndex> {
    checkWholeNumber('dims', dims, 1);
    checkWholeNumber('capacity', capacity, 0);
    const full = resolveParams(params);
    return withLibrary(async (lib) => {
      const native = nativeIndex(lib, dims, 'create an index', (created) =>
        created.initIndex(Math.max(1, capacity), full.m, full.efConstruction, RANDOM_SEED),
      );
      return new HnswIndex(native, dims, full);
    });
  }

  /**
   * Reads what toBytes() wrote. `dims` is what the caller expects (a mismatch throws); `capacity` makes
   * room for later adds (counting the stored vectors; below their count, the saved capacity is kept);
   * `efSearch` overrides the value stored with the index.
   */
  static async fromBytes(bytes: Uint8Array, dims: number, options: { efSearch?: number; capacity?: number } = {}): Promise<HnswIndex> {
    const stored = readHeader(bytes);
    if (stored.dims !== dims) {
      throw new PapersiftError('artifacts-format', `This HNSW index holds ${stored.dims}-d vectors; ${dims}-d were expected`, {
        expected: dims,
        found: stored.dims,
      });
    }
    const params = resolveParams({ ...stored, efSearch: options.efSearch ?? stored.efSearch });
    checkWholeNumber('capacity', options.capacity ?? 0, 0);
    return withLibrary(async (lib) => {
      const name = uniqueFileName();
      await putFileRecord(name, bytes.subarray(HEADER_BYTES));
      try {
        await syncFromIndexedDb(lib);
        // readIndex is synchronous, whatever the typings say.
        const native = nativeIndex(lib, dims, 'read the index', (created) => void created.readIndex(name, options.capacity ?? 0));
        const index = new HnswIndex(native, dims, params);
        for (const label of native.getUsedLabels()) index.live.add(label);
        for (const label of native.getDeletedLabels()) index.removed.add(label);
        for (const label of [...index.live, ...index.removed]) index.nextLabel = Math.max(index.nextLabel, label + 1);
        return index;
      } finally {
        await deleteFile(lib, name);
      }
    });
  }

  get size(): number {
    return this.live.size;
  }

  /** Vectors the index has room for before it must grow; removed ones still take their place. */
  get capacity(): number {
    this.checkUsable();
    return this.native.getMaxElements();
  }

  /** The efSearch a search uses when it names none. */
  get efSearch(): number {
    return this.defaultEf;
  }

  set efSearch(ef: number) {
    checkWholeNumber('efSearch', ef, 1);
    this.defaultEf = ef;
  }

  add(vectors: Float32Array, labels?: number[]): void {
    this.checkUsable();
    const count = checkAddInput(this.dims, vectors, labels);
    const assigned = labels ?? defaultLabels(this.nextLabel, count);
    for (const label of assigned) {
      if (this.live.has(label)) throw new PapersiftError('index', `Label ${label} is already in the index`, { label });
      if (this.removed.has(label)) throw new PapersiftError('index', `Label ${label} was removed; labels are not reused`, { label });
    }
    const slotsNeeded = this.native.getCurrentCount() + count;
    const capacity = this.native.getMaxElements();
    if (slotsNeeded > capacity) {
      // Growing by half again keeps a run of small adds from copying the whole graph each time.
      libraryCall('grow the index', () => this.native.resizeIndex(Math.max(slotsNeeded, Math.ceil(capacity * 1.5))));
    }
    libraryCall('add a vector', () => {
      for (let i = 0; i < count; i++) {
        this.native.addPoint(vectors.subarray(i * this.dims, (i + 1) * this.dims), assigned[i], false);
        this.live.add(assigned[i]);
        this.nextLabel = Math.max(this.nextLabel, assigned[i] + 1);
      }
    });
  }

  remove(label: number): void {
    this.checkUsable();
    if (this.removed.has(label)) return;
    if (!this.live.has(label)) throw new PapersiftError('index', `Label ${label} is not in the index`, { label });
    libraryCall('remove a vector', () => this.native.markDelete(label));
    this.live.delete(label);
    this.removed.add(label);
  }

  search(query: Float32Array, k: number, options: AnnSearchOptions = {}): AnnResult {
    this.checkUsable();
    checkQuery(this.dims, query, k);
    const ef = options.efSearch ?? this.defaultEf;
    checkWholeNumber('efSearch', ef, 1);
    // hnswlib refuses k above its capacity; more than the live count cannot be found anyway.
    const wanted = Math.min(k, this.live.size);
    if (wanted === 0) return { labels: [], scores: [], distanceEvaluations: Number.NaN };
    if (ef !== this.nativeEf) {
      libraryCall('set efSearch', () => this.native.setEfSearch(ef));
      this.nativeEf = ef;
    }
    const { exclude, keep } = options;
    // hnswlib applies the filter while it walks the graph, so excluded labels take no result slots; it
    // costs one JS call per accepted candidate, which measured as no slower than no filter.
    const excluding = exclude !== undefined && exclude.size > 0;
    const filter =
      excluding && keep ? (label: number) => keep(label) && !exclude.has(label) : excluding ? (label: number) => !exclude.has(label) : keep;
    const found = libraryCall('search', () => this.native.searchKnn(query, wanted, filter));
    return {
      labels: found.neighbors,
      scores: found.distances.map((distance) => 1 - distance),
      // hnswlib-wasm does not expose hnswlib's distance counter; NaN says "unknown" rather than invent one.
      distanceEvaluations: Number.NaN,
    };
  }

  /** A header (dims, m, efConstruction, efSearch) followed by hnswlib's own index bytes. */
  async toBytes(): Promise<Uint8Array> {
    this.checkUsable();
    return withLibrary(async (lib) => {
      this.checkUsable();
      const name = uniqueFileName();
      // Saves into the in-memory file system, then starts a sync to IndexedDB that takes no callback.
      libraryCall('write the index', () => void this.native.writeIndex(name));
      try {
        await untilSyncSettled(lib);
        const graph = await readFileRecord(name);
        const bytes = new Uint8Array(HEADER_BYTES + graph.byteLength);
        const header = new DataView(bytes.buffer);
        [MAGIC, FORMAT_VERSION, this.dims, this.m, this.efConstruction, this.defaultEf].forEach((value, i) =>
          header.setUint32(i * 4, value, true),
        );
        bytes.set(graph, HEADER_BYTES);
        return bytes;
      } finally {
        await deleteFile(lib, name);
      }
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.native.delete();
  }

  private checkUsable(): void {
    if (this.disposed) throw new PapersiftError('index', 'This index was disposed', {});
  }
}

/**
 * A native index set up by `init`, freed again if `init` throws: embind objects live in the wasm heap,
 * out of the garbage collector's reach. The empty autosave name matters: with one, every addPoint would
 * rewrite the whole index file and sync it to IndexedDB.
 */
function nativeIndex(lib: Hnswlib, dims: number, what: string, init: (native: NativeIndex) => void): NativeIndex {
  return libraryCall(what, () => {
    const native = new lib.HierarchicalNSW('ip', dims, '') as NativeIndex;
    try {
      init(native);
    } catch (e) {
      native.delete();
      throw e;
    }
    return native;
  });
}

function resolveParams(params: HnswParams): Required<HnswParams> {
  const full = {
    m: params.m ?? DEFAULT_HNSW_PARAMS.m,
    efConstruction: params.efConstruction ?? DEFAULT_HNSW_PARAMS.efConstruction,
    efSearch: params.efSearch ?? DEFAULT_HNSW_PARAMS.efSearch,
  };
  checkWholeNumber('m', full.m, 2);
  checkWholeNumber('efConstruction', full.efConstruction, 1);
  checkWholeNumber('efSearch', full.efSearch, 1);
  return full;
}

function readHeader(bytes: Uint8Array): { dims: number; m: number; efConstruction: number; efSearch: number } {
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength <= HEADER_BYTES || header.getUint32(0, true) !== MAGIC) {
    throw new PapersiftError('artifacts-format', 'These bytes are not an HNSW index written by HnswIndex.toBytes()', { bytes: bytes.byteLength });
  }
  const version = header.getUint32(4, true);
  if (version !== FORMAT_VERSION) {
    throw new PapersiftError('artifacts-format', `HNSW index format ${version}; this build reads ${FORMAT_VERSION}`, { version });
  }
  const [dims, m, efConstruction, efSearch] = [8, 12, 16, 20].map((offset) => header.getUint32(offset, true));
  return { dims, m, efConstruction, efSearch };
}

/** Runs a synchronous library call, turning its exceptions (often bare WebAssembly.Exception) into PapersiftError. */
function libraryCall<T>(what: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw new PapersiftError('index', `hnswlib could not ${what}: ${libraryErrorMessage(e)}`, {}, { cause: e });
  }
}

function libraryErrorMessage(e: unknown): string {
  if (e instanceof Error || library?.getExceptionMessage === undefined) return describeError(e);
  try {
    return library.getExceptionMessage(e)[1];
  } catch {
    return describeError(e);
  }
}

// --- The library, one caller at a time ----------------------------------------------------------------

/**
 * Runs `op` after every earlier one has finished: concurrent syncs and reads throw inside the library.
 * Loads the library on first use. Across tabs and workers of one origin, which share the IndexedDB
 * database and whose syncs delete records their own file system lacks, a Web Lock does the same where
 * the platform has one (browsers; Node has one process per database).
 */
function withLibrary<T>(op: (lib: Hnswlib) => Promise<T>): Promise<T> {
  const run = queue.then(() =>
    holdingWebLock(() =>
      withoutLibraryChatter(async () => {
        library ??= await loadLibrary();
        return op(library);
      }),
    ),
  );
  queue = run.catch(() => undefined);
  return run;
}

async function holdingWebLock<T>(op: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  return locks === undefined ? op() : await locks.request(LOCK_NAME, op);
}

async function loadLibrary(): Promise<Hnswlib> {
  if (typeof indexedDB === 'undefined') {
    throw new PapersiftError('index', "hnswlib-wasm needs IndexedDB; in Node, import 'fake-indexeddb/auto' before using HnswIndex", {});
  }
  let lib: Hnswlib;
  try {
    lib = await loadHnswlib();
  } catch (e) {
    throw new PapersiftError(
      'index',
      `hnswlib-wasm did not load: ${describeError(e)} (in Node, set globalThis.importScripts = () => {} first)`,
      {},
      { cause: e },
    );
  }
  // Loading starts a sync from IndexedDB; let it finish before anything else touches the files.
  await untilSyncSettled(lib);
  await removeLeftoverFiles(lib);
  return lib;
}

/** Files an interrupted toBytes/fromBytes left behind; without this they would be loaded into memory at every start. */
async function removeLeftoverFiles(lib: Hnswlib): Promise<void> {
  const ours = IDBKeyRange.bound(filePath(FILE_PREFIX), filePath(`${FILE_PREFIX}\uffff`));
  const leftovers = await fileStoreRequest('readonly', (store) => store.count(ours));
  if (leftovers === 0) return;
  await fileStoreRequest('readwrite', (store) => store.delete(ours));
  await syncFromIndexedDb(lib);
}

/** The library prints these on every sync and at load; none of it is news to a user. */
const LIBRARY_CHATTER = /jsFS synced successfully|FS\.syncfs operations in flight|Calling sync callback|Mounting IDBFS filesystem/;

/**
 * Runs `op` with the library's chatter dropped from console.log/info/warn; everything else passes
 * through, and console.error is left alone. The library binds console.log and console.warn once, when it
 * loads (Emscripten's print and printErr); it loads inside this window, so those bindings stay filtered.
 */
async function withoutLibraryChatter<T>(op: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, warn: console.warn };
  for (const level of ['log', 'info', 'warn'] as const) {
    const original = saved[level];
    console[level] = (...args: unknown[]) => {
      if (typeof args[0] === 'string' && LIBRARY_CHATTER.test(args[0])) return;
      original.apply(console, args);
    };
  }
  try {
    return await op();
  } finally {
    Object.assign(console, saved);
  }
}

// --- Files in and out through IDBFS --------------------------------------------------------------------

function uniqueFileName(): string {
  // Random, not a counter: other tabs of the origin write to the same database.
  const [high, low] = crypto.getRandomValues(new Uint32Array(2));
  return `${FILE_PREFIX}${high.toString(36)}${low.toString(36)}.bin`;
}

function filePath(name: string): string {
  return `${IDBFS_DATABASE}/${name}`;
}

/** Makes the in-memory file system match IndexedDB: new records appear as files, deleted ones vanish. */
async function syncFromIndexedDb(lib: Hnswlib): Promise<void> {
  await syncFileSystem('read');
  if (!lib.EmscriptenFileSystemManager.isSynced()) {
    throw new PapersiftError('index', 'hnswlib could not sync its files from IndexedDB (the console has the reason)', {});
  }
}

/** Waits out a sync the library started on its own (at load, in writeIndex): it offers no callback for those. */
async function untilSyncSettled(lib: Hnswlib): Promise<void> {
  const started = Date.now();
  while (!lib.EmscriptenFileSystemManager.isSynced()) {
    if (Date.now() - started > SYNC_TIMEOUT_MS) {
      throw new PapersiftError('index', `hnswlib's IndexedDB sync did not finish in ${SYNC_TIMEOUT_MS / 1000} s (the console may have the reason)`, {});
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

async function putFileRecord(name: string, contents: Uint8Array): Promise<void> {
  const record = { timestamp: new Date(), mode: REGULAR_FILE_MODE, contents };
  await fileStoreRequest('readwrite', (store) => store.put(record, filePath(name)));
}

async function readFileRecord(name: string): Promise<Uint8Array> {
  const record: unknown = await fileStoreRequest('readonly', (store) => store.get(filePath(name)));
  const contents = (record as { contents?: unknown } | undefined)?.contents;
  if (!(contents instanceof Uint8Array)) {
    throw new PapersiftError('index', `hnswlib wrote no file ${name} to IndexedDB`, { name });
  }
  return contents;
}

/** Removes a file from IndexedDB, then from the in-memory file system, where it would hold a copy of the index. */
async function deleteFile(lib: Hnswlib, name: string): Promise<void> {
  await fileStoreRequest('readwrite', (store) => store.delete(filePath(name)));
  await syncFromIndexedDb(lib);
}

/** One request on IDBFS's object store, resolved when its transaction has committed. */
async function fileStoreRequest<T>(mode: IDBTransactionMode, makeRequest: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  // Opened without a version: the library has created the database (version and schema are its own) by now.
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(IDBFS_DATABASE);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = database.transaction(IDBFS_STORE_NAME, mode);
      const request = makeRequest(transaction.objectStore(IDBFS_STORE_NAME));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error ?? request.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } catch (e) {
    throw new PapersiftError('index', `IndexedDB refused hnswlib's file store: ${describeError(e)}`, {}, { cause: e });
  } finally {
    database.close();
  }
}
