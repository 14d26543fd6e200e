/**
 * Format 3's author index: which rows list an author with a given name part, in hashed buckets fetched per
 * query word (as the keyword index's buckets: lexical/chunked.ts). Format 2 builds this map from the
 * eager papers (SearchEngine.authorIndex); a format-3 set has no eager papers, so the merge writes it.
 *
 * A bucket is JSON: { part: [row deltas] } for every name part (nameParts in search.ts: lowercase,
 * accent-folded, two letters or more) whose FNV-1a hash falls in it. Nothing is eager but the bucket table.
 */
import { nameParts } from '../search';
import type { Paper } from '../types';
import { AsyncLru, hash32, ShardedFilesReader, ShardedFilesWriter, type FileEntry, type FileSink, type FileSource, type ShardedFiles } from './sharded-files';

export const AUTHOR_INDEX_FORMAT = 1;

/** The authors part of a format-3 manifest. */
export interface AuthorSection {
  formatVersion: typeof AUTHOR_INDEX_FORMAT;
  /** Papers that list at least one author: with none, a name is not searched as a name. */
  papersWithAuthors: number;
  buckets: ShardedFiles;
}

/** Postings a bucket aims at (~4 bytes each as JSON deltas: ~16 KB a bucket). */
const POSTINGS_PER_BUCKET = 4096;

/** Collects name parts from papers given in row order. */
export class AuthorIndexWriter {
  private readonly rows = new Map<string, number[]>();
  private count = 0;
  private withAuthors = 0;
  private postings = 0;

  add(paper: Pick<Paper, 'authors'>): void {
    const row = this.count++;
    const authors = paper.authors ?? [];
    if (authors.length > 0) this.withAuthors++;
    for (const part of new Set(authors.flatMap(nameParts))) {
      let list = this.rows.get(part);
      if (!list) this.rows.set(part, (list = []));
      list.push(row);
      this.postings++;
    }
  }

  async finish(sink: FileSink, prefix = 'authors/'): Promise<AuthorSection> {
    const count = Math.max(1, Math.ceil(this.postings / POSTINGS_PER_BUCKET));
    const buckets: Record<string, number[]>[] = Array.from({ length: count }, () => ({}));
    for (const [part, rows] of this.rows) buckets[hash32(part) % count][part] = rows.map((row, i) => (i === 0 ? row : row - rows[i - 1]));
    const writer = new ShardedFilesWriter(sink, `${prefix}b-`, '.json');
    const encoder = new TextEncoder();
    for (const bucket of buckets) await writer.add(encoder.encode(JSON.stringify(bucket)));
    return { formatVersion: AUTHOR_INDEX_FORMAT, papersWithAuthors: this.withAuthors, buckets: await writer.finish() };
  }
}

/** Reads an AuthorSection through a FileSource (the chunk store in the browser); keeps decoded buckets. */
export class AuthorIndex {
  private readonly cache = new AsyncLru<number, Map<string, number[]>>(64);

  private constructor(
    readonly section: AuthorSection,
    private readonly buckets: ShardedFilesReader,
  ) {}

  static async open(section: AuthorSection, source: FileSource): Promise<AuthorIndex> {
    return new AuthorIndex(section, await ShardedFilesReader.open(section.buckets, source));
  }

  get hasAuthors(): boolean {
    return this.section.papersWithAuthors > 0;
  }

  /** Rows that list an author with every one of these name parts (ascending); the caller checks it is one author. */
  async rowsWithAll(parts: readonly string[]): Promise<number[]> {
    const lists = await Promise.all(parts.map((part) => this.rowsOf(part)));
    if (lists.length === 0) return [];
    const [first, ...rest] = lists.sort((a, b) => a.length - b.length);
    const others = rest.map((list) => new Set(list));
    return first.filter((row) => others.every((set) => set.has(row)));
  }

  /** Every file of the index, the table first: what "available offline" fetches. */
  files(): Iterable<[string, FileEntry]> {
    return this.buckets.files();
  }

  private async rowsOf(part: string): Promise<number[]> {
    const index = hash32(part) % this.buckets.count;
    const bucket = await this.cache.get(index, async () => {
      const parsed = JSON.parse(new TextDecoder().decode(await this.buckets.read(index))) as Record<string, number[]>;
      return new Map(Object.entries(parsed).map(([name, deltas]) => [name, undelta(deltas)]));
    });
    return bucket.get(part) ?? [];
  }
}

function undelta(deltas: readonly number[]): number[] {
  const rows = new Array<number>(deltas.length);
  let row = 0;
  deltas.forEach((delta, i) => (rows[i] = row += delta));
  return rows;
}
