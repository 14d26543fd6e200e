/**
 * Format 3's paper text and metadata: what a result card shows, fetched only for the papers on screen.
 *
 * - Text shards: the papers of rows [i·R, (i+1)·R) as one JSON array each. R (rowsPerShard) trades
 *   bytes per screen (a screen of results lands on ~one shard per hit: results are scattered over the
 *   rows) against files per collection; docs/BENCHMARKS.md measures it.
 * - Catalog (eager): per row the year (u16, 0 unknown) and category ids (u8 count + u16 ids into
 *   `categories`), so year/category filters and facets work over the whole collection without text.
 * - Ids: id → row in hashed buckets (JSON {id: row}), fetched only to resolve an id (a link, a
 *   collection); at 1M papers the ids alone are ~70 MB, too much to hold eagerly. A row's id is in its
 *   text shard.
 * - Titles: JSON arrays of titles in larger shards, for the map and "similar by title". Not eager: at
 *   100k papers they are ~8 MB, most of the 12 MB first-result budget; a caller loads them after the
 *   first results (allTitles), and holds them (holdTitles) when they fit TITLES_HELD_BYTES, so that a
 *   search can show its ranked titles before its hits' text shards arrive.
 */
import { PapersiftError } from '../errors';
import { archiveOf, checkFilter, paperFacets, paperYear, type Facets, type PaperFilter } from '../filter';
import type { Paper } from '../types';
import {
  AsyncLru,
  fileRef,
  growableUint16,
  hash32,
  ShardedFilesReader,
  ShardedFilesWriter,
  type FileEntry,
  type FileRef,
  type FileSink,
  type FileSource,
  type ShardedFiles,
} from './sharded-files';

export const PAPERS_FORMAT = 1;

/**
 * Title files a reader holds whole (holdTitles) at most: 10k papers' titles are 0.8 MB, 100k papers' 8.4 MB
 * (~1 KB of text shard a paper against ~85 bytes of title); 1M papers' 84 MB are not held.
 */
export const TITLES_HELD_BYTES = 16 * 1024 * 1024;

/** What a result shows of a paper before its text shard is read: from the held titles and the catalog. */
export interface RowPreview {
  title: string;
  /** Absent when unknown. */
  year?: number;
  categories: string[];
}

/** The papers part of a format-3 manifest. */
export interface PapersSection {
  formatVersion: typeof PAPERS_FORMAT;
  count: number;
  rowsPerShard: number;
  /** JSON arrays of Paper, rowsPerShard rows each (the last may be shorter). */
  shards: ShardedFiles;
  /** Eager: u16 year × count, u16 category id × links, u8 category count × count. */
  catalog: FileRef & { links: number };
  /** Category names; the catalog's ids index this. */
  categories: string[];
  /** JSON {id: row} buckets, bucket = hash32(id) % count. */
  ids: ShardedFiles;
  titles: { rowsPerShard: number; shards: ShardedFiles };
}

export interface PapersWriterOptions {
  /** Papers per text shard (default 16: see docs/BENCHMARKS.md, format 3). */
  rowsPerShard?: number;
  /** Titles per title shard (default 4096). */
  titleRowsPerShard?: number;
  /** Bytes an id bucket aims at (default 16 KiB). */
  idBucketBytes?: number;
  /** Folder-like prefix of every file name (default "papers/"). */
  prefix?: string;
}

/** Text shards kept decoded, by their files' bytes (~16 rows, ~21 KB a shard: ~750 shards, 12k papers). */
export const PAPERS_CACHE_BYTES = 16 * 1024 * 1024;

const MAX_CATEGORIES = 0xffff;
const MAX_CATEGORIES_PER_PAPER = 0xff;

/** Writes the section from papers given one at a time in row order; text goes out shard by shard. */
export class PapersWriter {
  private readonly rowsPerShard: number;
  private readonly titleRowsPerShard: number;
  private readonly prefix: string;
  private readonly shards: ShardedFilesWriter;
  private readonly titleShards: ShardedFilesWriter;
  private shard: Paper[] = [];
  private titles: string[] = [];
  private readonly years = growableUint16(1 << 12);
  private readonly categoryCounts: number[] = [];
  private readonly categoryLinks = growableUint16(1 << 12);
  private readonly categoryIds = new Map<string, number>();
  /** Ids in row order: the id buckets need them all to be sized (~100 MB of strings at 1M papers). */
  private readonly ids: string[] = [];
  private idBytes = 0;

