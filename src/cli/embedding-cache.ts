/**
 * Embeddings kept on disk between builds, keyed by what decides a vector: the model (id, dtype, weights sha256)
 * and the exact text embedded. A rebuild embeds only texts it has not seen.
 *
 * Layout: one folder per model (`<model>-<dtype>-<weights sha256 prefix>/`) of append-only segment files. Each
 * process that writes opens a segment of its own, so concurrent builds never interleave records and a segment is
 * only ever cut short at its end. A segment is a 16-byte header (magic "PSEMBED1", dims u32, 0 u32) followed by
 * fixed-size records: key (32 bytes: sha256) | vector (dims × float32 LE) | crc32 of key and vector (u32 LE).
 *
 * Why this and not a database: no native modules can be installed here, and a build only ever needs "all the
 * vectors for these keys" once, which a sequential scan answers at disk speed (1M rows of 384 dims: 1.5 GB)
 * while holding only the wanted keys in memory. A process killed mid-write (Ctrl-C, SIGKILL, out of memory)
 * leaves a truncated last record, which the reader ignores; a damaged record fails its checksum and is skipped,
 * so the worst case is re-embedding a text, never a wrong vector.
 */
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, readdirSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { PapersiftError } from '../core/errors';
import type { Dtype, ModelSpec } from '../core/models';

const MAGIC = 'PSEMBED1';
const HEADER_BYTES = 16;
const KEY_BYTES = 32;
const SEGMENT_SUFFIX = '.seg';
/** Bytes read per scan step: a whole number of records close to this. */
const SCAN_CHUNK_BYTES = 8 << 20;

export interface CacheLookup {
  /** Vectors found, row-major, one row per key asked (rows not found are left zero). */
  vectors: Float32Array;
  /** found[i]: whether row i was in the cache. */
  found: boolean[];
  hits: number;
  /** Records skipped because their checksum failed (damaged bytes); their texts get embedded again. */
  damaged: number;
}

/** The key of one embedded text: sha256 over the model's identity and the text, as JSON to frame the fields. */
export function embeddingKey(model: ModelSpec, dtype: Dtype, text: string): Buffer {
  const weights = model.weights[dtype]?.sha256 ?? '';
  return createHash('sha256').update(JSON.stringify([model.id, dtype, weights, text])).digest();
}

export class EmbeddingCache {
  readonly dir: string;
  private readonly recordBytes: number;
  private segment: { fd: number; path: string } | undefined;
  private appended = 0;

  constructor(
    root: string,
    readonly model: ModelSpec,
    readonly dtype: Dtype,
  ) {
    const weights = model.weights[dtype]?.sha256 ?? 'unknown';
    this.dir = join(root, `${model.id}-${dtype}-${weights.slice(0, 12)}`);
    this.recordBytes = KEY_BYTES + model.dims * 4 + 4;
  }

  key(text: string): Buffer {
    return embeddingKey(this.model, this.dtype, text);
  }

  /** Records written by this process so far. */
  get written(): number {
    return this.appended;
  }

  /** One sequential pass over every segment, keeping only the keys asked for. */
  lookup(keys: readonly Buffer[]): CacheLookup {
    const dims = this.model.dims;
    const vectors = new Float32Array(keys.length * dims);
    const found = new Array<boolean>(keys.length).fill(false);
    const wanted = new Map<string, number[]>();
    keys.forEach((key, row) => {
      const hex = key.toString('hex');
      const rows = wanted.get(hex);
      if (rows) rows.push(row);
      else wanted.set(hex, [row]);
    });
    let hits = 0;
    let damaged = 0;
    if (wanted.size === 0) return { vectors, found, hits, damaged };
    const recordsPerChunk = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / this.recordBytes));
    const buffer = Buffer.alloc(recordsPerChunk * this.recordBytes);
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    for (const path of this.segments()) {
      const fd = openSync(path, 'r');
      try {
        if (!this.headerMatches(fd)) continue;
        let position = HEADER_BYTES;
        for (;;) {
          const read = readFully(fd, buffer, position);
          const records = Math.floor(read / this.recordBytes); // a cut-short last record is ignored
          for (let r = 0; r < records; r++) {
            const at = r * this.recordBytes;
            const hex = buffer.toString('hex', at, at + KEY_BYTES);
            const rows = wanted.get(hex);
            if (!rows) continue;
            const body = buffer.subarray(at, at + this.recordBytes - 4);
            if (crc32(body) !== view.getUint32(at + this.recordBytes - 4, true)) {
              damaged++;
              continue;
            }
            for (const row of rows) {
              for (let d = 0; d < dims; d++) vectors[row * dims + d] = view.getFloat32(at + KEY_BYTES + d * 4, true);
              found[row] = true;
              hits++;
            }
            wanted.delete(hex);
          }
          if (read < buffer.length || wanted.size === 0) break;
          position += read;
        }
      } finally {
        closeSync(fd);
      }
      if (wanted.size === 0) break;
    }
    return { vectors, found, hits, damaged };
  }

  /**
   * Appends records in one write each call (row i of `vectors` is the embedding of the text of keys[i]).
   * Synchronous on purpose: when it returns, the rows are in the file and survive the process being killed.
   */
  append(keys: readonly Buffer[], vectors: Float32Array): void {
    const dims = this.model.dims;
    if (vectors.length !== keys.length * dims) {
      throw new PapersiftError('invalid-option', `${keys.length} keys for ${vectors.length / dims} vectors`);
    }
    if (keys.length === 0) return;
    const out = Buffer.alloc(keys.length * this.recordBytes);
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
    keys.forEach((key, i) => {
      const at = i * this.recordBytes;
      key.copy(out, at);
      for (let d = 0; d < dims; d++) view.setFloat32(at + KEY_BYTES + d * 4, vectors[i * dims + d], true);
      view.setUint32(at + this.recordBytes - 4, crc32(out.subarray(at, at + this.recordBytes - 4)), true);
    });
    const segment = this.openSegment();
    let offset = 0;
    while (offset < out.length) offset += writeSync(segment.fd, out, offset, out.length - offset);
    this.appended += keys.length;
  }

  close(): void {
    if (this.segment) closeSync(this.segment.fd);
    this.segment = undefined;
  }

  /** Segment files, oldest first (names start with the time they were opened). */
  segments(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(SEGMENT_SUFFIX))
      .sort()
      .map((name) => join(this.dir, name));
  }

  private openSegment(): { fd: number; path: string } {
    if (this.segment) return this.segment;
    mkdirSync(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:.]/g, '');
    const path = join(this.dir, `${stamp}-${process.pid}-${Math.random().toString(16).slice(2, 8)}${SEGMENT_SUFFIX}`);
    const fd = openSync(path, 'wx');
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(this.model.dims, 8);
    writeSync(fd, header);
    this.segment = { fd, path };
    return this.segment;
  }

  private headerMatches(fd: number): boolean {
    const header = Buffer.alloc(HEADER_BYTES);
    return (
      readSync(fd, header, 0, HEADER_BYTES, 0) === HEADER_BYTES &&
      header.toString('latin1', 0, 8) === MAGIC &&
      header.readUInt32LE(8) === this.model.dims
    );
  }
}

/** Reads until the buffer is full or the file ends; returns the bytes read. */
function readFully(fd: number, buffer: Buffer, position: number): number {
  let total = 0;
  while (total < buffer.length) {
    const n = readSync(fd, buffer, total, buffer.length - total, position + total);
    if (n === 0) break;
    total += n;
  }
  return total;
}
