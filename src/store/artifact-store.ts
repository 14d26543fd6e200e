/**
 * IndexedDB persistence of artifact sets (browser only).
 *
 * Every file of a set — HNSW graphs included — is kept as the exact bytes the manifest lists, one
 * idb-keyval record per file, under a key prefix per model and dtype. Loading goes back through the
 * core's `decodeArtifacts`, which checks each file's size and sha256, so a corrupted or half-written
 * record is caught the same way a bad download is. (hnswlib's own IDBFS copy of a graph is only the
 * core's transport into the wasm heap; it is rewritten on every load and never trusted across visits.)
 *
 * Several tabs share the database, each with its own worker. A set is replaced in one readwrite
 * transaction and read in one readonly transaction, so no reader ever sees half of one set and half of
 * another; on top of that, writers take an exclusive Web Lock and readers a shared one, so two tabs
 * rebuilding at once write one after the other instead of racing.
 */
import { createStore, get, promisifyRequest, type UseStore } from 'idb-keyval';

const DATABASE = 'papersift';
const OBJECT_STORE = 'artifacts';
/** One lock for the whole store: clearing it touches every set. */
const LOCK = 'papersift-artifacts';

let database: UseStore | undefined;
function idb(): UseStore {
  database ??= createStore(DATABASE, OBJECT_STORE);
  return database;
}

/** Bumped by every write in this worker: a set read before it is out of date. */
let writes = 0;

/** One stored artifact set: the files of one model + dtype, and where they came from. */
export class ArtifactStore {
  private readonly prefix: string;
  /** The set as one transaction saw it; `read` serves from it (see `origin`). */
  private snapshot?: { writes: number; records: Promise<Map<string, unknown>> };
  private originSeen?: string;

  constructor(modelId: string, dtype: string) {
    this.prefix = `${modelId}/${dtype}/`;
  }

  /**
   * The digest of the shipped manifest this set was made from (fetched as is, or rebuilt from its
   * papers for another dtype): when the server ships another set, the stored one is out of date.
   * Also starts a new read of the set: the `read`s that follow see the set of one moment.
   */
  async origin(): Promise<string | undefined> {
    this.snapshot = undefined;
    const value: unknown = await withLock('shared', () => get(this.prefix + ORIGIN_KEY, idb()));
    this.originSeen = typeof value === 'string' ? value : undefined;
    return this.originSeen;
  }

  /**
   * A file's bytes, or undefined when the set has no such record. The first read takes the whole set
   * in one transaction and later reads use that, so a set another tab replaces meanwhile is never
   * mixed into this one. If that set is not the one `origin` reported, nothing is returned: the
   * caller treats the set as missing rather than trust files it did not decide on.
   */
  async read(name: string): Promise<Uint8Array | undefined> {
    if (!this.snapshot || this.snapshot.writes !== writes) {
      this.snapshot = { writes, records: withLock('shared', () => this.readSet()) };
    }
    const records = await this.snapshot.records;
    if (this.originSeen !== undefined && records.get(ORIGIN_KEY) !== this.originSeen) return undefined;
    const value = records.get(name);
    return value instanceof Uint8Array ? value : undefined;
  }

  /** Replaces the set in one transaction: a crash or a closed tab leaves the old set or the new one, never a mix. */
  async save(files: Map<string, Uint8Array>, origin: string): Promise<void> {
    const entries: [string, unknown][] = [...files].map(([name, bytes]) => [this.prefix + name, ownBuffer(bytes)]);
    entries.push([this.prefix + ORIGIN_KEY, origin]);
    await this.write((store) => {
      store.delete(this.range());
      for (const [key, value] of entries) store.put(value, key);
    });
    this.originSeen = origin;
  }

  async remove(): Promise<void> {
    await this.write((store) => store.delete(this.range()));
    this.originSeen = undefined;
  }

  private async write(change: (store: IDBObjectStore) => void): Promise<void> {
    writes++;
    this.snapshot = undefined;
    await withLock('exclusive', () =>
      idb()('readwrite', (store) => {
        try {
          change(store);
        } catch (e) {
          // A request that throws (e.g. a value that cannot be cloned) does not end the transaction:
          // without the abort, the requests before it would commit.
          store.transaction.abort();
          throw e;
        }
        return promisifyRequest(store.transaction);
      }),
    );
  }

  /** Every record of this set, read in one transaction; names without the prefix. */
  private readSet(): Promise<Map<string, unknown>> {
    return idb()('readonly', async (store) => {
      const range = this.range();
      const [keys, values] = await Promise.all([promisifyRequest(store.getAllKeys(range)), promisifyRequest(store.getAll(range))]);
      return new Map(keys.map((key, i) => [String(key).slice(this.prefix.length), values[i]]));
    });
  }

  /** All string keys that start with the prefix ('\uffff' is the largest UTF-16 code unit). */
  private range(): IDBKeyRange {
    return IDBKeyRange.bound(this.prefix, `${this.prefix}\uffff`);
  }
}

/** Deletes every stored set of every model. */
export async function clearArtifactStore(): Promise<void> {
  writes++;
  await withLock('exclusive', () =>
    idb()('readwrite', (store) => {
      store.clear();
      return promisifyRequest(store.transaction);
    }),
  );
}

const ORIGIN_KEY = '#origin';

/**
 * Runs `task` holding the store's Web Lock (shared between tabs and their workers). Where there are no
 * Web Locks (Node with fake-indexeddb, old browsers) or they are refused (opaque origins), it runs
 * unlocked; the single transactions still keep every set whole.
 */
async function withLock<T>(mode: LockMode, task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return task();
  let started = false;
  try {
    return (await locks.request(LOCK, { mode }, () => {
      started = true;
      return task();
    })) as T;
  } catch (e) {
    if (started) throw e;
    return task();
  }
}

/** Structured clone stores a view's whole buffer; store exactly the file's bytes. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
