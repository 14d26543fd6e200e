/**
 * Artifact format 3: what is read before the first result is small (a low-dimensional 8-bit copy of every
 * vector and one graph over it); the full vectors (8-bit, per-dimension ranges) sit in row shards read only
 * to re-rank a shortlist. The manifest names every file with its size and sha256, as format 2's does, so a
 * fetched file is checked before use and a mixed or truncated set is caught.
 *
 * Rows: row r of every row-addressed file (prefix, row shards, the papers' and keyword sections) is the same
 * paper. Rows are in `rows.order`: a locality order (near vectors in near rows), not id order.
 */
import { PapersiftError } from '../errors';
import type { Dtype, Pooling } from '../models';

export const FORMAT3_VERSION = 3;

/**
 * The vector side's own version (as the papers and keyword sections have theirs). 2 (December 2026): the rotation
 * as float16 (`rotation.f16`), refine files of 4-bit residuals beside the row shards, and row shards whose size
 * depends on the set's. 3: each row shard split in a head (the rows' first `rows.headDims` codes, what a shortlist's
 * re-rank reads) and a tail (the rest, read for the head re-rank's best `search.headKeep` rows), and a prefix that
 * may be coded in 4 bits (`u4-range`, above 500k papers). Another version is refused, with a message to rebuild
 * the set, never read with the wrong shapes.
 */
export const FORMAT3_VECTORS_VERSION = 3;

export const FORMAT3_FILES = {
  manifest: 'manifest.json',
  rotation: 'rotation.f16',
  scales: 'scales.f32',
  prefix: 'prefix.u8',
  graph: 'graph.bin',
  rowShard: (index: number) => `rows-${String(index).padStart(5, '0')}.u8`,
  tailShard: (index: number) => `tail-${String(index).padStart(5, '0')}.u8`,
  refineShard: (index: number) => `refine-${String(index).padStart(5, '0')}.u4`,
} as const;

/** 8-bit codes with a per-dimension offset and step (see quantize.ts). */
export type CodeEncoding = 'u8-range';

/**
 * The prefix's codes: 8-bit, or 4-bit (`u4-range`: two a byte, the even component in the low nibble, a row
 * ceil(dims / 2) bytes; each is its 8-bit code rounded to a multiple of 17, so the step is 17 times the 8-bit one).
 */
export type PrefixEncoding = CodeEncoding | 'u4-range';

/**
 * Refine files: for the rows of row shard i, file i holds each component's rounding error under its 8-bit code as a
 * 4-bit code (two components a byte, the even one in the low nibble): x ≈ min + code·step + (nibble − 7.5)·step/16,
 * so 12 bits in all. Read only for the best `search.refine` rows of a re-rank (quantize.ts).
 */
export type RefineEncoding = 'u4-residual';

export interface Format3Manifest {
  formatVersion: 3;
  /** FORMAT3_VECTORS_VERSION: the layout of rotation, scales, prefix, graph, rows and refine. */
  vectorsFormat: typeof FORMAT3_VECTORS_VERSION;
  model: { id: string; dims: number; pooling: Pooling; dtype: Dtype; sha256: string };
  /** corpusHash over the papers in id order: the same value a format-2 set of this corpus records. */
  corpusHash: string;
  count: number;
  collection?: { name: string };
  /**
   * D × D, row-major, float16 (little-endian): rotated = R · embedding. Queries are rotated by it before search;
   * the rows were rotated by the same float16 values.
   */
  rotation: { file: string; method: 'pca-uncentred'; encoding: 'f16' };
  /**
   * float32: the prefix's offsets then steps (prefix.dims each), then the rows' offsets then steps (model dims each).
   */
  scales: { file: string };
  /** The codes of every row's first `dims` rotated components, each prefix re-normalised before coding. Eager. */
  prefix: { file: string; dims: number; encoding: PrefixEncoding };
  /** One HNSW graph over the prefix (layout in graph.ts). Eager. */
  graph: { file: string; kind: 'hnsw'; m: number; efConstruction: number; seed: number };
  /**
   * Full rotated vectors as codes, `rowsPerShard` rows per shard (the last may be shorter), fetched on demand. Shard i
   * is two files: `shards[i]` holds its rows' first `headDims` codes, `tails[i]` the other dims − headDims.
   */
  rows: {
    encoding: CodeEncoding;
    dims: number;
    rowsPerShard: number;
    headDims: number;
    shards: string[];
    tails: string[];
    order: 'pca-tree';
    /** One refine file per row shard, for the same rows (ceil(dims / 2) bytes a row). */
    refine: { encoding: RefineEncoding; shards: string[] };
  };
  /**
   * Search defaults the build measured (bench/format3.ts): how wide the walk and the re-ranked shortlist are, how many
   * of the head re-rank's best rows are ranked again at full dims (their tails read), and how many of those again
   * with their refine files.
   */
  search: { ef: number; shortlist: number; headKeep: number; refine: number };
  /** Paper records by row; the section's shape belongs to the papers module. */
  papers?: unknown;
  /** Keyword index; the section's shape belongs to the lexical module. */
  lexical?: unknown;
  /** Author name parts → rows (format3/authors.ts); sets merged before it have none. */
  authors?: unknown;
  files: Record<string, { bytes: number; sha256: string }>;
  createdBy: string;
  createdAt: string;
}

