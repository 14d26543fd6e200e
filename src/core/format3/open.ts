/**
 * A format-3 set's engine from its manifest and a FileSource (the chunk store in the browser, a folder in
 * Node): the vector reader, the papers and the keyword index, each reading its eager part now.
 */
import { PapersiftError } from '../errors';
import { ChunkedLexicalIndex, type LexicalSection } from '../lexical/chunked';
import { AuthorIndex, type AuthorSection } from './authors';
import { Format3Engine } from './engine';
import type { Format3Manifest } from './manifest';
import { PapersReader, type PapersSection } from './papers';
import { openFormat3, type VectorSet } from './reader';
import type { FileEntry, FileSource } from './sharded-files';

export interface OpenedFormat3 {
  engine: Format3Engine;
  /** The readers the engine searches through. */
  vectors: VectorSet;
  papers: PapersReader;
  lexical: ChunkedLexicalIndex;
  /** The author index, when the set has one. */
  authors?: AuthorIndex;
  /** Every file of the set with its entry (the manifest's, the sections' tables and shards), each once. */
  files: Map<string, FileEntry>;
  /** Their total size. */
  bytes: number;
}

export async function openFormat3Engine(manifest: Format3Manifest, source: FileSource): Promise<OpenedFormat3> {
  if (!manifest.papers || !manifest.lexical) {
    throw new PapersiftError('artifacts-format', 'This format-3 index has no papers or keyword section: build it again with build-index --format 3');
  }
  const fetchListed = (name: string) => {
    const entry = manifest.files[name];
    if (!entry) throw new PapersiftError('artifacts-format', `The manifest does not list ${name}`, { file: name });
    return source(name, entry);
  };
  const [vectors, papers, lexical, authors] = await Promise.all([
    openFormat3(manifest, fetchListed),
    PapersReader.open(manifest.papers as PapersSection, source),
    ChunkedLexicalIndex.open(manifest.lexical as LexicalSection, source),
    manifest.authors ? AuthorIndex.open(manifest.authors as AuthorSection, source) : undefined,
  ]);
  const files = new Map<string, FileEntry>([...Object.entries(manifest.files), ...papers.files(), ...lexical.files(), ...(authors?.files() ?? [])]);
  let bytes = 0;
  for (const entry of files.values()) bytes += entry.bytes;
  const engine = new Format3Engine({ modelId: manifest.model.id, papers, lexical, vectors, ...(authors ? { authors } : {}) });
  return { engine, vectors, papers, lexical, ...(authors ? { authors } : {}), files, bytes };
}
