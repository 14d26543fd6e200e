/**
 * `build-index --merge DIR... --out DIR --format 3`: embeddings shards → a format-3 set, streaming. The merge
 * holds the vectors (one Float32Array, N × D) and the ids, never the papers' text: it notes where each
 * paper's line starts in its shard's papers file and reads it back when it is needed (the corpus hash in id
 * order, then the papers and the keyword index in row order). A million papers of 384-d vectors fit in a few GB.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CorpusHasher } from '../core/corpus';
import { PapersiftError } from '../core/errors';
import { DEFAULT_VECTOR_PARAMS, encodeVectors, vectorParamsFor, type VectorSetParams } from '../core/format3/build';
import { roundToFloat16 } from '../core/format3/float16';
import { FORMAT3_FILES, FORMAT3_VERSION, type Format3Manifest } from '../core/format3/manifest';
import { AuthorIndexWriter } from '../core/format3/authors';
import { PapersWriter } from '../core/format3/papers';
import { ChunkedLexicalWriter } from '../core/lexical/chunked';
import { fitRotation, sampleRows } from '../core/matryoshka/rotation';
import type { Paper } from '../core/types';
import { checkWritableDir, displayPath } from './build-pipeline';
import { openShardSet, readShardLines, readShardVectors, verifyShard, type ShardOnDisk } from './shard-files';
import type { MergeOptions, MergeReport } from './sharded-build';

/** Where each row's paper line is: its shard and the byte range in that shard's papers file. */
interface PaperLines {
  shard: Uint16Array;
  start: Float64Array;
  end: Float64Array;
}

export interface Format3MergeOptions extends MergeOptions {
  params?: VectorSetParams;
  /** Choices over the defaults a set of its size gets (vectorParamsFor): build-index's --head-dims and --prefix-bits. */
  vectorChoices?: Partial<Pick<VectorSetParams, 'headDims' | 'prefixEncoding'>>;
}

/** --head-dims and --prefix-bits: format 3 only, a head at least the prefix's dims and at most the model's. */
export function format3VectorChoices(headDims: string | undefined, prefixBits: string | undefined, format: string | undefined, modelDims: number): Format3MergeOptions['vectorChoices'] {
  if (headDims === undefined && prefixBits === undefined) return undefined;
  if (format !== '3') throw new PapersiftError('invalid-option', `${headDims !== undefined ? '--head-dims' : '--prefix-bits'} is a format-3 choice: add --format 3`);
  const choices: NonNullable<Format3MergeOptions['vectorChoices']> = {};
  if (headDims !== undefined) {
    const n = Number(headDims);
    const least = DEFAULT_VECTOR_PARAMS.prefixDims;
    if (!Number.isInteger(n) || n < least || n > modelDims) throw new PapersiftError('invalid-option', `--head-dims must be a whole number from ${least} (the prefix's dims) to ${modelDims} (the model's); got "${headDims}"`);
    choices.headDims = n;
  }
  if (prefixBits !== undefined) {
    if (prefixBits !== '4' && prefixBits !== '8') throw new PapersiftError('invalid-option', `--prefix-bits takes 4 or 8, not "${prefixBits}"`);
    choices.prefixEncoding = prefixBits === '4' ? 'u4-range' : 'u8-range';
  }
  return choices;
}