/**
 * Parses a manifest and checks it is format 3 with the vector sections this reader needs. Another version is
 * refused with the reason (a format-2 set must be rebuilt to be read here, and the other way round).
 */
export function parseFormat3Manifest(bytes: Uint8Array | string, file: string = FORMAT3_FILES.manifest): Format3Manifest {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (e) {
    throw new PapersiftError('artifacts-format', `${file} is not valid JSON`, { file }, { cause: e });
  }
  const m = value as Partial<Format3Manifest> & { formatVersion?: unknown };
  const fail = (why: string): never => {
    throw new PapersiftError('artifacts-format', `${file} is not a format-3 manifest: ${why}`, { file });
  };
  if (typeof m !== 'object' || m === null) return fail('not an object');
  if (m.formatVersion !== FORMAT3_VERSION) {
    throw new PapersiftError(
      'artifacts-format',
      `Artifacts are format ${String(m.formatVersion)}; this reader reads format ${FORMAT3_VERSION}: rebuild them with build-index --format 3`,
      { found: m.formatVersion, expected: FORMAT3_VERSION, file },
    );
  }
  const vectorsFormat = (m as { vectorsFormat?: unknown }).vectorsFormat ?? 1;
  if (vectorsFormat !== FORMAT3_VECTORS_VERSION) {
    throw new PapersiftError(
      'artifacts-format',
      `The vector side of this format-3 index is version ${String(vectorsFormat)}; this reader reads version ${FORMAT3_VECTORS_VERSION}` +
        (vectorsFormat === 1 || vectorsFormat === 2 ? ' (row shards in heads and tails)' : '') +
        ': rebuild the index with build-index --merge … --format 3',
      { found: vectorsFormat, expected: FORMAT3_VECTORS_VERSION, file },
    );
  }
  if (!m.model || typeof m.model.id !== 'string' || !Number.isInteger(m.model.dims)) fail('"model" needs id and dims');
  if (!Number.isInteger(m.count) || (m.count as number) < 0) fail('"count" must be a count');
  if (typeof m.files !== 'object' || m.files === null) fail('"files" is missing');
  const files = m.files as Format3Manifest['files'];
  const listed = (name: unknown, what: string) => {
    if (typeof name !== 'string' || !files[name]) fail(`${what} names ${String(name)}, which "files" does not list`);
  };
  listed(m.rotation?.file, 'rotation');
  listed(m.scales?.file, 'scales');
  listed(m.prefix?.file, 'prefix');
  listed(m.graph?.file, 'graph');
  const rows = m.rows;
  if (!rows || !Array.isArray(rows.shards) || !Number.isInteger(rows.rowsPerShard) || rows.rowsPerShard < 1) fail('"rows" needs rowsPerShard and shards');
  const r = rows as Format3Manifest['rows'];
  if (r.shards.length !== Math.ceil((m.count as number) / r.rowsPerShard)) fail(`${r.shards.length} row shards for ${m.count} rows of ${r.rowsPerShard}`);
  for (const shard of r.shards) listed(shard, 'rows');
  if (!r.refine || !Array.isArray(r.refine.shards) || r.refine.shards.length !== r.shards.length) fail('"rows.refine" needs one file per row shard');
  for (const shard of r.refine.shards) listed(shard, 'rows.refine');
  if (r.refine.encoding !== 'u4-residual') fail(`refine encoding ${String(r.refine.encoding)} is not one this build reads`);
  if (!Number.isInteger(r.headDims) || r.headDims < 1 || r.headDims > (r.dims as number)) fail('"rows.headDims" out of range');
  if (!Array.isArray(r.tails) || r.tails.length !== (r.headDims < r.dims ? r.shards.length : 0)) fail('"rows.tails" needs one file per row shard (none when the heads hold every dim)');
  for (const shard of r.tails) listed(shard, 'rows.tails');
  if (m.rotation?.encoding !== 'f16') fail(`rotation encoding ${String(m.rotation?.encoding)} is not one this build reads`);
  if (!m.search || !Number.isInteger(m.search.refine) || m.search.refine < 0) fail('"search.refine" must be a count');
  if (!Number.isInteger(m.search?.headKeep) || (m.search?.headKeep as number) < 1) fail('"search.headKeep" must be a count');
  if (r.dims !== m.model?.dims) fail(`rows have ${r.dims} dims, the model ${m.model?.dims}`);
  if (!m.prefix || !(m.prefix.dims >= 1 && m.prefix.dims <= r.dims)) fail('"prefix" dims out of range');
  if (r.encoding !== 'u8-range') fail(`rows encoding ${String(r.encoding)} is not one this build reads`);
  if (m.prefix?.encoding !== 'u8-range' && m.prefix?.encoding !== 'u4-range') fail(`prefix encoding ${String(m.prefix?.encoding)} is not one this build reads`);
  return m as Format3Manifest;
}
