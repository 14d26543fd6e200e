/**
 * Reads the vector side of a format-3 set: rotation, scales, prefix codes and graph at open (the eager part),
 * row shards when a search re-ranks its shortlist or a caller asks for a row's vector (kept in a small LRU).
 * Where bytes come from (fetch, IndexedDB, disk) is the caller's: `fetchFile` returns a file's bytes, already
 * checked against the manifest (`checkedFetch` does that for a plain reader).
 */
import { bytesToFloats } from '../artifacts';
import { decodeFloat16 } from './float16';
import { PapersiftError, describeError, isPapersiftError } from '../errors';
import { sha256Hex } from '../hash';
import { ScoreHeap } from './heap';
import type { PhaseClock } from './phases';
import { CompactGraph, Visited, descend, searchLevel } from './graph';
import { Lru } from './sharded-files';
import type { Format3Manifest } from './manifest';
import { codeDot, codeNormSquared, codeQuery, dequantiseRow, prefixRowBytes, refinedRow, refineRowBytes, unpackFourBit, type Scales } from './quantize';

export type FetchFile = (name: string) => Promise<Uint8Array>;

/**
 * `read` (may return undefined for a missing file) → a fetch that checks size and sha256 against the
 * manifest, with the file named in every error.
 */
export function checkedFetch(manifest: Pick<Format3Manifest, 'files'>, read: (name: string) => Promise<Uint8Array | undefined>): FetchFile {
  return async (name) => {
    const meta = manifest.files[name];
    if (!meta) throw new PapersiftError('artifacts-format', `The manifest does not list ${name}`, { file: name });
    const bytes = await read(name);
    if (!bytes) throw new PapersiftError('artifacts-missing', `Artifact file ${name} is missing`, { file: name });
    if (bytes.byteLength !== meta.bytes || (await sha256Hex(bytes)) !== meta.sha256) {
      throw new PapersiftError('artifacts-format', `Artifact file ${name} is corrupted (size or sha256 differs from the manifest)`, { file: name });
    }
    return bytes;
  };
}

export interface VectorSearchOptions {
  /** Rows the walk finds and the re-rank scores from their heads (default: the manifest's). */
  shortlist?: number;
  /**
   * The head re-rank's best rows scored again at full dims, their tails read (default: the manifest's; at least k).
   * 0: the heads' ranking is the answer, no tail read (scores are cosines over the first headDims): for ranks that
   * only feed fusion.
   */
  headKeep?: number;
  /** Width of the graph walk (default: the manifest's; at least the shortlist). */
  ef?: number;
  /** Only rows for which this is true are returned (a filter); the walk widens until it finds enough. */
  keep?: (row: number) => boolean;
  /**
   * Rank the shortlist by cosine over the first `dims` rotated components, re-normalised (default: all of
   * them). The rotation is a PCA, so a prefix is the best `dims`-d summary: format 2's truncated search.
   */
  dims?: number;
  /** Adds the walk, the row shards' wait and the re-rank to this clock (SearchResult.phases). */
  phases?: PhaseClock;
  /**
   * Re-rank these rows instead of walking the graph for a shortlist (a search for a query moved a little from
   * an earlier one re-ranks the earlier one's shortlist, whose row shards are read already).
   */
  candidates?: readonly number[];
  /** Told the shortlist this search re-ranks (the walk's, or `candidates`), before the re-rank. */
  onShortlist?: (rows: readonly number[]) => void;
  /**
   * The re-rank's best rows ranked again at 12 bits, their refine files read (default: the manifest's; 0 for none;
   * at full dims only). Near-ties the 8-bit codes cannot order are what keeps recall@10 under 0.98 at 10k.
   */
  refine?: number;
  /**
   * Rows of the walk's shortlist whose row shard holds fewer than this many of them are not re-ranked (their shard
   * is not read), unless they are among the `keepBest` best by prefix; default 1 (every row). The shortlist's rows
   * cluster in few shards (the locality order): a shard read for one row is a file fetched for a paper the prefix
   * puts far from the query's topic (bench/format3-rows.ts). Not applied to `candidates`.
   */
  minShardRows?: number;
  /** The shortlist's best rows by prefix that are re-ranked whatever their shard holds (with `minShardRows`; default 100). */
  keepBest?: number;
}

