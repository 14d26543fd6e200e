/**
 * The artifact format: what `build-index` writes, the site ships and IndexedDB keeps.
 * One manifest names every file with its size and sha256, so a truncated or mixed set is caught
 * before use, and a model, corpus or format change is a rebuild, never a silent reuse.
 */
import { PapersiftError } from './errors';
import { sha256Hex } from './hash';
import type { Dtype, ModelSpec, Pooling } from './models';
import { LEXICAL_FILE, loadLexical, serialiseLexical, type LexicalIndex } from './lexical';
import type { Paper } from './types';

/** 2: adds the lexical index (lexical.json). */
export const FORMAT_VERSION = 2;

export const FILES = {
  manifest: 'manifest.json',
  papers: 'papers.json',
  vectors: 'vectors.f32',
  rotation: 'rotation.f32',
  hnsw: (dims: number) => `hnsw-${dims}.bin`,
  lexical: LEXICAL_FILE,
} as const;

export interface Manifest {
  formatVersion: number;
  model: { id: string; dims: number; pooling: Pooling; dtype: Dtype; sha256: string };
  corpusHash: string;
  count: number;
  /** What the collection is called ("ICLR 2025 accepted papers"), from `build-index --name`; absent on older sets. */
  collection?: { name: string };
  /** Vectors are stored already rotated (row i = R · embedding i), so loading costs no matrix product. */
  vectors: { file: string; rotated: true };
  rotation: { file: string; method: 'pca-uncentred' };
  /** One HNSW graph per prefix length, built over re-normalised rotated prefixes; the last is full dims. */
  indexDims: number[];
  hnsw: { m: number; efConstruction: number };
  /** Every other file of the set, with its size and digest. */
  files: Record<string, { bytes: number; sha256: string }>;
  createdBy: string;
  createdAt: string;
}

export interface Artifacts {
  manifest: Manifest;
  papers: Paper[];
  /** N x D, rotated, unit rows. */
  vectors: Float32Array;
  /** D x D, row-major. */
  rotation: Float32Array;
  /** Serialised HNSW graph per prefix length. */
  hnsw: Map<number, Uint8Array>;
  /** BM25 over title + abstract, rows aligned with `papers`. */
  lexical: LexicalIndex;
}

/** What the running code expects; anything else in a manifest means the artifacts must be rebuilt. */
export interface Expectation {
  model: ModelSpec;
  dtype: Dtype;
  /** Hash of the corpus the caller has; omit when the artifacts are the only copy of the corpus. */
  corpusHash?: string;
}

export function checkManifest(manifest: Manifest, expected: Expectation): void {
  if (manifest.formatVersion !== FORMAT_VERSION) {
    throw new PapersiftError(
      'artifacts-format',
      `Artifacts are format ${manifest.formatVersion}; this build reads format ${FORMAT_VERSION}: rebuild them with build-index${manifest.formatVersion === 3 ? ' --format 2' : ''}`,
      { found: manifest.formatVersion, expected: FORMAT_VERSION },
    );
  }
  const weights = expected.model.weights[expected.dtype];
  const want = {
    'model id': [manifest.model.id, expected.model.id],
    'model dims': [manifest.model.dims, expected.model.dims],
    'model pooling': [manifest.model.pooling, expected.model.pooling],
    'model dtype': [manifest.model.dtype, expected.dtype],
    'model weights sha256': [manifest.model.sha256, weights?.sha256],
    ...(expected.corpusHash ? { 'corpus hash': [manifest.corpusHash, expected.corpusHash] } : {}),
  } as Record<string, [unknown, unknown]>;
  const mismatches = Object.entries(want)
    .filter(([, [found, wanted]]) => found !== wanted)
    .map(([what, [found, wanted]]) => `${what}: artifacts have ${String(found)}, expected ${String(wanted)}`);
  if (mismatches.length > 0) {
    throw new PapersiftError('artifacts-stale', `Artifacts are stale (${mismatches.join('; ')})`, { mismatches });
  }
}

