/**
 * Opens a format-3 set in the worker: its manifest from the server (the service worker precaches only
 * that file, so it is there offline too), every other file through the chunk store, which fetches it on
 * demand, checks it against the manifest and keeps it in IndexedDB (src/store/chunk-store.ts). Only the
 * eager parts are read here: the vector prefix and graph, the papers' catalog, the keyword index's field
 * lengths and the file tables. A format-3 set cannot be rebuilt in the browser; one made with another
 * model is refused with the reason.
 */
import { PapersiftError } from '../src/core/errors';
import { Format3Engine } from '../src/core/format3/engine';
import { parseFormat3Manifest, type Format3Manifest } from '../src/core/format3/manifest';
import { PapersReader, type PapersSection } from '../src/core/format3/papers';
import { openFormat3 } from '../src/core/format3/reader';
import type { FileEntry } from '../src/core/format3/sharded-files';
import { ChunkedLexicalIndex, type LexicalSection } from '../src/core/lexical/chunked';
import type { Expectation } from '../src/core/artifacts';
import type { LoadStep } from '../src/protocol';
import { ChunkStore } from '../src/store/chunk-store';

export interface Format3Site {
  manifest: Format3Manifest;
  engine: Format3Engine;
  store: ChunkStore;
  /** Every file of the set with its entry: what "make the whole collection available offline" fetches. */
  files(): Iterable<[string, FileEntry]>;
  /** Files and bytes of the whole set. */
  size: { files: number; bytes: number };
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
  ctx: { artifactsUrl: string; expected: Expectation; onStep: (step: LoadStep) => void; onStorageProblem: (problem: PapersiftError) => void },
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
  if (!manifest.papers || !manifest.lexical) {
    throw new PapersiftError('artifacts-format', 'This format-3 index has no papers or keyword section: build it again with build-index --format 3');
  }
  const store = new ChunkStore({ base: ctx.artifactsUrl, onStorageProblem: ctx.onStorageProblem });
  const fetchListed = (name: string) => {
    const entry = manifest.files[name];
    if (!entry) throw new PapersiftError('artifacts-format', `The manifest does not list ${name}`, { file: name });
    return store.read(name, entry);
  };
  ctx.onStep({ message: 'Opening the search index…', done: false });
  const [vectors, papers, lexical] = await Promise.all([
    openFormat3(manifest, fetchListed),
    PapersReader.open(manifest.papers as PapersSection, store.read),
    ChunkedLexicalIndex.open(manifest.lexical as LexicalSection, store.read),
  ]);
  const engine = new Format3Engine({ modelId: manifest.model.id, papers, lexical, vectors });
  const files = () => new Map<string, FileEntry>([...Object.entries(manifest.files), ...papers.files(), ...lexical.files()]);
  const all = files();
  let bytes = 0;
  for (const entry of all.values()) bytes += entry.bytes;
  return { manifest, engine, store, files, size: { files: all.size, bytes } };
}