  constructor(
    private readonly sink: FileSink,
    private readonly options: PapersWriterOptions = {},
  ) {
    this.rowsPerShard = options.rowsPerShard ?? 16;
    this.titleRowsPerShard = options.titleRowsPerShard ?? 4096;
    this.prefix = options.prefix ?? 'papers/';
    this.shards = new ShardedFilesWriter(sink, `${this.prefix}p-`, '.json');
    this.titleShards = new ShardedFilesWriter(sink, `${this.prefix}titles-`, '.json');
  }

  async add(paper: Paper): Promise<void> {
    this.years.push(paperYear(paper) ?? 0);
    const own = [...new Set(paper.categories ?? [])].slice(0, MAX_CATEGORIES_PER_PAPER);
    this.categoryCounts.push(own.length);
    for (const category of own) {
      let id = this.categoryIds.get(category);
      if (id === undefined) {
        id = this.categoryIds.size;
        if (id >= MAX_CATEGORIES) throw new PapersiftError('invalid-option', `More than ${MAX_CATEGORIES} distinct categories: format 3 cannot index them`);
        this.categoryIds.set(category, id);
      }
      this.categoryLinks.push(id);
    }
    this.ids.push(paper.id);
    this.idBytes += paper.id.length + 12;
    this.shard.push(paper);
    this.titles.push(paper.title);
    if (this.shard.length === this.rowsPerShard) await this.flushShard();
    if (this.titles.length === this.titleRowsPerShard) await this.flushTitles();
  }

  private async flushShard(): Promise<void> {
    if (this.shard.length === 0) return;
    await this.shards.add(new TextEncoder().encode(JSON.stringify(this.shard)));
    this.shard = [];
  }

  private async flushTitles(): Promise<void> {
    if (this.titles.length === 0) return;
    await this.titleShards.add(new TextEncoder().encode(JSON.stringify(this.titles)));
    this.titles = [];
  }

  async finish(): Promise<PapersSection> {
    await this.flushShard();
    await this.flushTitles();
    const count = this.ids.length;

    const bucketCount = Math.max(1, Math.ceil(this.idBytes / (this.options.idBucketBytes ?? 16 * 1024)));
    // No prototype: an id such as "__proto__" is a key like any other.
    const buckets: Record<string, number>[] = Array.from({ length: bucketCount }, () => Object.create(null) as Record<string, number>);
    this.ids.forEach((id, row) => {
      buckets[hash32(id) % bucketCount][id] = row;
    });
    const ids = new ShardedFilesWriter(this.sink, `${this.prefix}ids-`, '.json');
    for (const bucket of buckets) await ids.add(new TextEncoder().encode(JSON.stringify(bucket)));

    const links = this.categoryLinks.length;
    const catalog = new Uint8Array(count * 2 + links * 2 + count);
    new Uint16Array(catalog.buffer, 0, count).set(this.years.view());
    new Uint16Array(catalog.buffer, count * 2, links).set(this.categoryLinks.view());
    catalog.set(this.categoryCounts, count * 2 + links * 2);
    const catalogName = `${this.prefix}catalog.bin`;
    await this.sink(catalogName, catalog);

    return {
      formatVersion: PAPERS_FORMAT,
      count,
      rowsPerShard: this.rowsPerShard,
      shards: await this.shards.finish(),
      catalog: { ...(await fileRef(catalogName, catalog)), links },
      categories: [...this.categoryIds.keys()],
      ids: await ids.finish(),
      titles: { rowsPerShard: this.titleRowsPerShard, shards: await this.titleShards.finish() },
    };
  }
}

/** Reads a PapersSection through a FileSource: the catalog eagerly, text shards as rows are asked for. */
export class PapersReader {
  private readonly shardCache: AsyncLru<number, Paper[]>;
  private readonly idCache = new AsyncLru<number, Record<string, number>>(64);
  private readonly titleCache = new AsyncLru<number, string[]>(1024);
  /** Every title in row order once holdTitles has read them all. */
  private held?: string[];
  /** Where each row's category ids start in `links` (count + 1 entries). */
  private readonly linkStarts: Uint32Array;

  private constructor(
    readonly section: PapersSection,
    private readonly years: Uint16Array,
    private readonly links: Uint16Array,
    private readonly shards: ShardedFilesReader,
    private readonly idBuckets: ShardedFilesReader,
    private readonly titleShards: ShardedFilesReader,
    cacheBytes: number,
  ) {
    // Weighed by the file's size: the decoded papers take about as much again.
    this.shardCache = new AsyncLru(cacheBytes, (_, shard) => shards.bytesOf(shard));
    this.linkStarts = new Uint32Array(section.count + 1);
  }

