/**
 * Numbered sets of small files (paper shards, postings buckets) and how a format-3 reader gets them.
 *
 * At a million papers a set has tens of thousands of files; listing each with a hex digest in the JSON
 * manifest would make the manifest itself megabytes that every visit parses first. So a set is named
 * by a prefix and a count, and its sizes and digests live in one binary table file (36 bytes a file:
 * u32 size + 32 raw sha256 bytes) that the manifest lists with its own size and digest. A reader fetches
 * the table when it opens the set and checks every file it reads against it.
 */
import { PapersiftError } from '../errors';
import { fnv1a } from '../corpus/ids';
import { sha256Hex } from '../hash';

/** What a manifest knows of one file: every read is checked against it. */
export interface FileEntry {
  bytes: number;
  /** Lowercase hex. */
  sha256: string;
}

/** One named file with its entry. */
export interface FileRef extends FileEntry {
  name: string;
}

/** A numbered set of files `${prefix}${i}${ext}`, i = 0..count-1, sizes and digests in `table`. */
export interface ShardedFiles {
  prefix: string;
  ext: string;
  count: number;
  table: FileRef;
}

/** Where a writer puts each file as it is made (a folder, a Map, an upload); awaited before the next. */
export type FileSink = (name: string, bytes: Uint8Array) => Promise<void> | void;

/**
 * Gives a file's bytes, checked against its entry (the chunk store in the browser, `verifiedSource` over a
 * folder or a Map elsewhere). A file that is missing or does not match is an error, never returned.
 */
export type FileSource = (name: string, entry: FileEntry) => Promise<Uint8Array>;

const TABLE_ROW_BYTES = 36;

/** Throws, naming the file, unless `bytes` are what `entry` lists. */
export async function checkFile(name: string, bytes: Uint8Array, entry: FileEntry): Promise<void> {
  if (bytes.byteLength !== entry.bytes) {
    throw new PapersiftError('artifacts-format', `Artifact file ${name} is corrupted: ${bytes.byteLength} bytes, the manifest says ${entry.bytes}`, {
      file: name,
    });
  }
  if ((await sha256Hex(bytes)) !== entry.sha256) {
    throw new PapersiftError('artifacts-format', `Artifact file ${name} is corrupted: its sha256 differs from the manifest`, { file: name });
  }
}

/** A FileSource over any plain reader (a folder, a Map): each file is checked before it is returned. */
export function verifiedSource(read: (name: string) => Promise<Uint8Array | undefined>): FileSource {
  return async (name, entry) => {
    const bytes = await read(name);
    if (!bytes) throw new PapersiftError('artifacts-missing', `Artifact file ${name} is missing`, { file: name });
    await checkFile(name, bytes, entry);
    return bytes;
  };
}

