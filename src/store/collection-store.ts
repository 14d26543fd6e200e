/**
 * IndexedDB persistence of the user's own papers (browser only): one collection file
 * (src/core/import/collection-file.ts, the same bytes "Export" downloads; its header names the model the
 * embeddings come from, so another model re-embeds the papers instead of losing them), plus the map
 * layout kept beside it. A database of its own, so clearing the shipped index's store never touches the user's papers.
 *
 * Every read-modify-write of a collection runs under one Web Lock shared by all tabs, and a
 * BroadcastChannel tells the other tabs to catch up, so two tabs importing at once both keep their papers.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { describeError, isQuotaError, PapersiftError } from '../core/errors';

const DATABASE = 'papersift-collection';
const OBJECT_STORE = 'collections';
const LOCK = 'papersift-collection';
const CHANNEL = 'papersift-collection';

let database: UseStore | undefined;
function idb(): UseStore {
  database ??= createStore(DATABASE, OBJECT_STORE);
  return database;
}

/** A stored map layout: the ids it covers (row order) and their coordinates. */
export interface StoredMap {
  key: string;
  ids: string[];
  points: Float32Array;
}

const KEY = 'collection';

export class CollectionStore {
  async read(): Promise<Uint8Array | undefined> {
    const value: unknown = await get(KEY, idb());
    return value instanceof Uint8Array ? value : undefined;
  }

  async write(bytes: Uint8Array): Promise<void> {
    try {
      await set(KEY, bytes, idb());
    } catch (e) {
      throw storageError('Your papers could not be saved in this browser', e);
    }
  }

  /** Keeps bytes that could not be read aside (never deleted silently), and frees the slot. */
  async setAside(bytes: Uint8Array): Promise<string> {
    const key = `${KEY}#unreadable-${new Date().toISOString()}`;
    await set(key, bytes, idb());
    await del(KEY, idb());
    return key;
  }

  async readMap(): Promise<StoredMap | undefined> {
    const value = (await get(`${KEY}#map`, idb())) as StoredMap | undefined;
    return value && Array.isArray(value.ids) && value.points instanceof Float32Array && value.points.length === value.ids.length * 2 ? value : undefined;
  }

  async writeMap(map: StoredMap): Promise<void> {
    // A map is a cache: failing to keep it costs a recomputation, not data.
    await set(`${KEY}#map`, map, idb()).catch(() => {});
  }
}

/** Runs `task` while holding the collection lock of every tab of this origin (no lock where Web Locks are missing). */
export function withCollectionLock<T>(task: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  return locks ? (locks.request(LOCK, task) as Promise<T>) : task();
}

/** Tells other tabs that the stored collection changed; returns a function to stop listening. */
export function collectionChannel(onChange: () => void): { announce(): void; close(): void } {
  if (typeof BroadcastChannel === 'undefined') return { announce() {}, close() {} };
  const channel = new BroadcastChannel(CHANNEL);
  channel.onmessage = () => onChange();
  return { announce: () => channel.postMessage('changed'), close: () => channel.close() };
}

function storageError(what: string, e: unknown): PapersiftError {
  const message = isQuotaError(e) ? "the browser's storage quota is full. Free some space or export the collection." : describeError(e);
  return new PapersiftError('storage', `${what}: ${message}`, {}, { cause: e });
}
