/**
 * IndexedDB persistence of artifact sets (browser only).
 *
 * Every file of a set — HNSW graphs included — is kept as the exact bytes the manifest lists, one
 * idb-keyval record per file, under a key prefix per model and dtype. Loading goes back through the
 * core's `decodeArtifacts`, which checks each file's size and sha256, so a corrupted or half-written
 * record is caught the same way a bad download is. (hnswlib's own IDBFS copy of a graph is only the
 * core's transport into the wasm heap; it is rewritten on every load and never trusted across visits.)
 */
import { createStore, delMany, get, keys, setMany, type UseStore } from 'idb-keyval';

const DATABASE = 'papersift';
const OBJECT_STORE = 'artifacts';

let database: UseStore | undefined;
function idb(): UseStore {
  database ??= createStore(DATABASE, OBJECT_STORE);
  return database;
}

/** One stored artifact set: the files of one model + dtype, and where they came from. */
export class ArtifactStore {
  private readonly prefix: string;

  constructor(modelId: string, dtype: string) {
    this.prefix = `${modelId}/${dtype}/`;
  }

  /** A file's bytes, or undefined when the set has no such record. */
  async read(name: string): Promise<Uint8Array | undefined> {
    const value: unknown = await get(this.prefix + name, idb());
    return value instanceof Uint8Array ? value : undefined;
  }

  /**
   * The digest of the shipped manifest this set was made from (fetched as is, or rebuilt from its
   * papers for another dtype): when the server ships another set, the stored one is out of date.
   */
  async origin(): Promise<string | undefined> {
    const value: unknown = await get(this.prefix + ORIGIN_KEY, idb());
    return typeof value === 'string' ? value : undefined;
  }

  /** Drops the old set, then writes the new one in one transaction: a crash leaves one set or none, never a mix. */
  async save(files: Map<string, Uint8Array>, origin: string): Promise<void> {
    await this.remove();
    const entries: [IDBValidKey, unknown][] = [...files].map(([name, bytes]) => [this.prefix + name, ownBuffer(bytes)]);
    entries.push([this.prefix + ORIGIN_KEY, origin]);
    await setMany(entries, idb());
  }

  async remove(): Promise<void> {
    const mine = (await keys(idb())).filter((key) => typeof key === 'string' && key.startsWith(this.prefix));
    await delMany(mine, idb());
  }
}

/** Deletes every stored set of every model. */
export async function clearArtifactStore(): Promise<void> {
  await delMany(await keys(idb()), idb());
}

const ORIGIN_KEY = '#origin';

/** Structured clone stores a view's whole buffer; store exactly the file's bytes. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}
