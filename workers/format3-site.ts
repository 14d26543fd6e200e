/**
 * Opens a format-3 set in the worker: its manifest from the server (the service worker precaches only
 * that file, so it is there offline too), every other file through the chunk store, which fetches it on
 * demand, checks it against the manifest and keeps it in IndexedDB (src/store/chunk-store.ts). Only the
 * eager parts of the keyword side are read here: the papers' catalog, the keyword index's field lengths and
 * the file tables and the rotation; the vector prefix and graph when `vectors.open()` is first called. A format-3 set
 * cannot be rebuilt in the browser; one made with another model is refused with the reason. The user's own
 * papers are kept beside it (YourPapers), never in it.
 */
import { PapersiftError } from '../src/core/errors';
import { Format3Engine } from '../src/core/format3/engine';
import { format3MapSource } from '../src/core/format3/map-sample';
import type { MapSource } from '../src/core/map/map-source';
import { YourPapers } from '../src/core/format3/your-papers';
import { parseFormat3Manifest, type Format3Manifest } from '../src/core/format3/manifest';
import { openFormat3KeywordFirst, type DeferredVectors } from '../src/core/format3/open';
import type { FileEntry } from '../src/core/format3/sharded-files';
import type { Expectation } from '../src/core/artifacts';
import type { LoadStep } from '../src/protocol';
import { ChunkStore } from '../src/store/chunk-store';

export interface Format3Site {
  manifest: Format3Manifest;
  engine: Format3Engine;
  /** The user's papers beside the set; the engine searches both. */
  yours: YourPapers;
  /** The map's points: a sample of the set and the user's papers (their papers fetched when asked). */
  mapSource(key: string, onPapers?: (done: number, total: number) => void): Promise<MapSource>;
  store: ChunkStore;
  /**
   * The vector side, read on first need (a semantic search waits for it, counted in its time): the worker
   * opens it after the first keyword answer or once the model is ready.
   */
  vectors: DeferredVectors;
  /** Every file of the set with its entry: what "make the whole collection available offline" fetches. */
  files(): Iterable<[string, FileEntry]>;
  /** Files and bytes of the whole set. */
  size: { files: number; bytes: number };
  /** Files and bytes of the set this device keeps, by the chunk store's key listing (undefined until it is back). */
  kept(): { files: number; bytes: number } | undefined;
  /** Where the eager part came from: all of it from IndexedDB, or some from the network (a first visit, or a cleared store). */
  source: 'indexeddb' | 'network';
}

/** Whether a manifest's bytes say format 3 (read before choosing a loader). */
export function isFormat3Manifest(bytes: Uint8Array | undefined): boolean {
  if (!bytes) return false;
  try {
    return (JSON.parse(new TextDecoder().decode(bytes)) as { formatVersion?: unknown }).formatVersion === 3;
  } catch {
    return false;
  }
}

export async function openFormat3Site(
  manifestBytes: Uint8Array,
  ctx: {
    artifactsUrl: string;
    expected: Expectation;
    onStep: (step: LoadStep) => void;
    onStorageProblem: (problem: PapersiftError) => void;
    onPhase?: (name: string) => void;
    /** Texts of the searches waiting for the set to open: their keyword files are read while it opens. */
    waitingQueries?: () => Iterable<string>;
  },
): Promise<Format3Site> {
  const manifest = parseFormat3Manifest(manifestBytes);
  const { model, dtype } = ctx.expected;
  if (manifest.model.id !== model.id || manifest.model.dtype !== dtype) {
    throw new PapersiftError(
      'artifacts-stale',
      `This collection's index was made with ${manifest.model.id} (${manifest.model.dtype}); the page runs ${model.id} (${dtype}). ` +
        `Choose ${manifest.model.id} with ${manifest.model.dtype} weights under Options, or rebuild the index with the site's model`,
      { found: manifest.model, expected: { id: model.id, dtype } },
    );
  }
  const store = new ChunkStore({ base: ctx.artifactsUrl, onStorageProblem: ctx.onStorageProblem, onListed: () => ctx.onPhase?.('chunkKeysListed') });
  ctx.onStep({ message: 'Opening the search index…', done: false });
  const { papers, lexical, vectors, authors, files, bytes } = await openFormat3KeywordFirst(manifest, store.read, {
    onKeywordIndex: (index) => {
      for (const text of ctx.waitingQueries?.() ?? []) void index.warm(text);
    },
  });
  ctx.onPhase?.('keywordSideOpened');
  const yours = new YourPapers({ papers, lexical, vectors }, manifest);
  // The author index covers the set's rows; the user's own papers are not in it.
  const engine = new Format3Engine(
    { ...yours.readers(manifest.model.id), ...(authors ? { authors } : {}) },
    {
      // After each typed answer's text read-ahead: a keyword index within LEXICAL_HOLD_BYTES is read whole, so a query
      // with new words reads nothing (and keyword search works offline after one visit). Not when the browser asks to
      // save data: those bytes are for queries not yet typed.
      // Each round's files are written to IndexedDB before the next is fetched: writes left queued took the machine
      // from the searches that followed.
      idleReads: (stopped) => (saveData() ? Promise.resolve() : lexical.hold({ stopped, settle: () => store.flush() })),
    },
  );
  const source = store.stats.network.files === 0 ? 'indexeddb' : 'network';
  return {
    manifest,
    engine,
    yours,
    mapSource: async (key, onPapers) => {
      const opened = await vectors.open();
      return format3MapSource({ papers, prefixVector: (row) => opened.prefixVector(row) }, yours, key, onPapers);
    },
    store,
    vectors,
    files: () => files,
    size: { files: files.size, bytes },
    kept: () => store.keptOf(files),
    source,
  };
}

/** Whether the browser asks pages to save data (Network Information API; absent in some browsers: then no). */
function saveData(): boolean {
  return (globalThis.navigator as { connection?: { saveData?: boolean } } | undefined)?.connection?.saveData === true;
}