/** Rows of a shortlist (best first) in shards holding at least `min` of them, or among its first `keepBest`. */
export function withoutSparseShards(rows: readonly number[], rowsPerShard: number, min: number, keepBest: number): number[] {
  if (min <= 1) return [...rows];
  const fill = new Map<number, number>();
  for (const row of rows) {
    const shard = Math.floor(row / rowsPerShard);
    fill.set(shard, (fill.get(shard) ?? 0) + 1);
  }
  const read = new Set<number>();
  for (const [shard, n] of fill) if (n >= min) read.add(shard);
  for (let i = 0; i < Math.min(keepBest, rows.length); i++) read.add(Math.floor(rows[i] / rowsPerShard));
  return rows.filter((row) => read.has(Math.floor(row / rowsPerShard)));
}

export interface VectorHit {
  row: number;
  /** Cosine at full dims (or the `dims` asked for), from the row's codes. */
  score: number;
}

export interface OpenOptions {
  /**
   * Bytes of row shards kept in memory (default ROWS_CACHE_BYTES). A 400-row shortlist at 100k falls in ~33
   * shards of 98 KB, so the old 64-shard cache held two queries' worth and each new one read its shards again.
   */
  cachedBytes?: number;
}

/**
 * Row shards kept, by bytes: 512 shards of 256 rows × 384 dims, every shard of a set of up to 130k papers
 * (100k: 391 shards, 38 MB; a tab may hold 400 MB there). With 24 MB the 20 searches of bench/scale.ts at
 * 100k (~50 shards each) pushed out what the same query read ten searches before.
 */
export const ROWS_CACHE_BYTES = 48 * 1024 * 1024;

export class VectorSet {
  readonly count: number;
  readonly dims: number;
  readonly prefixDims: number;
  /** D × D, row-major: rotated query = R · query. */
  readonly rotation: Float32Array;
  /** Bytes read at open. */
  readonly eagerBytes: number;
  /** Row shards' heads fetched so far (cache misses). */
  shardsFetched = 0;
  /** Row shards' tails fetched so far (cache misses). */
  tailsFetched = 0;
  /** Refine files fetched so far (cache misses). */
  refineFetched = 0;
  /** Refine files loaded or loading, by bytes. */
  private readonly refineCache: Lru<number, Promise<Uint8Array>>;
  /** Row shards' heads loaded or loading, weighed by their bytes (rows × headDims). */
  private readonly shardCache: Lru<number, Promise<Uint8Array>>;
  /** Row shards' tails loaded or loading, weighed by their bytes (rows × (dims − headDims)). */
  private readonly tailCache: Lru<number, Promise<Uint8Array>>;
  private readonly headDims: number;
  private readonly tailDims: number;
  private readonly visited: Visited;
  private readonly candidates = new ScoreHeap(true);
  private readonly results = new ScoreHeap(false);
  private readonly scratch: Int32Array;
  /** |head|² by head file, filled as rows are re-ranked (NaN: not yet): a shortlist re-ranked again skips it. */
  private readonly norms = new WeakMap<Uint8Array, Float64Array>();
  /** The heads of the last walk's shortlist, loaded or loading, held beside the cache until the next walk. */
  private held = new Map<number, Promise<Uint8Array>>();
  /** The tails the last walk's head re-rank kept, held as its heads are. */
  private heldTails = new Map<number, Promise<Uint8Array>>();