export async function mergeShardsFormat3(paths: readonly string[], options: Format3MergeOptions): Promise<MergeReport> {
  const { model, log } = options;
  const dims = model.dims;
  const shards = openShardSet(paths, model, options.dtype);
  checkWritableDir(options.out);
  const started = performance.now();
  const total = shards.reduce((sum, s) => sum + s.header.rows, 0);
  const ids: string[] = new Array(total);
  const lines: PaperLines = { shard: new Uint16Array(total), start: new Float64Array(total), end: new Float64Array(total) };
  const vectorsIn: Float32Array[] = [];
  let at = 0;
  for (const [s, shard] of shards.entries()) {
    await verifyShard(shard);
    if (!shard.header.papers) {
      throw new PapersiftError('artifacts-format', `${shard.file} has no papers file: a merge needs each row's paper (see docs/SHARDS.md)`, { file: shard.file });
    }
    let n = 0;
    for await (const id of readShardLines(shard, shard.header.ids)) ids[at + n++] = String(id);
    const found = indexLines(join(shard.dir, shard.header.papers.file), lines, at, s);
    if (n !== shard.header.rows || found !== shard.header.rows) {
      throw new PapersiftError('artifacts-format', `${shard.file}: ${shard.header.rows} rows in the header, ${n} ids, ${found} papers`, { file: shard.file });
    }
    vectorsIn.push(readShardVectors(shard));
    at += n;
    log(`Read ${shard.header.rows} rows from ${shard.file}`);
  }
  // Id order, as format 2's merge: the same set of bytes from 1 shard or 16.
  const byId = Int32Array.from({ length: total }, (_, i) => i).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : 0));
  for (let i = 1; i < total; i++) {
    if (ids[byId[i]] === ids[byId[i - 1]]) {
      const [a, b] = [shards[lines.shard[byId[i - 1]]].file, shards[lines.shard[byId[i]]].file];
      throw new PapersiftError('artifacts-format', `Paper ${ids[byId[i]]} is in ${a === b ? `${a} twice` : `both ${a} and ${b}`}`, { id: ids[byId[i]] });
    }
  }
  const firstRow = shards.map((_, s) => shards.slice(0, s).reduce((sum, x) => sum + x.header.rows, 0));
  const vectors = new Float32Array(total * dims);
  for (let i = 0; i < total; i++) {
    const source = byId[i];
    const s = lines.shard[source];
    const row = source - firstRow[s];
    vectors.set(vectorsIn[s].subarray(row * dims, (row + 1) * dims), i * dims);
  }
  vectorsIn.length = 0;

  const papers = new PaperReader(shards, lines, ids);
  const hasher = new CorpusHasher();
  for (let i = 0; i < total; i++) hasher.add(papers.read(byId[i]));
  const read = (performance.now() - started) / 1000;

  log(`Merging ${total} papers from ${shards.length} shard${shards.length > 1 ? 's' : ''}; building format 3`);
  const indexStarted = performance.now();
  // Stored as float16: the rows are rotated by the values the reader will rotate queries by.
  const rotation = roundToFloat16(fitRotation(sampleRows(vectors, dims), dims).matrix);
  rotateInPlace(vectors, rotation, dims);
  const params = options.params ?? { ...vectorParamsFor(total, model.dims), ...options.vectorChoices };
  let lastLog = 0;
  const encoded = encodeVectors(vectors, dims, rotation, params, (stage, done, count) => {
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      log(`  ${stage}: ${done} of ${count}`);
    }
  });

  const writer = new SetWriter(options.out);
  for (const [name, bytes] of encoded.files) writer.write(name, bytes);
  for (let i = 0; i < encoded.shardCount; i++) for (const [name, bytes] of encoded.shardFiles(i)) writer.write(name, bytes);
  // Papers and the keyword index in row order, through their own writers (format3/papers.ts,
  // lexical/chunked.ts): their many small files are listed in their sections' tables, not in "files".
  const sink = (name: string, bytes: Uint8Array) => writer.write(name, bytes, { listed: false });
  const papersWriter = new PapersWriter(sink);
  const lexicalWriter = new ChunkedLexicalWriter();
  const authorsWriter = new AuthorIndexWriter();
  for (let row = 0; row < total; row++) {
    const paper = papers.read(byId[encoded.order[row]]);
    await papersWriter.add(paper);
    lexicalWriter.add(paper);
    authorsWriter.add(paper);
  }
  const papersSection = await papersWriter.finish();
  const lexicalSection = await lexicalWriter.finish(sink);
  const authorsSection = await authorsWriter.finish(sink);
  papers.close();
  const weights = model.weights[options.dtype];
  const manifest: Format3Manifest = {
    formatVersion: FORMAT3_VERSION,
    model: { id: model.id, dims, pooling: model.pooling, dtype: options.dtype, sha256: weights?.sha256 ?? '' },
    corpusHash: hasher.digest(),
    count: total,
    ...(options.name !== undefined ? { collection: { name: options.name } } : {}),
    ...encoded.manifest,
    papers: papersSection,
    lexical: lexicalSection,
    authors: authorsSection,
    files: writer.files,
    createdBy: options.createdBy,
    createdAt: new Date().toISOString(),
  };
  writer.finish(manifest);
  const index = (performance.now() - indexStarted) / 1000;
  const bytes = writer.bytes;
  const eager = [manifest.rotation.file, manifest.scales.file, manifest.prefix.file, manifest.graph.file].reduce((sum, f) => sum + writer.files[f].bytes, 0);
  log(
    `Wrote ${writer.count + 1} format-3 files (${(bytes / 1e6).toFixed(2)} MB; ${(eager / 1e6).toFixed(2)} MB read before a search) to ${displayPath(options.out)}` +
      ` (graph ${encoded.seconds.graph.toFixed(1)} s, order ${encoded.seconds.order.toFixed(1)} s)`,
  );
  return { papers: total, shards: shards.length, bytes, seconds: { read, index } };
}