  /**
   * Fetches the catalog and the file tables. Decoded text shards are kept up to `cacheBytes` of their files
   * (default PAPERS_CACHE_BYTES): a query's hits land on one shard each, and a cache of 64 shards churned so
   * that even repeated queries read them again.
   */
  static async open(section: PapersSection, source: FileSource, options: { cacheBytes?: number } = {}): Promise<PapersReader> {
    if (section?.formatVersion !== PAPERS_FORMAT) {
      throw new PapersiftError('artifacts-format', `The papers section is format ${String(section?.formatVersion)}; this build reads ${PAPERS_FORMAT}`);
    }
    const { count, catalog: ref } = section;
    // Read together: from IndexedDB on a repeat visit they come in one transaction (the chunk store's getMany).
    const [catalogBytes, shards, idBuckets, titleShards] = await Promise.all([
      source(ref.name, ref),
      ShardedFilesReader.open(section.shards, source),
      ShardedFilesReader.open(section.ids, source),
      ShardedFilesReader.open(section.titles.shards, source),
    ]);
    const catalog = catalogBytes.slice();
    if (catalog.byteLength !== count * 3 + ref.links * 2) {
      throw new PapersiftError('artifacts-format', `${ref.name} does not hold ${count} papers' years and categories`, { file: ref.name });
    }
    const reader = new PapersReader(
      section,
      new Uint16Array(catalog.buffer, 0, count),
      new Uint16Array(catalog.buffer, count * 2, ref.links),
      shards,
      idBuckets,
      titleShards,
      options.cacheBytes ?? PAPERS_CACHE_BYTES,
    );
    const counts = catalog.subarray(count * 2 + ref.links * 2);
    for (let row = 0; row < count; row++) reader.linkStarts[row + 1] = reader.linkStarts[row] + counts[row];
    if (reader.linkStarts[count] !== ref.links) throw new PapersiftError('artifacts-format', `${ref.name}'s category counts do not add up`, { file: ref.name });
    return reader;
  }

  get count(): number {
    return this.section.count;
  }

  /** Every file of the section with its entry (tables included): what "available offline" fetches. */
  *files(): Iterable<[string, FileEntry]> {
    yield [this.section.catalog.name, this.section.catalog];
    yield* this.shards.files();
    yield* this.idBuckets.files();
    yield* this.titleShards.files();
  }

  /** The year a row's paper appeared; undefined when unknown. */
  year(row: number): number | undefined {
    return this.years[row] || undefined;
  }

  categories(row: number): string[] {
    const out: string[] = [];
    for (let i = this.linkStarts[row]; i < this.linkStarts[row + 1]; i++) out.push(this.section.categories[this.links[i]]);
    return out;
  }

  /** A row predicate for a filter, the same rule as paperMatcher, over the catalog. */
  matcher(filter: PaperFilter): (row: number) => boolean {
    checkFilter(filter);
    const { yearFrom, yearTo } = filter;
    const category = filter.category?.trim();
    const allowed = category ? new Set(this.section.categories.flatMap((name, id) => (name === category || archiveOf(name) === category ? [id] : []))) : undefined;
    return (row) => {
      if (yearFrom !== undefined || yearTo !== undefined) {
        const year = this.years[row];
        if (year === 0 || (yearFrom !== undefined && year < yearFrom) || (yearTo !== undefined && year > yearTo)) return false;
      }
      if (allowed) {
        let any = false;
        for (let i = this.linkStarts[row]; i < this.linkStarts[row + 1] && !any; i++) any = allowed.has(this.links[i]);
        if (!any) return false;
      }
      return true;
    };
  }

  /** paperFacets over the catalog (the whole collection, or the given rows), with `more` papers counted in (the user's). */
  facets(rows?: Iterable<number>, more: Iterable<Paper> = []): Facets {
    const self = this;
    function* entries(): Iterable<Paper> {
      for (const row of rows ?? Array.from({ length: self.count }, (_, i) => i)) {
        const year = self.years[row];
        yield { published: year ? String(year).padStart(4, '0') : undefined, categories: self.categories(row) } as Paper;
      }
      yield* more;
    }
    return paperFacets(entries());
  }

  async paper(row: number): Promise<Paper> {
    return (await this.papers([row]))[0];
  }