  private constructor(
    readonly manifest: Format3Manifest,
    private readonly fetchFile: FetchFile,
    rotation: Float32Array,
    private readonly prefixScales: Scales,
    private readonly rowScales: Scales,
    private readonly prefix: Uint8Array,
    private readonly graph: CompactGraph,
    eagerBytes: number,
    cachedBytes: number,
  ) {
    this.count = manifest.count;
    this.dims = manifest.rows.dims;
    this.prefixDims = manifest.prefix.dims;
    this.rotation = rotation;
    this.eagerBytes = eagerBytes;
    this.visited = new Visited(this.count);
    this.scratch = new Int32Array(2 * graph.m + 1);
    this.headDims = manifest.rows.headDims;
    this.tailDims = this.dims - this.headDims;
    this.shardCache = new Lru((cachedBytes * this.headDims) / this.dims, (_, shard) => this.shardRows(shard) * this.headDims);
    this.tailCache = new Lru(Math.max(1, (cachedBytes * this.tailDims) / this.dims), (_, shard) => this.shardRows(shard) * this.tailDims);
    this.refineCache = new Lru(cachedBytes / 8, (_, shard) => this.shardRows(shard) * refineRowBytes(this.dims));
  }

  private shardRows(shard: number): number {
    const perShard = this.manifest.rows.rowsPerShard;
    return Math.min(perShard, this.count - shard * perShard);
  }

  static async open(manifest: Format3Manifest, fetchFile: FetchFile, options: OpenOptions = {}): Promise<VectorSet> {
    const dims = manifest.rows.dims;
    const p = manifest.prefix.dims;
    const [rotationBytes, scaleBytes, prefixBytes, graphBytes] = await Promise.all(
      [manifest.rotation.file, manifest.scales.file, manifest.prefix.file, manifest.graph.file].map((name) => fetchNamed(fetchFile, name)),
    );
    const shape = (file: string, bytes: number, expected: number) => {
      if (bytes !== expected) throw new PapersiftError('artifacts-format', `${file} has ${bytes} bytes; the manifest's shapes need ${expected}`, { file });
    };
    shape(manifest.rotation.file, rotationBytes.byteLength, dims * dims * 2);
    shape(manifest.scales.file, scaleBytes.byteLength, (2 * p + 2 * dims) * 4);
    shape(manifest.prefix.file, prefixBytes.byteLength, manifest.count * prefixRowBytes(p, manifest.prefix.encoding));
    // 4-bit codes are unpacked to a byte each once: the walk scores them as it scores 8-bit ones.
    const prefix = manifest.prefix.encoding === 'u4-range' ? unpackFourBit(prefixBytes, p) : prefixBytes;
    const scales = bytesToFloats(scaleBytes);
    const graph = new CompactGraph(graphBytes, manifest.graph.file);
    if (graph.count !== manifest.count) {
      throw new PapersiftError('artifacts-format', `${manifest.graph.file} has ${graph.count} nodes; the manifest counts ${manifest.count} rows`, { file: manifest.graph.file });
    }
    return new VectorSet(
      manifest,
      fetchFile,
      decodeFloat16(rotationBytes),
      { min: scales.subarray(0, p), step: scales.subarray(p, 2 * p) },
      { min: scales.subarray(2 * p, 2 * p + dims), step: scales.subarray(2 * p + dims) },
      prefix,
      graph,
      rotationBytes.byteLength + scaleBytes.byteLength + prefixBytes.byteLength + graphBytes.byteLength,
      options.cachedBytes ?? ROWS_CACHE_BYTES,
    );
  }

  /** Rotates a unit query from the model's space: what `search` takes. */
  rotate(query: Float32Array): Float32Array {
    return rotateBy(this.rotation, query);
  }

