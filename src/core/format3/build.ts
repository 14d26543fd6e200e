/**
 * Rotated vectors → the vector side of a format-3 set: the prefix codes, the graph over them, the scales and
 * the row shards, in a locality row order. Pure: the same vectors and params give the same bytes. Row shards
 * come out one at a time (`rowShard`), so a writer can put a million rows on disk without a second copy.
 */
import { floatsToBytes } from '../artifacts';
import { prefixRows } from '../vectors';
import { encodeFloat16 } from './float16';
import { GraphBuilder, encodeGraph, type GraphParams } from './graph';
import { FORMAT3_FILES, FORMAT3_VECTORS_VERSION, type Format3Manifest, type PrefixEncoding } from './manifest';
import { localityOrder } from './order';
import { fitScales, fourBitScales, packFourBit, quantiseRow, refineRow, refineRowBytes, type Scales } from './quantize';

export interface VectorSetParams extends GraphParams {
  prefixDims: number;
  /** How the prefix is stored (the graph is built over its 8-bit codes either way). */
  prefixEncoding: PrefixEncoding;
  rowsPerShard: number;
  /** A row shard's head: the rows' first codes, what the shortlist's re-rank reads; the rest is its tail. */
  headDims: number;
  /** Search defaults recorded in the manifest. */
  ef: number;
  shortlist: number;
  /** The head re-rank's best rows ranked again at full dims (their tails read). */
  headKeep: number;
  /** The re-rank's best rows ranked again at 12 bits (their refine files read): 0 for none. */
  refine: number;
}

/**
 * Chosen by bench/format3.ts on synthetic corpora (docs/BENCHMARKS.md, "Format 3: the vector side"): a 64-d
 * prefix with a 12-link graph and a 400-row shortlist re-ranked at full dims keeps recall@10 ≥ 0.98 of exact
 * float32 search at 10k (0.992) and 100k (0.982; 200 rows give 0.93 there); 256-row shards keep the bytes a
 * query's re-rank reads near 3 MB at 100k.
 */
export const DEFAULT_VECTOR_PARAMS: VectorSetParams = {
  prefixDims: 64,
  prefixEncoding: 'u8-range',
  m: 12,
  efConstruction: 100,
  seed: 1,
  rowsPerShard: 256,
  headDims: 160,
  ef: 400,
  shortlist: 400,
  headKeep: 200,
  refine: 20,
};

/**
 * The prefix's encoding for a set of `count` papers. It is read whole before the first hybrid result: 64 MB at 1M in
 * 8 bits, over half of issue #13's 120 MB there. In 4 bits recall@10 of the 55 typed queries on the realistic 1M
 * corpus goes from 0.991 to 0.976 (bench/format3-rows.ts); at 100k it would save 3.2 MB of a met budget for 0.004.
 */
export function prefixEncodingFor(count: number): PrefixEncoding {
  return count > 500_000 ? 'u4-range' : 'u8-range';
}

/**
 * The shortlist (= ef) a set of `count` papers records: a topic holds more papers as a set grows, and typed
 * queries need more rows re-ranked to keep their exact top 10. Measured with bench/format3-set.ts --text on
 * corpora of the realistic generator (docs/BENCHMARKS.md, "How real the synthetic vectors are"): 100k 0.955 at
 * 400, 0.978 at 1000, 0.984 at 2000. 10k stays at 400 (0.973; 800 gives 0.982 but reads 5.6 MB before the first
 * hybrid result, over issue #13's 5 MB, and the bench's ten queries lose the same near-ties to the 8-bit codes at
 * any shortlist). Above 500k, 4000: on the realistic 1M corpus 0.933 at 2000, 0.958 at 4000 (0.980 for the bench's
 * ten queries), 0.962 at 8000, at ~50 MB of row shards per cold re-rank.
 */
export function searchDefaultsFor(count: number): Pick<VectorSetParams, 'ef' | 'shortlist'> {
  const shortlist = count <= 20_000 ? DEFAULT_VECTOR_PARAMS.shortlist : count <= 500_000 ? 2000 : 4000;
  return { ef: shortlist, shortlist };
}

