/**
 * A format-3 set's engine from its manifest and a FileSource (the chunk store in the browser, a folder in
 * Node): the vector reader, the papers and the keyword index, each reading its eager part now.
 *
 * `openFormat3KeywordFirst` (the site's worker) opens the keyword index, the papers and the rotation now
 * and the rest of the vector side only when asked (DeferredVectors.open): its eager part (prefix codes and
 * graph: 0.9 MB at 10k papers, ~9 MB at 100k) is what a semantic search needs, not a keyword one, so it no
 * longer delays nor competes with the first keyword answer. The rotation (0.3 MB as float16, whatever the size) is read
 * at once so that an embedding can always be rotated into the set's space (the user's papers are, as they
 * are restored or imported).
 */
import { PapersiftError } from '../errors';
import { ChunkedLexicalIndex, type LexicalSection } from '../lexical/chunked';
import { AuthorIndex, type AuthorSection } from './authors';
import { Format3Engine, type VectorReader } from './engine';
import type { Format3Manifest } from './manifest';
import { PapersReader, type PapersSection } from './papers';
import { decodeFloat16 } from './float16';
import { openFormat3, rotateBy, type VectorSearchOptions, type VectorSet } from './reader';
import type { FileEntry, FileSource } from './sharded-files';

interface OpenedParts<V> {
  engine: Format3Engine;
  /** The readers the engine searches through. */
  vectors: V;
  papers: PapersReader;
  lexical: ChunkedLexicalIndex;
  /** The author index, when the set has one. */
  authors?: AuthorIndex;
  /** Every file of the set with its entry (the manifest's, the sections' tables and shards), each once. */
  files: Map<string, FileEntry>;
  /** Their total size. */
  bytes: number;
}

export type OpenedFormat3 = OpenedParts<VectorSet>;
export type OpenedFormat3KeywordFirst = OpenedParts<DeferredVectors>;

export function openFormat3Engine(manifest: Format3Manifest, source: FileSource): Promise<OpenedFormat3> {
  return openWith(manifest, source, {}, () => openFormat3(manifest, listedSource(manifest, source)));
}

export interface OpenOptions {
  /** Told as soon as the keyword index has opened, before the rest of the set (the worker warms it for queries waiting). */
  onKeywordIndex?: (lexical: ChunkedLexicalIndex) => void;
  /** The keyword index is held whole (ChunkedLexicalIndex.hold) when its postings files total at most this (default LEXICAL_HOLD_BYTES; 0: never). */
  lexicalHoldBytes?: number;
}

/** As openFormat3Engine, the vector side (but its rotation) left unopened until `vectors.open()` or a search that needs it. */
export function openFormat3KeywordFirst(manifest: Format3Manifest, source: FileSource, options: OpenOptions = {}): Promise<OpenedFormat3KeywordFirst> {
  const listed = listedSource(manifest, source);
  return openWith(manifest, source, options, async () => {
    const rotationBytes = await listed(manifest.rotation.file);
    // The set opens with the rotation already read, not read twice.
    const rest = (name: string) => (name === manifest.rotation.file ? Promise.resolve(rotationBytes) : listed(name));
    return new DeferredVectors(manifest, rotationBytes, () => openFormat3(manifest, rest));
  });
}

async function openWith<V extends VectorReader>(manifest: Format3Manifest, source: FileSource, options: OpenOptions, openVectors: () => Promise<V>): Promise<OpenedParts<V>> {
  if (!manifest.papers || !manifest.lexical) {
    throw new PapersiftError('artifacts-format', 'This format-3 index has no papers or keyword section: build it again with build-index --format 3');
  }
  const [vectors, papers, lexical, authors] = await Promise.all([
    openVectors(),
    PapersReader.open(manifest.papers as PapersSection, source),
    ChunkedLexicalIndex.open(manifest.lexical as LexicalSection, source, options.lexicalHoldBytes === undefined ? {} : { holdBytes: options.lexicalHoldBytes }).then((lexical) => (options.onKeywordIndex?.(lexical), lexical)),
    manifest.authors ? AuthorIndex.open(manifest.authors as AuthorSection, source) : undefined,
  ]);
  const files = new Map<string, FileEntry>([...Object.entries(manifest.files), ...papers.files(), ...lexical.files(), ...(authors?.files() ?? [])]);
  let bytes = 0;
  for (const entry of files.values()) bytes += entry.bytes;
  const engine = new Format3Engine({ modelId: manifest.model.id, papers, lexical, vectors, ...(authors ? { authors } : {}) });
  return { engine, vectors, papers, lexical, ...(authors ? { authors } : {}), files, bytes };
}

function listedSource(manifest: Format3Manifest, source: FileSource): (name: string) => Promise<Uint8Array> {
  return (name) => {
    const entry = manifest.files[name];
    if (!entry) throw new PapersiftError('artifacts-format', `The manifest does not list ${name}`, { file: name });
    return source(name, entry);
  };
}

/**
 * The vector side, opened on first need and then shared. Sizes come from the manifest (the set's checks
 * run when it opens); `rotate` works from the start. A failed open is not kept: the next call tries again.
 */
export class DeferredVectors implements VectorReader {
  readonly count: number;
  readonly dims: number;
  readonly prefixDims: number;
  private readonly rotation: Float32Array;
  private opening?: Promise<VectorSet>;
  private opened?: VectorSet;

  constructor(
    manifest: Format3Manifest,
    rotationBytes: Uint8Array,
    private readonly load: () => Promise<VectorSet>,
  ) {
    this.count = manifest.count;
    this.dims = manifest.rows.dims;
    this.prefixDims = manifest.prefix.dims;
    const file = manifest.rotation.file;
    if (rotationBytes.byteLength !== this.dims * this.dims * 2) {
      throw new PapersiftError('artifacts-format', `${file} has ${rotationBytes.byteLength} bytes; the manifest's shapes need ${this.dims * this.dims * 2}`, { file });
    }
    this.rotation = decodeFloat16(rotationBytes);
  }

  /** Whether the eager part has been read. */
  get isOpen(): boolean {
    return this.opened !== undefined;
  }

  open(): Promise<VectorSet> {
    this.opening ??= this.load().then(
      (set) => (this.opened = set),
      (error: unknown) => {
        this.opening = undefined;
        throw error;
      },
    );
    return this.opening;
  }

  rotate(embedding: Float32Array): Float32Array {
    return rotateBy(this.rotation, embedding);
  }

  async search(query: Float32Array, k: number, options?: VectorSearchOptions): Promise<{ row: number; score: number }[]> {
    const set = this.opened ?? (await (options?.phases ? options.phases.wait('open', this.open()) : this.open()));
    return set.search(query, k, options);
  }

  async vector(row: number): Promise<Float32Array> {
    return (await this.open()).vector(row);
  }
}
