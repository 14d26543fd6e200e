/**
 * Embeddings shards on disk (format: src/core/shards/format.ts): a streaming writer that hashes as it
 * writes, so a million rows never sit in memory, and a reader that checks every file against its header
 * before any row is used.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { PapersiftError } from '../core/errors';
import type { Dtype, ModelSpec } from '../core/models';
import { SHARD_FILES, SHARD_FORMAT, SHARD_VERSION, checkShardModel, checkShardSet, parseShardHeader, type ShardFileRef, type ShardHeader } from '../core/shards/format';
import type { Paper } from '../core/types';

/** Rows are buffered this many at a time before a write: big enough for few syscalls, small next to the rows. */
const ROWS_PER_WRITE = 1024;

class HashedFile {
  private readonly stream: WriteStream;
  private readonly hash = createHash('sha256');
  private bytes = 0;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path);
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<ShardFileRef> {
    this.stream.end();
    await once(this.stream, 'finish');
    return { file: basename(this.path), bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

export type ShardHeaderFields = Omit<ShardHeader, 'format' | 'version' | 'rows' | 'ids' | 'vectors' | 'papers' | 'createdAt'>;

/**
 * Writes one shard row by row. The header is written last, under its final name only once every file is
 * complete, so a shard interrupted half-way has no header and can never be merged by mistake.
 */
export class ShardWriter {
  private readonly ids: HashedFile;
  private readonly vectors: HashedFile;
  private readonly papers?: HashedFile;
  private readonly encoder = new TextEncoder();
  private readonly dims: number;
  private buffer: Float32Array;
  private buffered = 0;
  private idLines: string[] = [];
  private paperLines: string[] = [];
  private rows = 0;

  constructor(
    readonly dir: string,
    readonly stem: string,
    private readonly fields: ShardHeaderFields,
    options: { withPapers: boolean },
  ) {
    this.dims = fields.model.dims;
    this.buffer = new Float32Array(ROWS_PER_WRITE * this.dims);
    this.ids = new HashedFile(join(dir, SHARD_FILES.ids(stem)));
    this.vectors = new HashedFile(join(dir, SHARD_FILES.vectors(stem)));
    if (options.withPapers) this.papers = new HashedFile(join(dir, SHARD_FILES.papers(stem)));
  }

  /** `vector`: one unit-length row of `dims`; `paper`: the record to keep beside it (when writing papers). */
  async add(id: string, vector: Float32Array, paper?: unknown): Promise<void> {
    if (vector.length !== this.dims) throw new PapersiftError('invalid-option', `A row for ${id} has ${vector.length} dims, not ${this.dims}`);
    this.buffer.set(vector, this.buffered * this.dims);
    this.buffered++;
    this.idLines.push(JSON.stringify(id));
    if (this.papers) this.paperLines.push(JSON.stringify(paper ?? null));
    this.rows++;
    if (this.buffered === ROWS_PER_WRITE) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.buffered === 0) return;
    // Little-endian is every platform Node runs on; the format says little-endian, so check rather than assume.
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('Shards are little-endian; this platform is not');
    await this.vectors.write(new Uint8Array(this.buffer.buffer, 0, this.buffered * this.dims * 4).slice());
    await this.ids.write(this.encoder.encode(`${this.idLines.join('\n')}\n`));
    if (this.papers) await this.papers.write(this.encoder.encode(`${this.paperLines.join('\n')}\n`));
    this.buffered = 0;
    this.idLines = [];
    this.paperLines = [];
  }

  async close(): Promise<ShardHeader> {
    await this.flush();
    const header: ShardHeader = {
      format: SHARD_FORMAT,
      version: SHARD_VERSION,
      ...this.fields,
      rows: this.rows,
      ids: await this.ids.close(),
      vectors: await this.vectors.close(),
      ...(this.papers ? { papers: await this.papers.close() } : {}),
      createdAt: new Date().toISOString(),
    };
    const path = join(this.dir, SHARD_FILES.header(this.stem));
    writeFileSync(`${path}.partial`, `${JSON.stringify(header, null, 2)}\n`);
    renameSync(`${path}.partial`, path);
    return header;
  }
}

/** A shard's header and where its files are. */
export interface ShardOnDisk {
  header: ShardHeader;
  /** The header's path, as the user named it or as found in a folder. */
  file: string;
  dir: string;
}

export function readShardHeader(path: string): ShardOnDisk {
  if (!existsSync(path)) throw new PapersiftError('artifacts-missing', `No shard header at ${path}`, { file: path });
  const header = parseShardHeader(readFileSync(path, 'utf8'), path);
  return { header, file: path, dir: dirname(path) };
}

/** Streams every file of a shard through sha256 and compares sizes and digests with its header. */
export async function verifyShard(shard: ShardOnDisk): Promise<void> {
  const refs = [shard.header.ids, shard.header.vectors, ...(shard.header.papers ? [shard.header.papers] : [])];
  for (const ref of refs) {
    const path = join(shard.dir, ref.file);
    if (!existsSync(path)) throw new PapersiftError('artifacts-missing', `${shard.file} names ${ref.file}, which is missing`, { file: path });
    const bytes = statSync(path).size;
    if (bytes !== ref.bytes) {
      throw new PapersiftError('artifacts-format', `${path} has ${bytes} bytes; its header says ${ref.bytes} (truncated or replaced?)`, { file: path });
    }
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    if (hash.digest('hex') !== ref.sha256) {
      throw new PapersiftError('artifacts-format', `${path} is corrupted: its sha256 differs from the header's`, { file: path });
    }
  }
}

/** A shard's JSON-lines file (ids or papers), one parsed value per row, in row order. */
export async function* readShardLines(shard: ShardOnDisk, ref: ShardFileRef): AsyncGenerator<unknown> {
  const path = join(shard.dir, ref.file);
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text === '') continue;
    try {
      yield JSON.parse(text);
    } catch (e) {
      throw new PapersiftError('artifacts-format', `${path}:${line}: not valid JSON`, { file: path, line }, { cause: e });
    }
  }
}