/**
 * Rows a row shard holds in a set of `count` papers. A 400-row shortlist is 4% of a 10k set but fell in 24–32 of its
 * 40 shards of 256 rows (2.4 MB of the 5.2 MB a first visit read before its first hybrid result; bench/scale.ts),
 * most of it rows the re-rank never looks at. In shards of 128 rows it falls in ~52 (Node p50, bench/format3-bytes.ts;
 * 1.7 MB in the browser). 64 rows read less still (~80 shards, 1.2 MB) but a cold search then waits for ~60 small
 * files (the `rows` part of the bench's first ten searches 237 ms p50 at load ~10, against 70 ms at 128 rows). Above
 * 20k papers the shortlist grows and so does the budget (40 MB at 100k): 256 rows, fewer requests.
 */
export function rowsPerShardFor(count: number): number {
  return count <= 20_000 ? 128 : DEFAULT_VECTOR_PARAMS.rowsPerShard;
}

/**
 * The dims a row shard's head holds in a set of `count` papers (`dims`: the model's): every one (no tails) up to 500k.
 * Split, a cold re-rank reads less (1M: 24 instead of 49 MB of row shards, recall@10 unchanged: bench/format3-rows.ts)
 * but waits for a second round of files, the tails of the head re-rank's best 200: at 100k that round cost more
 * search time (bench/scale.ts: the tails' wait 21 ms p50) than the 40 MB budget, met by half, gains in bytes.
 */
export function headDimsFor(count: number, dims: number): number {
  return count > 500_000 ? Math.min(DEFAULT_VECTOR_PARAMS.headDims, dims) : dims;
}

/** What the merge builds a set of `count` papers with (`dims`: the model's). */
export function vectorParamsFor(count: number, dims: number): VectorSetParams {
  return {
    ...DEFAULT_VECTOR_PARAMS,
    ...searchDefaultsFor(count),
    rowsPerShard: rowsPerShardFor(count),
    prefixEncoding: prefixEncodingFor(count),
    headDims: headDimsFor(count, dims),
  };
}

/** A row shard's codes (rows × dims) → its head (the first headDims of each row) and its tail (the rest). */
export function splitRowShard(codes: Uint8Array, dims: number, headDims: number): { head: Uint8Array; tail: Uint8Array } {
  const rows = codes.length / dims;
  const tailDims = dims - headDims;
  const head = new Uint8Array(rows * headDims);
  const tail = new Uint8Array(rows * tailDims);
  for (let r = 0; r < rows; r++) {
    head.set(codes.subarray(r * dims, r * dims + headDims), r * headDims);
    tail.set(codes.subarray(r * dims + headDims, (r + 1) * dims), r * tailDims);
  }
  return { head, tail };
}

/** The prefix file's bytes and its scales under `encoding`, from the 8-bit codes the graph was built over. */
export function storedPrefix(codes: Uint8Array, scales: Scales, dims: number, encoding: PrefixEncoding): { bytes: Uint8Array; scales: Scales } {
  return encoding === 'u4-range' ? { bytes: packFourBit(codes, dims), scales: fourBitScales(scales) } : { bytes: codes, scales };
}

export interface EncodedVectors {
  /** order[row] = index of that row's vector in the input (id order): the papers go in the same order. */
  order: Int32Array;
  /** rotation, scales, prefix, graph. */
  files: Map<string, Uint8Array>;
  rowScales: Scales;
  shardCount: number;
  /** Row shard i's full codes (rows × dims), made on demand from the input vectors. */
  rowShard(index: number): Uint8Array;
  /** Row shard i's head, tail and refine file (same rows), names and bytes: what a writer writes for shard i. */
  shardFiles(index: number): [string, Uint8Array][];
  manifest: Pick<Format3Manifest, 'vectorsFormat' | 'prefix' | 'graph' | 'rows' | 'scales' | 'rotation' | 'search'>;
  seconds: { graph: number; order: number };
}

export type VectorBuildStage = 'graph' | 'order' | 'rows';

/**
 * `rotated`: count × dims, unit rows, already rotated by `rotation` (D × D). The rotation is stored as float16: pass
 * one that float16 holds exactly (roundToFloat16) so that the reader rotates queries by the matrix the rows were.
 */