export async function fileRef(name: string, bytes: Uint8Array): Promise<FileRef> {
  return { name, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
}

export function shardName(set: Pick<ShardedFiles, 'prefix' | 'ext'>, index: number): string {
  return `${set.prefix}${index}${set.ext}`;
}

/** Writes the files of one set in order, then their table. */
export class ShardedFilesWriter {
  private readonly entries: FileEntry[] = [];

  constructor(
    private readonly sink: FileSink,
    private readonly prefix: string,
    private readonly ext: string,
  ) {}

  get count(): number {
    return this.entries.length;
  }

  /** Writes the next file; returns its index. */
  async add(bytes: Uint8Array): Promise<number> {
    const index = this.entries.length;
    await this.sink(shardName({ prefix: this.prefix, ext: this.ext }, index), bytes);
    this.entries.push({ bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
    return index;
  }

  async finish(): Promise<ShardedFiles> {
    const table = encodeTable(this.entries);
    const name = `${this.prefix}table.bin`;
    await this.sink(name, table);
    return { prefix: this.prefix, ext: this.ext, count: this.entries.length, table: await fileRef(name, table) };
  }
}

export function encodeTable(entries: readonly FileEntry[]): Uint8Array {
  const out = new Uint8Array(entries.length * TABLE_ROW_BYTES);
  const view = new DataView(out.buffer);
  entries.forEach((entry, i) => {
    view.setUint32(i * TABLE_ROW_BYTES, entry.bytes, true);
    for (let b = 0; b < 32; b++) out[i * TABLE_ROW_BYTES + 4 + b] = parseInt(entry.sha256.slice(b * 2, b * 2 + 2), 16);
  });
  return out;
}

export function decodeTable(bytes: Uint8Array, count: number, name: string): FileEntry[] {
  const table = new FileTable(bytes, count, name);
  return Array.from({ length: count }, (_, i) => table.entry(i)!);
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * A decoded table file, its entries made when asked for: at a million papers a set's tables list ~70k files, and
 * turning every digest into hex at open took longer than reading the tables (a repeat visit opens them all).
 */
export class FileTable {
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    readonly count: number,
    name: string,
  ) {
    if (bytes.byteLength !== count * TABLE_ROW_BYTES) {
      throw new PapersiftError('artifacts-format', `${name} lists ${bytes.byteLength / TABLE_ROW_BYTES} files; the manifest says ${count}`, { file: name });
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /**
   * File `index`'s entry; undefined past the end. Its digest is turned into hex when first read: listing every
   * file of a set (what "available offline" fetches, the set's size) reads none of them.
   */
  entry(index: number): FileEntry | undefined {
    if (!(index >= 0 && index < this.count && Number.isInteger(index))) return undefined;
    const { bytes: table } = this;
    const start = index * TABLE_ROW_BYTES;
    let hex: string | undefined;
    return {
      bytes: this.view.getUint32(start, true),
      get sha256() {
        if (hex === undefined) {
          hex = '';
          for (let b = start + 4; b < start + TABLE_ROW_BYTES; b++) hex += HEX[table[b]];
        }
        return hex;
      },
    };
  }

  /** File `index`'s size in bytes (0 past the end). */
  bytesOf(index: number): number {
    return index >= 0 && index < this.count && Number.isInteger(index) ? this.view.getUint32(index * TABLE_ROW_BYTES, true) : 0;
  }
}

/** The files of an opened set, read through a FileSource. */
export class ShardedFilesReader {
  private constructor(
    readonly set: ShardedFiles,
    private readonly entries: FileTable,
    private readonly source: FileSource,
  ) {}

  static async open(set: ShardedFiles, source: FileSource): Promise<ShardedFilesReader> {
    const table = await source(set.table.name, set.table);
    return new ShardedFilesReader(set, new FileTable(table, set.count, set.table.name), source);
  }

  get count(): number {
    return this.set.count;
  }

  /** File `index`'s size in bytes (what a decoded copy of it is weighed by in a cache). */
  bytesOf(index: number): number {
    return this.entries.bytesOf(index);
  }

  read(index: number): Promise<Uint8Array> {
    const entry = this.entries.entry(index);
    if (!entry) throw new PapersiftError('artifacts-format', `${this.set.prefix} has no file ${index} (it has ${this.set.count})`);
    return this.source(shardName(this.set, index), entry);
  }

  /** Every file of the set with its entry, the table first: what "available offline" fetches. */
  *files(): Iterable<[string, FileEntry]> {
    yield [this.set.table.name, this.set.table];
    for (let i = 0; i < this.entries.count; i++) yield [shardName(this.set, i), this.entries.entry(i)!];
  }
}

/**
 * A least-recently-used map bounded by the total weight of its values: a count by default, or bytes when
 * `weigh` gives a value's size (shards differ in size, and what a tab may hold is bytes). A value heavier
 * than the whole budget is not kept.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private total = 0;
  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V, key: K) => number = () => 1,
  ) {}

  /** Whether the key is kept, without making it the most recently used. */
  has(key: K): boolean {
    return this.map.has(key);
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry !== undefined) {
      this.map.delete(key);
      this.map.set(key, entry);
    }
    return entry?.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value, key);
    if (weight > this.capacity) return;
    this.map.set(key, { value, weight });
    this.total += weight;
    while (this.total > this.capacity) this.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    const entry = this.map.get(key);
    if (entry === undefined) return;
    this.map.delete(key);
    this.total -= entry.weight;
  }

  get size(): number {
    return this.map.size;
  }

  /** The kept values' total weight (bytes, for a byte-weighed cache). */
  get weight(): number {
    return this.total;
  }
}

/**
 * Memoises async loads by key in an Lru, sharing a load already in flight, and forgetting a failed one
 * (a bad download is fetched again next time, not cached as a failure).
 */
export class AsyncLru<K, V> {
  private readonly done: Lru<K, V>;
  private readonly inFlight = new Map<K, Promise<V>>();
  constructor(capacity: number, weigh?: (value: V, key: K) => number) {
    this.done = new Lru(capacity, weigh);
  }

  get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const hit = this.done.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = load(key).then(
        (value) => {
          this.inFlight.delete(key);
          this.done.set(key, value);
          return value;
        },
        (error: unknown) => {
          this.inFlight.delete(key);
          throw error;
        },
      );
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Whether the key's value is kept (not merely on its way), without making it the most recently used. */
  has(key: K): boolean {
    return this.done.has(key);
  }

  /** Bytes (or entries) kept. */
  get weight(): number {
    return this.done.weight;
  }
}

type GrowableArray = Uint32Array | Uint16Array;

/** A growable typed array (Uint32Array or Uint16Array) for writers that must not hold an object per item. */
export class Growable<A extends GrowableArray> {
  data: A;
  length = 0;
  constructor(
    private readonly make: (length: number) => A,
    initial = 1024,
  ) {
    this.data = make(initial);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const next = this.make(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = value;
  }
  view(): A {
    return this.data.subarray(0, this.length) as A;
  }
}

export const growableUint32 = (initial?: number) => new Growable((n) => new Uint32Array(n), initial);
export const growableUint16 = (initial?: number) => new Growable((n) => new Uint16Array(n), initial);

/** Unsigned LEB128 varints into a growable byte buffer: postings and catalogs are mostly small numbers. */
export class ByteWriter {
  private buffer = new Uint8Array(4096);
  length = 0;

  private ensure(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
  }

  varint(value: number): void {
    this.ensure(5);
    while (value >= 0x80) {
      this.buffer[this.length++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buffer[this.length++] = value;
  }

  bytes(bytes: Uint8Array): void {
    this.ensure(bytes.byteLength);
    this.buffer.set(bytes, this.length);
    this.length += bytes.byteLength;
  }

  /** A copy of what was written; the writer can be reused after `reset`. */
  take(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }
}

export class ByteReader {
  offset = 0;
  constructor(
    readonly bytes: Uint8Array,
    private readonly name: string,
  ) {}

  varint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      if (this.offset >= this.bytes.length) throw new PapersiftError('artifacts-format', `${this.name} ends in the middle of a number`, { file: this.name });
      const byte = this.bytes[this.offset++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
      shift += 7;
    }
  }

  take(length: number): Uint8Array {
    if (this.offset + length > this.bytes.length) throw new PapersiftError('artifacts-format', `${this.name} is shorter than its contents say`, { file: this.name });
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }
}

/** 32-bit FNV-1a of a string, as a number: which bucket a term or an id falls in. */
export function hash32(text: string): number {
  return parseInt(fnv1a(text), 16);
}