  /** The papers of these rows, in the same order; fetches each needed shard once. */
  async papers(rows: readonly number[]): Promise<Paper[]> {
    const R = this.section.rowsPerShard;
    for (const row of rows) this.checkRow(row);
    const shards = new Map<number, Promise<Paper[]>>();
    for (const row of rows) {
      const shard = Math.floor(row / R);
      if (!shards.has(shard)) shards.set(shard, this.shardCache.get(shard, (i) => this.readJson<Paper[]>(this.shards, i)));
    }
    const loaded = new Map<number, Paper[]>();
    await Promise.all([...shards].map(async ([shard, pending]) => loaded.set(shard, await pending)));
    return rows.map((row) => {
      const paper = loaded.get(Math.floor(row / R))?.[row % R];
      if (!paper) throw new PapersiftError('artifacts-format', `${this.section.shards.prefix}${Math.floor(row / R)} lacks row ${row}`);
      return paper;
    });
  }

  /** The row of a paper id, or undefined when the collection has no such paper. */
  async rowOf(id: string): Promise<number | undefined> {
    const bucket = hash32(id) % this.section.ids.count;
    const ids = await this.idCache.get(bucket, (i) => this.readJson<Record<string, number>>(this.idBuckets, i));
    return Object.hasOwn(ids, id) ? ids[id] : undefined;
  }

  /** The titles of these rows, in the same order (from the title shards). */
  async titles(rows: readonly number[]): Promise<string[]> {
    const R = this.section.titles.rowsPerShard;
    for (const row of rows) this.checkRow(row);
    const shards = await Promise.all(rows.map((row) => this.titleShard(Math.floor(row / R))));
    return rows.map((row, i) => shards[i][row % R]);
  }

  /** Every title in row order, shard by shard, reporting bytes as they come. */
  async allTitles(onProgress?: (done: number, total: number) => void): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < this.titleShards.count; i++) {
      out.push(...(await this.titleShard(i)));
      onProgress?.(i + 1, this.titleShards.count);
    }
    return out;
  }

  /** Bytes of all the title files. */
  get titleBytes(): number {
    let bytes = 0;
    for (let i = 0; i < this.titleShards.count; i++) bytes += this.titleShards.bytesOf(i);
    return bytes;
  }

  /** Whether every title is held (holdTitles has finished): `preview` answers without a read. */
  get titlesHeld(): boolean {
    return this.held !== undefined;
  }

  /**
   * Reads every title shard, `lanes` at a time, and holds the titles, when their files total at most `budget` bytes
   * (default TITLES_HELD_BYTES). `stop` is asked before each read: a caller that must give the network to a search
   * stops it there, and a later call goes on from the shards already read. Resolves with whether all are held.
   */
  async holdTitles(stop: () => boolean = () => false, budget = TITLES_HELD_BYTES, lanes = 2): Promise<boolean> {
    if (this.held) return true;
    if (this.titleBytes > budget) return false;
    const count = this.titleShards.count;
    const shards: string[][] = new Array(count);
    let next = 0;
    let stopped = false;
    const lane = async () => {
      while (next < count && !stopped) {
        if (stop()) stopped = true;
        else {
          const i = next++;
          shards[i] = await this.titleShard(i);
        }
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    if (stopped) return false;
    this.held = shards.flat();
    return true;
  }

  /** A row's title (held: holdTitles), year and categories (the catalog); undefined until the titles are held. */
  preview(row: number): RowPreview | undefined {
    const title = this.held?.[row];
    if (title === undefined) return undefined;
    const year = this.year(row);
    return { title, ...(year ? { year } : {}), categories: this.categories(row) };
  }

  /** Whether the text of every one of these rows is held decoded: `papers(rows)` would read nothing. */
  holdsText(rows: readonly number[]): boolean {
    const R = this.section.rowsPerShard;
    return rows.every((row) => this.shardCache.has(Math.floor(row / R)));
  }

  private titleShard(index: number): Promise<string[]> {
    return this.titleCache.get(index, (i) => this.readJson<string[]>(this.titleShards, i));
  }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.count) {
      throw new PapersiftError('unknown-paper', `No paper at row ${row}: the collection has rows 0–${this.count - 1}`, { row });
    }
  }

  private async readJson<T>(files: ShardedFilesReader, index: number): Promise<T> {
    const bytes = await files.read(index);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as T;
    } catch (e) {
      throw new PapersiftError('artifacts-format', `${files.set.prefix}${index}${files.set.ext} is not valid JSON`, {}, { cause: e });
    }
  }
}
