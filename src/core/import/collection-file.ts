/**
 * The user's collection as one file, to export, back up and import elsewhere (or keep in IndexedDB).
 *
 * Layout (all little-endian):
 *   bytes 0..8     magic "PSCOLL\r\n" (the line break catches a text-mode transfer that rewrote it)
 *   bytes 8..12    uint32 H, the header's length in bytes
 *   bytes 12..12+H UTF-8 JSON header: CollectionHeader, papers included
 *   then           count × dims float32: each paper's raw model embedding (unrotated, unit length), in
 *                  the header's paper order
 * Raw embeddings, not the engine's rotated rows: the rotation belongs to the corpus build, so raw ones
 * stay valid when the corpus is rebuilt; only the model must match. corpusHash is recorded, not checked.
 */
import type { Manifest } from '../artifacts';
import { PapersiftError } from '../errors';
import type { Dtype, ModelSpec } from '../models';
import type { CollectionEngine } from './import-papers';
import type { ImportedPaper } from './imported-paper';

export const COLLECTION_FORMAT = 'papersift-collection';
export const COLLECTION_VERSION = 1;
const MAGIC = new TextEncoder().encode('PSCOLL\r\n');
const PREFIX_BYTES = MAGIC.length + 4;

export interface CollectionHeader {
  format: typeof COLLECTION_FORMAT;
  version: number;
  model: Manifest['model'];
  /** The corpus the collection was made beside, for information. */
  corpusHash: string;
  count: number;
  papers: ImportedPaper[];
  createdAt: string;
}

export interface Collection {
  header: CollectionHeader;
  papers: ImportedPaper[];
  /** count × dims raw embeddings; null when read with papersOnly (they must be re-embedded). */
  embeddings: Float32Array | null;
}

export function exportCollection(engine: CollectionEngine): Uint8Array {
  const papers = engine.importedPapers() as ImportedPaper[];
  const dims = engine.dims;
  const header: CollectionHeader = {
    format: COLLECTION_FORMAT,
    version: COLLECTION_VERSION,
    model: engine.manifest.model,
    corpusHash: engine.manifest.corpusHash,
    count: papers.length,
    papers,
    createdAt: new Date().toISOString(),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(PREFIX_BYTES + json.length + papers.length * dims * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(MAGIC.length, json.length, true);
  bytes.set(json, PREFIX_BYTES);
  let offset = PREFIX_BYTES + json.length;
  for (const paper of papers) {
    for (const x of engine.importedEmbedding(paper.id)) {
      view.setFloat32(offset, x, true);
      offset += 4;
    }
  }
  return bytes;
}

/**
 * Reads a collection file made for the running model. A file of another format or version is
 * 'artifacts-format'; one embedded with another model or dtype is 'artifacts-stale', unless `papersOnly`,
 * which returns the papers without embeddings for the caller to re-embed.
 */
export function readCollection(
  bytes: Uint8Array,
  expected: { model: ModelSpec; dtype: Dtype },
  options: { papersOnly?: boolean } = {},
): Collection {
  const header = readHeader(bytes);
  const papers = header.papers;
  if (options.papersOnly) return { header, papers, embeddings: null };
  const weights = expected.model.weights[expected.dtype];
  const mismatches = [
    ['model', header.model.id, expected.model.id],
    ['dims', header.model.dims, expected.model.dims],
    ['pooling', header.model.pooling, expected.model.pooling],
    ['dtype', header.model.dtype, expected.dtype],
    ['model weights sha256', header.model.sha256, weights?.sha256],
  ]
    .filter(([, found, wanted]) => found !== wanted)
    .map(([what, found, wanted]) => `${what}: file has ${String(found)}, this site uses ${String(wanted)}`);
  if (mismatches.length > 0) {
    throw new PapersiftError(
      'artifacts-stale',
      `This collection was embedded with another model (${mismatches.join('; ')}); import its papers to embed them again`,
      { mismatches },
    );
  }
  const dims = header.model.dims;
  const start = PREFIX_BYTES + new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  if (bytes.length - start !== header.count * dims * 4) {
    throw new PapersiftError('artifacts-format', `The collection file is truncated or padded: ${bytes.length - start} bytes of vectors for ${header.count} papers of ${dims} dims`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
  const embeddings = new Float32Array(header.count * dims);
  for (let i = 0; i < embeddings.length; i++) {
    embeddings[i] = view.getFloat32(i * 4, true);
    if (!Number.isFinite(embeddings[i])) {
      throw new PapersiftError('artifacts-format', `The collection file is corrupted: paper ${Math.floor(i / dims) + 1}'s vector holds ${embeddings[i]}`);
    }
  }
  return { header, papers, embeddings };
}

function readHeader(bytes: Uint8Array): CollectionHeader {
  const notOne = (why: string) => new PapersiftError('artifacts-format', `Not a papersift collection file: ${why}`);
  if (bytes.length < PREFIX_BYTES || MAGIC.some((b, i) => bytes[i] !== b)) throw notOne('it does not start with the collection marker');
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  if (PREFIX_BYTES + length > bytes.length) throw notOne('its header runs past the end of the file');
  let header: CollectionHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + length)));
  } catch {
    throw notOne('its header is not JSON');
  }
  if (header?.format !== COLLECTION_FORMAT) throw notOne(`its format is ${String(header?.format)}`);
  if (header.version !== COLLECTION_VERSION) {
    throw new PapersiftError('artifacts-format', `The collection file is version ${header.version}; this build reads version ${COLLECTION_VERSION}`, {
      found: header.version,
      expected: COLLECTION_VERSION,
    });
  }
  if (!Array.isArray(header.papers) || header.papers.length !== header.count || !header.model) throw notOne('its header lacks the papers or the model');
  const malformed = header.papers.findIndex((p) => typeof p?.id !== 'string' || typeof p.title !== 'string' || typeof p.abstract !== 'string' || p.imported !== true);
  if (malformed >= 0) throw notOne(`paper ${malformed + 1} lacks an id, title or abstract, or is not marked imported`);
  return header;
}