  /** The shortlist by the prefix: rows the graph walk finds nearest, best first (synchronous, so scratch is safe). */
  shortlist(query: Float32Array, size: number, ef: number, keep?: (row: number) => boolean): number[] {
    const p = this.prefixDims;
    const prefixQuery = query.slice(0, p);
    let norm = 0;
    for (let d = 0; d < p; d++) norm += prefixQuery[d] * prefixQuery[d];
    if (norm > 0) for (let d = 0; d < p; d++) prefixQuery[d] /= Math.sqrt(norm);
    const q = codeQuery(prefixQuery, this.prefixScales);
    const codes = this.prefix;
    const score = (row: number) => codeDot(q, codes, row * p);
    const start = descend(this.graph, score, 0, this.scratch);
    for (let width = Math.max(ef, size); ; width *= 4) {
      const found = searchLevel(this.graph, score, start, width, 0, this.visited, this.candidates, this.results, this.scratch);
      const rows = new Array<number>(found.size);
      for (let i = found.size - 1; i >= 0; i--) {
        rows[i] = found.topId();
        found.pop();
      }
      const kept = keep ? rows.filter(keep) : rows;
      // A filter may reject most of what a walk finds: widen it until enough pass or the walk saw everything.
      if (kept.length >= size || !keep || width >= this.count) return kept.slice(0, size);
    }
  }

  /** The k rows nearest to `query` (rotated, unit, full dims): shortlist by the prefix, re-rank at full dims (or `options.dims`). */
  async search(query: Float32Array, k: number, options: VectorSearchOptions = {}): Promise<VectorHit[]> {
    if (query.length !== this.dims) throw new PapersiftError('invalid-option', `A ${query.length}-d query for ${this.dims}-d rows`);
    const size = Math.max(k, options.shortlist ?? this.manifest.search.shortlist);
    const { phases } = options;
    const perShard = this.manifest.rows.rowsPerShard;
    let started = performance.now();
    let rows: number[];
    if (options.candidates) rows = [...options.candidates];
    else {
      rows = this.shortlist(query, size, options.ef ?? this.manifest.search.ef, options.keep);
      const min = options.minShardRows ?? 1;
      if (min > 1) rows = withoutSparseShards(rows, perShard, min, Math.max(k, options.keepBest ?? 100));
      phases?.add('walk', performance.now() - started);
    }
    options.onShortlist?.(rows);
    const dims = options.dims ?? this.dims;
    if (!Number.isInteger(dims) || dims < 1 || dims > this.dims) throw new PapersiftError('invalid-option', `dims must be from 1 to ${this.dims}; got ${dims}`);
    // Every shortlisted row is scored from its head; those the head ranks best, again with their tails.
    let hits = await this.scoreHeads(query, rows, Math.min(dims, this.headDims), !options.candidates, phases);
    const headKeep = options.headKeep ?? this.manifest.search.headKeep;
    if (dims > this.headDims && headKeep > 0) {
      const keep = Math.min(hits.length, Math.max(k, headKeep));
      hits = await this.scoreWhole(
        query,
        hits.slice(0, keep).map((hit) => hit.row),
        dims,
        !options.candidates,
        phases,
      );
    }
    const refine = Math.min(hits.length, options.refine ?? this.manifest.search.refine);
    if (dims === this.dims && (headKeep > 0 || this.headDims === this.dims) && refine > 0) await this.refine(query, hits, refine, phases);
    return hits.slice(0, k);
  }

  /** Scales of the first `dims` row components (a prefix's codes are the first codes of the row: no second copy). */
  private scalesOf(from: number, to: number): Scales {
    return from === 0 && to === this.dims ? this.rowScales : { min: this.rowScales.min.subarray(from, to), step: this.rowScales.step.subarray(from, to) };
  }