export function encodeVectors(
  rotated: Float32Array,
  dims: number,
  rotation: Float32Array,
  params: VectorSetParams = DEFAULT_VECTOR_PARAMS,
  onProgress?: (stage: VectorBuildStage, done: number, total: number) => void,
): EncodedVectors {
  const count = rotated.length / dims;
  const p = Math.min(params.prefixDims, dims);
  // The prefix re-normalised, coded, and decoded again in place: the graph and the order are built on exactly
  // what the reader will score, so the build's notion of "near" is the search's.
  const prefix = prefixRows(rotated, dims, p);
  const prefixScales = fitScales(prefix, p);
  const prefixCodes = new Uint8Array(count * p);
  for (let r = 0; r < count; r++) {
    quantiseRow(prefix, r * p, prefixScales, prefixCodes, r * p);
    for (let d = 0; d < p; d++) prefix[r * p + d] = prefixScales.min[d] + prefixCodes[r * p + d] * prefixScales.step[d];
  }
  let started = performance.now();
  const graph = new GraphBuilder(prefix, p, params).build((done) => onProgress?.('graph', done, count));
  const graphSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  onProgress?.('order', 0, count);
  const order = localityOrder(prefix, p);
  const orderSeconds = (performance.now() - started) / 1000;
  const graphBytes = encodeGraph(graph, order);
  const orderedPrefix = new Uint8Array(count * p);
  for (let row = 0; row < count; row++) orderedPrefix.set(prefixCodes.subarray(order[row] * p, (order[row] + 1) * p), row * p);

  const rowScales = fitScales(rotated, dims);
  const prefixFile = storedPrefix(orderedPrefix, prefixScales, p, params.prefixEncoding);
  const scales = new Float32Array(2 * p + 2 * dims);
  scales.set(prefixFile.scales.min, 0);
  scales.set(prefixFile.scales.step, p);
  scales.set(rowScales.min, 2 * p);
  scales.set(rowScales.step, 2 * p + dims);
  const files = new Map<string, Uint8Array>([
    [FORMAT3_FILES.rotation, encodeFloat16(rotation)],
    [FORMAT3_FILES.scales, floatsToBytes(scales)],
    [FORMAT3_FILES.prefix, prefixFile.bytes],
    [FORMAT3_FILES.graph, graphBytes],
  ]);
  const shardCount = Math.ceil(count / params.rowsPerShard);
  const headDims = Math.min(params.headDims, dims);
  const rowShard = (index: number) => {
    const from = index * params.rowsPerShard;
    const to = Math.min(count, from + params.rowsPerShard);
    const bytes = new Uint8Array((to - from) * dims);
    for (let row = from; row < to; row++) quantiseRow(rotated, order[row] * dims, rowScales, bytes, (row - from) * dims);
    onProgress?.('rows', to, count);
    return bytes;
  };
  const shardFiles = (index: number): [string, Uint8Array][] => {
    const bytes = rowShard(index);
    const from = index * params.rowsPerShard;
    const rows = bytes.length / dims;
    const width = refineRowBytes(dims);
    const refine = new Uint8Array(rows * width);
    for (let r = 0; r < rows; r++) refineRow(rotated, order[from + r] * dims, rowScales, bytes, r * dims, refine, r * width);
    const { head, tail } = splitRowShard(bytes, dims, headDims);
    return [
      [FORMAT3_FILES.rowShard(index), head],
      ...(headDims < dims ? ([[FORMAT3_FILES.tailShard(index), tail]] as [string, Uint8Array][]) : []),
      [FORMAT3_FILES.refineShard(index), refine],
    ];
  };
  return {
    order,
    files,
    rowScales,
    shardCount,
    rowShard,
    shardFiles,
    manifest: {
      vectorsFormat: FORMAT3_VECTORS_VERSION,
      rotation: { file: FORMAT3_FILES.rotation, method: 'pca-uncentred', encoding: 'f16' },
      scales: { file: FORMAT3_FILES.scales },
      prefix: { file: FORMAT3_FILES.prefix, dims: p, encoding: params.prefixEncoding },
      graph: { file: FORMAT3_FILES.graph, kind: 'hnsw', m: params.m, efConstruction: params.efConstruction, seed: params.seed },
      rows: {
        encoding: 'u8-range',
        dims,
        rowsPerShard: params.rowsPerShard,
        headDims,
        shards: Array.from({ length: shardCount }, (_, i) => FORMAT3_FILES.rowShard(i)),
        tails: headDims < dims ? Array.from({ length: shardCount }, (_, i) => FORMAT3_FILES.tailShard(i)) : [],
        order: 'pca-tree',
        refine: { encoding: 'u4-residual', shards: Array.from({ length: shardCount }, (_, i) => FORMAT3_FILES.refineShard(i)) },
      },
      search: { ef: params.ef, shortlist: params.shortlist, headKeep: params.headKeep, refine: params.refine },
    },
    seconds: { graph: graphSeconds, order: orderSeconds },
  };
}