/** Serialises a full artifact set to named byte files, manifest last so it can list the others. */
export async function encodeArtifacts(
  parts: Omit<Artifacts, 'manifest'> & { manifest: Omit<Manifest, 'files'> },
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  out.set(FILES.papers, new TextEncoder().encode(JSON.stringify(parts.papers)));
  out.set(FILES.vectors, floatsToBytes(parts.vectors));
  out.set(FILES.rotation, floatsToBytes(parts.rotation));
  for (const [dims, bytes] of parts.hnsw) out.set(FILES.hnsw(dims), bytes);
  out.set(FILES.lexical, serialiseLexical(parts.lexical));
  const files: Manifest['files'] = {};
  for (const [name, bytes] of out) files[name] = { bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
  const manifest: Manifest = { ...parts.manifest, files };
  out.set(FILES.manifest, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
  return out;
}

export function parseManifest(bytes: Uint8Array): Manifest {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
  } catch (e) {
    throw new PapersiftError('artifacts-format', `${FILES.manifest} is not valid JSON`, {}, { cause: e });
  }
  if (typeof manifest !== 'object' || manifest === null || typeof manifest.files !== 'object' || !manifest.model) {
    throw new PapersiftError('artifacts-format', `${FILES.manifest} lacks the fields of an artifact manifest`);
  }
  return manifest;
}

/**
 * Reads and verifies a whole set through `read` (a fetch, a file read, an IndexedDB get).
 * Every file's size and sha256 must match the manifest; shapes must match the counts.
 */
export async function decodeArtifacts(
  read: (name: string) => Promise<Uint8Array | undefined>,
  expected: Expectation,
): Promise<Artifacts> {
  const manifestBytes = await read(FILES.manifest);
  if (!manifestBytes) throw new PapersiftError('artifacts-missing', `No ${FILES.manifest} found`);
  const manifest = parseManifest(manifestBytes);
  checkManifest(manifest, expected);

  const files = new Map<string, Uint8Array>();
  for (const [name, meta] of Object.entries(manifest.files)) {
    const bytes = await read(name);
    if (!bytes) throw new PapersiftError('artifacts-missing', `Artifact file ${name} is missing`, { file: name });
    if (bytes.byteLength !== meta.bytes || (await sha256Hex(bytes)) !== meta.sha256) {
      throw new PapersiftError('artifacts-format', `Artifact file ${name} is corrupted (size or sha256 differs from the manifest)`, {
        file: name,
      });
    }
    files.set(name, bytes);
  }
  const need = (name: string) => {
    const bytes = files.get(name);
    if (!bytes) throw new PapersiftError('artifacts-format', `The manifest does not list ${name}`, { file: name });
    return bytes;
  };

  const papers = JSON.parse(new TextDecoder().decode(need(FILES.papers))) as Paper[];
  const vectors = bytesToFloats(need(FILES.vectors));
  const rotation = bytesToFloats(need(FILES.rotation));
  const dims = manifest.model.dims;
  if (papers.length !== manifest.count || vectors.length !== manifest.count * dims || rotation.length !== dims * dims) {
    throw new PapersiftError(
      'artifacts-format',
      `Artifact shapes disagree: ${papers.length} papers, ${vectors.length / dims} vectors, manifest count ${manifest.count}`,
    );
  }
  const hnsw = new Map<number, Uint8Array>();
  for (const d of manifest.indexDims) hnsw.set(d, need(FILES.hnsw(d)));
  const lexical = loadLexical(need(FILES.lexical), papers.map((p) => p.id));
  return { manifest, papers, vectors, rotation, hnsw, lexical };
}

/** Little-endian float32, whatever the platform (all current ones are little-endian; say so explicitly). */
export function floatsToBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

export function bytesToFloats(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0) {
    throw new PapersiftError('artifacts-format', `A float32 file has ${bytes.byteLength} bytes, not a multiple of 4`);
  }
  const out = new Float32Array(bytes.byteLength / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