  /**
   * The rows' cosines over their first `dims` (≤ headDims) components, re-normalised, from their heads, best first.
   * `walked`: the rows are a walk's shortlist, whose heads are held until the next walk.
   */
  private async scoreHeads(query: Float32Array, rows: readonly number[], dims: number, walked: boolean, phases?: PhaseClock): Promise<VectorHit[]> {
    const perShard = this.manifest.rows.rowsPerShard;
    const scales = this.scalesOf(0, dims);
    const q = codeQuery(query.subarray(0, dims), scales);
    let queryNorm = 1;
    if (dims < this.dims) {
      let sum = 0;
      for (let d = 0; d < dims; d++) sum += query[d] * query[d];
      queryNorm = Math.sqrt(sum) || 1;
    }
    const byShard = groupByShard(rows, perShard);
    const shards = new Map<number, Promise<Uint8Array>>();
    for (const shard of byShard.keys()) shards.set(shard, this.headShard(shard));
    // A walk's heads stay held until the next walk: the feedback query re-ranks the same rows, and the hits' rows are
    // read from them, even when the shortlist falls in more shards than the cache keeps (1M papers, 4,000 rows).
    if (walked) {
      this.held = shards;
      this.heldTails = new Map();
    }
    const width = this.headDims;
    // Norms cached by head file are over the whole head; a shorter prefix computes its own.
    const cacheNorms = dims === width;
    const hits = new Array<VectorHit>(rows.length);
    // Each shard's rows are scored as it arrives, while the others are still on their way (the same scores as
    // scoring them all after the last one: each row's cosine is its own).
    let scoring = 0;
    const started = performance.now();
    await Promise.all(
      [...shards].map(async ([shard, loading]) => {
        const codes = await loading;
        const began = performance.now();
        let norms: Float64Array | undefined;
        if (cacheNorms) {
          norms = this.norms.get(codes);
          if (!norms) this.norms.set(codes, (norms = new Float64Array(codes.length / width).fill(Number.NaN)));
        }
        for (const i of byShard.get(shard) as number[]) {
          const row = rows[i];
          const inShard = row - shard * perShard;
          const offset = inShard * width;
          let normSquared: number;
          if (norms) {
            normSquared = norms[inShard];
            if (Number.isNaN(normSquared)) normSquared = norms[inShard] = codeNormSquared(codes, offset, scales);
          } else normSquared = codeNormSquared(codes, offset, scales);
          hits[i] = { row, score: codeDot(q, codes, offset) / (queryNorm * Math.sqrt(normSquared)) };
        }
        scoring += performance.now() - began;
      }),
    );
    phases?.add('rows', performance.now() - started - scoring);
    const sorting = performance.now();
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    phases?.add('rerank', scoring + performance.now() - sorting);
    return hits;
  }

  /** The rows' cosines over their first `dims` (> headDims) components, from heads and tails, best first. */
  private async scoreWhole(query: Float32Array, rows: readonly number[], dims: number, walked: boolean, phases?: PhaseClock): Promise<VectorHit[]> {
    const perShard = this.manifest.rows.rowsPerShard;
    const head = codeQuery(query.subarray(0, this.headDims), this.scalesOf(0, this.headDims));
    const tailScales = this.scalesOf(this.headDims, dims);
    const tail = codeQuery(query.subarray(this.headDims, dims), tailScales);
    let queryNorm = 1;
    if (dims < this.dims) {
      let sum = 0;
      for (let d = 0; d < dims; d++) sum += query[d] * query[d];
      queryNorm = Math.sqrt(sum) || 1;
    }
    const byShard = groupByShard(rows, perShard);
    const parts = new Map<number, Promise<[Uint8Array, Uint8Array]>>();
    const tails = new Map<number, Promise<Uint8Array>>();
    for (const shard of byShard.keys()) {
      const tailCodes = this.tailShard(shard);
      tails.set(shard, tailCodes);
      parts.set(shard, Promise.all([this.headShard(shard), tailCodes]));
    }
    if (walked) this.heldTails = tails;
    const started = performance.now();
    const loaded = await settledAll(parts);
    phases?.add('tailRows', performance.now() - started);
    const scoring = performance.now();
    const hits: VectorHit[] = [];
    for (const row of rows) {
      const shard = Math.floor(row / perShard);
      const [headCodes, tailCodes] = loaded.get(shard) as [Uint8Array, Uint8Array];
      const inShard = row - shard * perShard;
      const headAt = inShard * this.headDims;
      const tailAt = inShard * this.tailDims;
      let normSquared = this.norms.get(headCodes)?.[inShard] ?? Number.NaN;
      if (Number.isNaN(normSquared)) normSquared = codeNormSquared(headCodes, headAt, this.scalesOf(0, this.headDims));
      normSquared += codeNormSquared(tailCodes, tailAt, tailScales);
      const dot = codeDot(head, headCodes, headAt) + codeDot(tail, tailCodes, tailAt);
      hits.push({ row, score: dot / (queryNorm * Math.sqrt(normSquared)) });
    }
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    phases?.add('rerank', performance.now() - scoring);
    return hits;
  }