/** A shard's rows as one Float32Array (rows × dims). */
export function readShardVectors(shard: ShardOnDisk): Float32Array {
  const bytes = readFileSync(join(shard.dir, shard.header.vectors.file));
  // Copy into an aligned buffer: a Buffer from the pool may start at an offset that is not a multiple of 4.
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/**
 * Every shard header named by `paths`: a header file itself, or a folder whose `shard-*-of-*.json` files
 * are taken.
 */
export function findShardHeaders(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) throw new PapersiftError('artifacts-missing', `No shard or folder at ${path}`, { file: path });
    if (statSync(path).isDirectory()) {
      const found = readdirSync(path)
        .filter((name) => /^shard-\d+-of-\d+\.json$/.test(name))
        .sort()
        .map((name) => join(path, name));
      if (found.length === 0) throw new PapersiftError('artifacts-missing', `${path} holds no shard headers (shard-*-of-*.json)`, { file: path });
      out.push(...found);
    } else {
      out.push(path);
    }
  }
  return out;
}

export interface MergedRows {
  /** Papers in merged row order: by id (code-unit order), the same whatever the shard count was. */
  papers: Paper[];
  /** papers.length × dims, unit rows, the model's space (not rotated). */
  vectors: Float32Array;
  shards: ShardOnDisk[];
}

/**
 * The headers of a set of shards, checked (cheaply, before any row is read): made with `model`/`dtype` and
 * its text form, every index of one count exactly once. In index order.
 */
export function openShardSet(paths: readonly string[], model: ModelSpec, dtype: Dtype): ShardOnDisk[] {
  const headers = findShardHeaders(paths).map(readShardHeader);
  for (const shard of headers) checkShardModel(shard.header, shard.file, model, dtype);
  return checkShardSet(headers);
}

/**
 * Reads an opened shard set into one row set ordered by paper id, verifying every file's sha256 first.
 * Refuses a paper id in two shards and a shard without papers, naming the file.
 */
export async function readShardSet(shards: readonly ShardOnDisk[], model: ModelSpec, log: (line: string) => void = () => {}): Promise<MergedRows> {
  const dims = model.dims;
  const rows: { id: string; paper: Paper; shard: number; row: number }[] = [];
  const vectorsByShard: Float32Array[] = [];
  for (const [s, shard] of shards.entries()) {
    await verifyShard(shard);
    if (!shard.header.papers) {
      throw new PapersiftError('artifacts-format', `${shard.file} has no papers file: a merge needs each row's paper (see docs/SHARDS.md)`, { file: shard.file });
    }
    const ids: string[] = [];
    for await (const id of readShardLines(shard, shard.header.ids)) ids.push(String(id));
    let row = 0;
    for await (const value of readShardLines(shard, shard.header.papers)) {
      const paper = value as Paper;
      if (typeof paper?.title !== 'string' || typeof paper.abstract !== 'string' || paper.id !== ids[row]) {
        throw new PapersiftError('artifacts-format', `${shard.file}: paper ${row + 1} is not a paper record with the row's id (${ids[row]})`, { file: shard.file, row });
      }
      rows.push({ id: paper.id, paper: { ...paper, authors: paper.authors ?? null, date: paper.date ?? null, sources: paper.sources ?? [] }, shard: s, row });
      row++;
    }
    if (ids.length !== shard.header.rows || row !== shard.header.rows) {
      throw new PapersiftError('artifacts-format', `${shard.file}: ${shard.header.rows} rows in the header, ${ids.length} ids, ${row} papers`, { file: shard.file });
    }
    vectorsByShard.push(readShardVectors(shard));
    log(`Read ${shard.header.rows} rows from ${shard.file}`);
  }
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < rows.length; i++) {
    if (rows[i].id === rows[i - 1].id) {
      const [a, b] = [shards[rows[i - 1].shard].file, shards[rows[i].shard].file];
      throw new PapersiftError('artifacts-format', `Paper ${rows[i].id} is in ${a === b ? `${a} twice` : `both ${a} and ${b}`}`, { id: rows[i].id });
    }
  }
  const vectors = new Float32Array(rows.length * dims);
  rows.forEach((r, i) => vectors.set(vectorsByShard[r.shard].subarray(r.row * dims, (r.row + 1) * dims), i * dims));
  return { papers: rows.map((r) => r.paper), vectors, shards: [...shards] };
}