/** Records where each line of a JSON-lines file starts and ends (blank lines skipped); returns how many. */
function indexLines(path: string, lines: PaperLines, at: number, shard: number): number {
  const fd = openSync(path, 'r');
  const buffer = Buffer.alloc(1 << 22);
  let position = 0;
  let lineStart = 0;
  let n = 0;
  /** Notes the line [lineStart, end); false once there are more lines than rows (the caller reports it). */
  const record = (end: number): boolean => {
    if (end === lineStart) return true;
    if (at + n >= lines.shard.length) return false;
    lines.shard[at + n] = shard;
    lines.start[at + n] = lineStart;
    lines.end[at + n] = end;
    n++;
    return true;
  };
  try {
    for (;;) {
      const got = readSync(fd, buffer, 0, buffer.length, position);
      if (got === 0) break;
      for (let i = 0; i < got; i++) {
        if (buffer[i] !== 0x0a) continue;
        if (!record(position + i)) return n + 1;
        lineStart = position + i + 1;
      }
      position += got;
    }
    if (!record(position)) return n + 1;
  } finally {
    closeSync(fd);
  }
  return n;
}

/** Reads one paper line back by position, checks it is the row's paper, and fills defaults as format 2's merge does. */
class PaperReader {
  private readonly fds: number[];
  private buffer = Buffer.alloc(1 << 16);

  constructor(
    private readonly shards: ShardOnDisk[],
    private readonly lines: PaperLines,
    private readonly ids: string[],
  ) {
    this.fds = shards.map((s) => openSync(join(s.dir, (s.header.papers as { file: string }).file), 'r'));
  }

  read(index: number): Paper {
    const s = this.lines.shard[index];
    const length = this.lines.end[index] - this.lines.start[index];
    if (length > this.buffer.length) this.buffer = Buffer.alloc(length * 2);
    readSync(this.fds[s], this.buffer, 0, length, this.lines.start[index]);
    const file = this.shards[s].file;
    let paper: Paper;
    try {
      paper = JSON.parse(this.buffer.toString('utf8', 0, length)) as Paper;
    } catch (e) {
      throw new PapersiftError('artifacts-format', `${file}: the paper of ${this.ids[index]} is not valid JSON`, { file }, { cause: e });
    }
    if (typeof paper?.title !== 'string' || typeof paper.abstract !== 'string' || paper.id !== this.ids[index]) {
      throw new PapersiftError('artifacts-format', `${file}: a paper is not a paper record with the row's id (${this.ids[index]})`, { file });
    }
    return { ...paper, authors: paper.authors ?? null, date: paper.date ?? null, sources: paper.sources ?? [] };
  }

  close(): void {
    for (const fd of this.fds) closeSync(fd);
  }
}

/** rows ← R · rows, one row at a time through a scratch row (no second N × D copy). */
function rotateInPlace(rows: Float32Array, matrix: Float32Array, dims: number): void {
  const scratch = new Float64Array(dims);
  for (let base = 0; base < rows.length; base += dims) {
    for (let r = 0; r < dims; r++) {
      let s = 0;
      const m = r * dims;
      for (let c = 0; c < dims; c++) s += matrix[m + c] * rows[base + c];
      scratch[r] = s;
    }
    for (let d = 0; d < dims; d++) rows[base + d] = scratch[d];
  }
}

/**
 * Writes a set file by file (each beside its name, then renamed), the manifest last, so no moment on disk looks
 * like a complete set that is not; removes files an earlier manifest listed that this set lacks.
 */
class SetWriter {
  readonly files: Record<string, { bytes: number; sha256: string }> = {};
  private readonly previous: string[];

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    const manifestPath = join(dir, FORMAT3_FILES.manifest);
    this.previous = [];
    if (existsSync(manifestPath)) {
      try {
        this.previous = Object.keys((JSON.parse(readFileSync(manifestPath, 'utf8')) as { files?: Record<string, unknown> }).files ?? {});
      } catch {
        // An unreadable old manifest lists nothing to clean up.
      }
    }
    rmSync(manifestPath, { force: true });
  }

  /** Files written and their bytes, listed or not. */
  count = 0;
  bytes = 0;

  /** `listed: false` for files a section's own table lists (they stay out of the manifest's "files"). */
  write(name: string, bytes: Uint8Array, options: { listed: boolean } = { listed: true }): void {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    const temporary = join(dirname(path), `.${name.split('/').pop()}.partial`);
    writeFileSync(temporary, bytes);
    renameSync(temporary, path);
    this.count++;
    this.bytes += bytes.byteLength;
    if (options.listed) this.files[name] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
  }

  finish(manifest: Format3Manifest): void {
    for (const name of this.previous) {
      if (!(name in this.files) && !name.includes('/') && !name.includes('\\')) rmSync(join(this.dir, name), { force: true });
    }
    const temporary = join(this.dir, `.${FORMAT3_FILES.manifest}.partial`);
    // Compact: every visit reads it before anything else, and at 1M its file list is 1.49 MB so, 1.90 indented.
    writeFileSync(temporary, `${JSON.stringify(manifest)}\n`);
    renameSync(temporary, join(this.dir, FORMAT3_FILES.manifest));
  }
}