  /**
   * Ranks the first `top` hits again from their 12-bit values (8-bit codes and refine nibbles), in place; the rest
   * keep their 8-bit scores and order. Refined scores stay cosines, so a refined row may move past a row after `top`.
   */
  private async refine(query: Float32Array, hits: VectorHit[], top: number, phases?: PhaseClock): Promise<void> {
    const perShard = this.manifest.rows.rowsPerShard;
    const width = refineRowBytes(this.dims);
    const best = hits.slice(0, top);
    const shards = new Map<number, Promise<[Uint8Array, Uint8Array]>>();
    for (const { row } of best) {
      const shard = Math.floor(row / perShard);
      if (!shards.has(shard)) shards.set(shard, Promise.all([this.rowCodes(shard), this.refineShard(shard)]));
    }
    let started = performance.now();
    const loaded = await settledAll(shards);
    phases?.add('refineRows', performance.now() - started);
    started = performance.now();
    const x = new Float32Array(this.dims);
    for (const hit of best) {
      const shard = Math.floor(hit.row / perShard);
      const inShard = hit.row - shard * perShard;
      const [codes, refine] = loaded.get(shard) as [Uint8Array, Uint8Array];
      refinedRow(codes, inShard * this.dims, refine, inShard * width, this.rowScales, x);
      let dot = 0;
      let norm = 0;
      for (let d = 0; d < this.dims; d++) {
        dot += query[d] * x[d];
        norm += x[d] * x[d];
      }
      hit.score = dot / Math.sqrt(norm);
    }
    hits.sort((a, b) => b.score - a.score || a.row - b.row);
    phases?.add('refine', performance.now() - started);
  }

  /** A row's prefix as the graph walks it (decoded from the in-memory codes; no fetch): what the map lays out. */
  prefixVector(row: number): Float32Array {
    if (!Number.isInteger(row) || row < 0 || row >= this.count) throw new PapersiftError('invalid-option', `No row ${row} in a set of ${this.count}`);
    return dequantiseRow(this.prefix, row * this.prefixDims, this.prefixScales);
  }

  /** A row's full vector (rotated, unit), from its shard: what "similar to this paper" searches with. */
  async vector(row: number): Promise<Float32Array> {
    if (!Number.isInteger(row) || row < 0 || row >= this.count) throw new PapersiftError('invalid-option', `No row ${row} in a set of ${this.count}`);
    const perShard = this.manifest.rows.rowsPerShard;
    const shard = Math.floor(row / perShard);
    const codes = await this.rowCodes(shard);
    const out = dequantiseRow(codes, (row - shard * perShard) * this.dims, this.rowScales);
    let norm = 0;
    for (const x of out) norm += x * x;
    for (let d = 0; d < out.length; d++) out[d] /= Math.sqrt(norm);
    return out;
  }

  private refineShard(shard: number): Promise<Uint8Array> {
    const cached = this.refineCache.get(shard);
    if (cached) return cached;
    const name = this.manifest.rows.refine.shards[shard];
    const bytes = this.shardRows(shard) * refineRowBytes(this.dims);
    this.refineFetched++;
    const loading = fetchNamed(this.fetchFile, name).then((got) => {
      if (got.byteLength !== bytes) throw new PapersiftError('artifacts-format', `Refine file ${name} has ${got.byteLength} bytes, not ${bytes}`, { file: name });
      return got;
    });
    loading.catch(() => {
      if (this.refineCache.get(shard) === loading) this.refineCache.delete(shard);
    });
    this.refineCache.set(shard, loading);
    return loading;
  }

  /** A row shard's full codes (rows × dims): its head and tail interleaved back, or the head when it holds every dim. */
  private async rowCodes(shard: number): Promise<Uint8Array> {
    if (this.tailDims === 0) return this.headShard(shard);
    const [head, tail] = await Promise.all([this.headShard(shard), this.tailShard(shard)]);
    const rows = head.length / this.headDims;
    const out = new Uint8Array(rows * this.dims);
    for (let r = 0; r < rows; r++) {
      out.set(head.subarray(r * this.headDims, (r + 1) * this.headDims), r * this.dims);
      out.set(tail.subarray(r * this.tailDims, (r + 1) * this.tailDims), r * this.dims + this.headDims);
    }
    return out;
  }

  private headShard(shard: number): Promise<Uint8Array> {
    return this.shardFile(shard, 'head');
  }

  private tailShard(shard: number): Promise<Uint8Array> {
    return this.shardFile(shard, 'tail');
  }

  private shardFile(shard: number, part: 'head' | 'tail'): Promise<Uint8Array> {
    const isHead = part === 'head';
    const holding = (isHead ? this.held : this.heldTails).get(shard);
    if (holding) return holding;
    const cache = isHead ? this.shardCache : this.tailCache;
    const cached = cache.get(shard);
    if (cached) return cached;
    const name = isHead ? this.manifest.rows.shards[shard] : this.manifest.rows.tails[shard];
    const width = isHead ? this.headDims : this.tailDims;
    const rows = this.shardRows(shard);
    if (isHead) this.shardsFetched++;
    else this.tailsFetched++;
    const loading = fetchNamed(this.fetchFile, name).then((bytes) => {
      if (bytes.byteLength !== rows * width) {
        throw new PapersiftError('artifacts-format', `Row shard ${name} has ${bytes.byteLength} bytes, not ${rows} rows × ${width}`, { file: name });
      }
      return bytes;
    });
    // A failed fetch is not kept: the next search tries again (the held map may have been replaced meanwhile).
    loading.catch(() => {
      if (cache.get(shard) === loading) cache.delete(shard);
      const held = isHead ? this.held : this.heldTails;
      if (held.get(shard) === loading) held.delete(shard);
    });
    cache.set(shard, loading);
    return loading;
  }
}

/** Positions in `rows` by the row shard each row falls in, shards in the rows' order. */
function groupByShard(rows: readonly number[], perShard: number): Map<number, number[]> {
  const byShard = new Map<number, number[]>();
  rows.forEach((row, i) => {
    const shard = Math.floor(row / perShard);
    const at = byShard.get(shard);
    if (at) at.push(i);
    else byShard.set(shard, [i]);
  });
  return byShard;
}

/** Every read settles before a failure is reported, so a bad file is out of its cache when the search fails. */
async function settledAll<T>(reads: Map<number, Promise<T>>): Promise<Map<number, T>> {
  const loaded = new Map<number, T>();
  const settled = await Promise.allSettled([...reads].map(async ([key, value]) => loaded.set(key, await value)));
  for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
  return loaded;
}

/** R · query for a D × D row-major rotation R. */
export function rotateBy(rotation: Float32Array, query: Float32Array): Float32Array {
  const d = query.length;
  const out = new Float32Array(d);
  for (let r = 0; r < d; r++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += rotation[r * d + c] * query[c];
    out[r] = s;
  }
  return out;
}

/** The caller's fetch, with the file named when it fails however it fails. */
async function fetchNamed(fetchFile: FetchFile, name: string): Promise<Uint8Array> {
  try {
    return await fetchFile(name);
  } catch (e) {
    if (isPapersiftError(e) && e.details.file === name) throw e;
    throw new PapersiftError(isPapersiftError(e) ? e.code : 'artifacts-missing', `Artifact file ${name} could not be read: ${describeError(e)}`, { file: name }, { cause: e });
  }
}

export function openFormat3(manifest: Format3Manifest, fetchFile: FetchFile, options?: OpenOptions): Promise<VectorSet> {
  return VectorSet.open(manifest, fetchFile, options);
}
