/**
 * Format 3's keyword index: BM25+ over title + abstract, in files fetched per query term.
 *
 * Format 2 ships one MiniSearch JSON (lexical.json) that the worker parses before the first result:
 * ~100 MB at 100k papers. Here the postings are split by term into hashed buckets (a bucket holds the
 * postings of every term whose FNV-1a hash falls in it, ~32 KB each), and a term with many postings gets
 * a file of its own, so a query fetches one small bucket per term plus the big postings of its common
 * terms. There is no eager dictionary: a bucket carries its terms' document frequencies. What is eager is
 * the per-paper field lengths BM25 normalises by (2 × u16 a paper) and the buckets' size/digest table.
 *
 * Scores are MiniSearch's, computed the same way (src/core/lexical/index.ts searches with exact terms:
 * no prefix, no fuzzy): per field BM25+ with that field's document frequency and length norm (a field's
 * length is its count of distinct raw tokens, as MiniSearch counts it), summed over query terms (a
 * repeated query term counts again), times the number of distinct query terms the paper matches.
 * chunked.test.ts checks rankings and scores against searchLexical on the seed corpus.
 *
 * MiniSearch's fuzzy matching served "did you mean" (suggestCorrections) over the index's terms. Here
 * the terms are also written grouped by length (`vocabulary`), fetched only when a query word matches
 * nothing, and searched with the same edit-distance bound.
 */
import { PapersiftError } from '../errors';
import type { Paper } from '../types';
import {
  ByteReader,
  ByteWriter,
  AsyncLru,
  fileRef,
  growableUint16,
  growableUint32,
  hash32,
  ShardedFilesReader,
  ShardedFilesWriter,
  type FileEntry,
  type FileRef,
  type FileSink,
  type FileSource,
  type ShardedFiles,
} from '../format3/sharded-files';
import { ANALYZER, analyze, processTerm, tokenize } from './analyzer';
import {
  BM25,
  CORRECTION_FUZZINESS,
  CORRECTION_SPELLING_PAPERS,
  SIMILAR_TERMS,
  TITLE_BOOST,
  correctableWords,
  editDistance,
  spellingNear,
  type Correction,
  type KeywordMatches,
} from './index';

export const CHUNKED_LEXICAL_FORMAT = 1;

/** Keyword buckets kept decoded, by their files' bytes (~32 KB a bucket: ~250). */
export const LEXICAL_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * An index whose postings files (buckets, big terms and vocabulary) total at most this many bytes is held whole:
 * its caches keep every file read, never evicting, and `hold` reads the rest in idle time, so that a query with
 * words never searched before reads nothing. The 10k and 100k synthetic sets (1.8 MB and 17 MB of files) are
 * held, the 1M one (171 MB) is not. Decoded, a held index weighs about 2.3 times its files (a big term's
 * postings take 6 bytes each beside its papers' bitset; a bucket keeps its bytes and a map of its terms): 38 MB
 * at 100k (Node, heap and buffers after `hold`), so ~55 MB at the budget, beside a 100k tab's ~190 MB and under
 * its 400 MB target (docs/BENCHMARKS.md, "Holding the keyword index whole").
 */
export const LEXICAL_HOLD_BYTES = 24 * 1024 * 1024;

/**
 * Files `hold` reads at once: asked for in one turn, so that on a repeat visit they come in one IndexedDB read. Two, as
 * the text read ahead (READ_AHEAD_LANES): at most two of its reads are in flight beside a search's. Four held the 10k
 * set no sooner in bench/search-ab.ts (within its noise) and leave twice as many reads behind each stop.
 */
export const LEXICAL_HOLD_LANES = 2;

/**
 * A `hold` round takes more than its lanes' files while they total at most this many bytes, up to LEXICAL_HOLD_ROUND_FILES:
 * the vocabulary's 32 groups are ~2 KB each at 10k and 100k, and two a round made a third of the 10k set's rounds,
 * each waiting for its writes. Against two files a round, the held 10k set's search 11 read its text sooner
 * (bench/search-ab.ts, docs/BENCHMARKS.md).
 */
export const LEXICAL_HOLD_ROUND_BYTES = 64 * 1024;
export const LEXICAL_HOLD_ROUND_FILES = 8;

/** How a `hold` round ended. */
export type HoldOutcome = 'held' | 'stopped' | 'failed' | 'too-big';

/** The lexical part of a format-3 manifest. */
export interface LexicalSection {
  formatVersion: typeof CHUNKED_LEXICAL_FORMAT;
  analyzer: string;
  documentCount: number;
  /** Mean distinct raw tokens per field (title, abstract): BM25's length norm. */
  averageFieldLength: [number, number];
  /** u16 per paper: title lengths in row order, then abstract lengths. Eager. */
  lengths: FileRef;
  /** Hashed term buckets: hash32(term) % count. */
  buckets: ShardedFiles;
  /** Postings of terms too common to share a bucket, one file each. */
  bigTerms: ShardedFiles;
  /**
   * The term of each big-term file (file i's at i), so that a query reads a common term's postings beside its
   * bucket instead of after it. Absent from sets built before 2 December 2026, which are read as before.
   */
  bigTermNames?: string[];
  /** Every term with its document frequency, one JSON file per term length (1..VOCABULARY_LENGTHS, the last for longer). */
  vocabulary: ShardedFiles;
}

export interface ChunkedWriterOptions {
  /** Bytes a bucket aims at (default 32 KiB): one per query term is fetched. */
  bucketBytes?: number;
  /** A term with more postings than this (both fields) is written to a file of its own (default 8192). */
  bigTermPostings?: number;
  /** Folder-like prefix of every file name (default "lexical/"). */
  prefix?: string;
}

const FIELD_BOOSTS = [TITLE_BOOST, 1] as const;
/** Field lengths are stored as u16; longer fields (none in real abstracts) count as this long. */
const MAX_FIELD_LENGTH = 0xffff;
const VOCABULARY_LENGTHS = 32;
/** MiniSearch's default cap on fuzzy edit distance. */
const MAX_FUZZY = 6;
/** Estimated bytes a posting takes (row delta + tf varints), to size the buckets before writing them. */
const BYTES_PER_POSTING = 2.5;

/**
 * Builds the index from papers given one at a time in row order. Postings accumulate in typed arrays
 * (10 bytes a posting: term-field key, row, tf), not objects, so 1M papers stay within a few GB.
 */
export class ChunkedLexicalWriter {
  private readonly termIds = new Map<string, number>();
  private readonly terms: string[] = [];
  private readonly keys = growableUint32(1 << 16);
  private readonly rows = growableUint32(1 << 16);
  private readonly tfs = growableUint16(1 << 16);
  private readonly lengths = [growableUint16(1 << 12), growableUint16(1 << 12)];
  private readonly lengthSums = [0, 0];
  private count = 0;

  constructor(private readonly options: ChunkedWriterOptions = {}) {}

  add(paper: Pick<Paper, 'title' | 'abstract'>): void {
    const row = this.count++;
    const analysed = outsideDocument(paper);
    analysed.fields.forEach((termCounts, field) => {
      const length = analysed.lengths[field];
      this.lengths[field].push(Math.min(length, MAX_FIELD_LENGTH));
      this.lengthSums[field] += length;
      for (const [term, tf] of termCounts) {
        let id = this.termIds.get(term);
        if (id === undefined) {
          id = this.terms.length;
          this.termIds.set(term, id);
          this.terms.push(term);
        }
        this.keys.push(id * 2 + field);
        this.rows.push(row);
        this.tfs.push(Math.min(tf, 0xffff));
      }
    });
  }

  async finish(sink: FileSink): Promise<LexicalSection> {
    const prefix = this.options.prefix ?? 'lexical/';
    const bucketBytes = this.options.bucketBytes ?? 32 * 1024;
    const bigTermPostings = this.options.bigTermPostings ?? 8192;
    const termCount = this.terms.length;
    const keys = this.keys.view();
    const rows = this.rows.view();
    const tfs = this.tfs.view();

    // Postings grouped by (term, field), rows ascending: a stable counting sort by key.
    const starts = new Uint32Array(termCount * 2 + 1);
    for (let i = 0; i < keys.length; i++) starts[keys[i] + 1]++;
    for (let i = 1; i < starts.length; i++) starts[i] += starts[i - 1];
    const order = new Uint32Array(keys.length);
    const next = starts.slice(0, termCount * 2);
    for (let i = 0; i < keys.length; i++) order[next[keys[i]]++] = i;

    const postingsOf = (term: number) => starts[term * 2 + 2] - starts[term * 2];
    let smallPostings = 0;
    for (let t = 0; t < termCount; t++) if (postingsOf(t) <= bigTermPostings) smallPostings += postingsOf(t);
    const bucketCount = Math.max(1, Math.ceil((smallPostings * BYTES_PER_POSTING) / bucketBytes));

    // Terms grouped by bucket, again by counting sort.
    const bucketOf = new Uint32Array(termCount);
    const bucketStarts = new Uint32Array(bucketCount + 1);
    for (let t = 0; t < termCount; t++) {
      bucketOf[t] = hash32(this.terms[t]) % bucketCount;
      bucketStarts[bucketOf[t] + 1]++;
    }
    for (let b = 1; b <= bucketCount; b++) bucketStarts[b] += bucketStarts[b - 1];
    const termsByBucket = new Uint32Array(termCount);
    const fill = bucketStarts.slice(0, bucketCount);
    for (let t = 0; t < termCount; t++) termsByBucket[fill[bucketOf[t]]++] = t;

    const documentsWith = new Uint32Array(termCount);
    const writePostings = (out: ByteWriter, term: number) => {
      for (let field = 0; field < 2; field++) {
        const from = starts[term * 2 + field];
        const to = starts[term * 2 + field + 1];
        out.varint(to - from);
        let previous = 0;
        for (let i = from; i < to; i++) {
          const posting = order[i];
          out.varint(rows[posting] - previous);
          out.varint(tfs[posting]);
          previous = rows[posting];
        }
      }
    };
    const encoder = new TextEncoder();
    const buckets = new ShardedFilesWriter(sink, `${prefix}b-`, '.bin');
    const bigTerms = new ShardedFilesWriter(sink, `${prefix}t-`, '.bin');
    const bucket = new ByteWriter();
    const big = new ByteWriter();
    const bigTermNames: string[] = [];
    for (let b = 0; b < bucketCount; b++) {
      bucket.reset();
      bucket.varint(bucketStarts[b + 1] - bucketStarts[b]);
      for (let i = bucketStarts[b]; i < bucketStarts[b + 1]; i++) {
        const term = termsByBucket[i];
        const name = encoder.encode(this.terms[term]);
        bucket.varint(name.byteLength);
        bucket.bytes(name);
        documentsWith[term] = unionSize(order, rows, starts[term * 2], starts[term * 2 + 1], starts[term * 2 + 2]);
        bucket.varint(documentsWith[term]);
        if (postingsOf(term) > bigTermPostings) {
          big.reset();
          writePostings(big, term);
          bucket.varint((await bigTerms.add(big.take())) + 1);
          bigTermNames.push(this.terms[term]);
        } else {
          bucket.varint(0);
          writePostings(bucket, term);
        }
      }
      await buckets.add(bucket.take());
    }

    // Terms by length, sorted, with their document frequency: what "did you mean" searches.
    const byLength: number[][] = Array.from({ length: VOCABULARY_LENGTHS }, () => []);
    for (let t = 0; t < termCount; t++) byLength[vocabularyGroup(this.terms[t].length)].push(t);
    const vocabulary = new ShardedFilesWriter(sink, `${prefix}v-`, '.json');
    for (const group of byLength) {
      group.sort((a, b) => (this.terms[a] < this.terms[b] ? -1 : 1));
      await vocabulary.add(encoder.encode(JSON.stringify(group.map((t) => [this.terms[t], documentsWith[t]]))));
    }

    const lengthBytes = new Uint8Array(this.count * 4);
    const lengthView = new Uint16Array(lengthBytes.buffer);
    lengthView.set(this.lengths[0].view(), 0);
    lengthView.set(this.lengths[1].view(), this.count);
    const lengthsName = `${prefix}lengths.bin`;
    await sink(lengthsName, lengthBytes);

    return {
      formatVersion: CHUNKED_LEXICAL_FORMAT,
      analyzer: ANALYZER,
      documentCount: this.count,
      averageFieldLength: [this.count ? this.lengthSums[0] / this.count : 0, this.count ? this.lengthSums[1] / this.count : 0],
      lengths: await fileRef(lengthsName, lengthBytes),
      buckets: await buckets.finish(),
      bigTerms: await bigTerms.finish(),
      bigTermNames,
      vocabulary: await vocabulary.finish(),
    };
  }
}

/** Papers with a term in either field: the union of two ascending row lists, order[a..b) and order[b..c). */
function unionSize(order: Uint32Array, rows: Uint32Array, a: number, b: number, c: number): number {
  let i = a;
  let j = b;
  let n = 0;
  while (i < b && j < c) {
    const x = rows[order[i]];
    const y = rows[order[j]];
    n++;
    if (x <= y) i++;
    if (y <= x) j++;
  }
  return n + (b - i) + (c - j);
}

function vocabularyGroup(length: number): number {
  return Math.min(Math.max(length, 1), VOCABULARY_LENGTHS) - 1;
}

/** One field's postings of a term: ascending rows and their term frequencies. */
interface Postings {
  rows: Uint32Array;
  tfs: Uint16Array;
}

/** A term's postings, both fields, and the papers containing it in either field as a bitset (bit row % 32 of word row / 32). */
interface TermPostings {
  fields: [Postings, Postings];
  papers: Uint32Array;
}

interface TermData extends TermPostings {
  /** Papers containing the term in either field. */
  documents: number;
}

/** Where a term's postings are in its bucket, decoded only when asked for. */
interface BucketEntry {
  documents: number;
  /** Offset of the postings in the bucket, or -(big file index + 1). */
  at: number;
}

/** A decoded bucket: its terms, and its bytes to decode their postings from. */
interface Bucket {
  entries: Map<string, BucketEntry>;
  bytes: Uint8Array;
  name: string;
}

/**
 * A paper as the index counts it, per field (title, abstract): each term's count and the field's length
 * (distinct raw tokens). The writer adds papers so; `scoreOutside` scores papers kept outside the index so.
 */
export interface OutsideDocument {
  fields: [Map<string, number>, Map<string, number>];
  lengths: [number, number];
}

export function outsideDocument(paper: Pick<Paper, 'title' | 'abstract'>): OutsideDocument {
  const lengths: [number, number] = [0, 0];
  const fields = [paper.title, paper.abstract].map((text, field) => {
    const tokens = tokenize(text ?? '');
    lengths[field] = new Set(tokens).size;
    const termCounts = new Map<string, number>();
    for (const token of tokens) {
      const term = processTerm(token);
      if (term) termCounts.set(term, (termCounts.get(term) ?? 0) + 1);
    }
    return termCounts;
  }) as OutsideDocument['fields'];
  return { fields, lengths };
}

/** A lexical hit of the chunked index: a row (the caller maps it to a paper), as LexicalHit. */
export interface ChunkedHit {
  row: number;
  score: number;
  /** Index terms of the query the paper contains, in query order. */
  terms: string[];
  /** As LexicalHit.coverage. */
  coverage: number;
}

export interface ChunkedSearchResult {
  hits: ChunkedHit[];
  matches: KeywordMatches;
}

/** The papers a query matched: rows with their final scores and counts of distinct query terms matched. */
interface Scored {
  rows: Uint32Array;
  scores: Float64Array;
  matched: Uint16Array;
  terms: WeightedTerm[];
  data: (TermData | undefined)[];
}

/** A query term with the weight its BM25 contributions are multiplied by. */
interface WeightedTerm {
  term: string;
  weight: number;
}

/** Files and bytes a reader has fetched, for budgets and benchmarks. */
export interface FetchTally {
  files: number;
  bytes: number;
}

/** Reads a LexicalSection through a FileSource (the chunk store in the browser). */
export class ChunkedLexicalIndex {
  private readonly bucketCache: AsyncLru<number, Bucket>;
  private readonly bigCache: AsyncLru<number, TermPostings>;
  private readonly vocabularyCache = new AsyncLru<number, [string, number][]>(VOCABULARY_LENGTHS);
  private readonly scores: Float64Array;
  private readonly matched: Uint16Array;
  private readonly lastTerm: Int32Array;
  private readonly stamp: Uint32Array;
  /** Rows a query touched, in the order first touched (the first `count` are this query's). */
  private readonly touched: Uint32Array;
  /** Big-term file by term, from the section's list (empty for a set without one). */
  private readonly bigFileOf: Map<string, number>;
  /** Per field, BM25's length part k·(1 − b + b·length/average) by field length: one lookup a posting, not a division. */
  private readonly lengthNorms: [Float64Array, Float64Array];
  private queries = 0;
  /** Bytes of the postings files `hold` reads (buckets, big terms, vocabulary). */
  readonly postingsBytes: number;
  /** Whether the index is at most the hold budget: its caches never evict, and `hold` reads it all. */
  readonly holdable: boolean;
  /** Files `hold` has read so far, in its order (buckets, big terms, vocabulary groups); all of them once held. */
  private holdNext = 0;

  private constructor(
    readonly section: LexicalSection,
    private readonly lengths: Uint16Array,
    private readonly buckets: ShardedFilesReader,
    private readonly bigTerms: ShardedFilesReader,
    private readonly vocabulary: ShardedFilesReader,
    cacheBytes: number,
    /** Files and bytes this reader has fetched so far, eager files included. */
    readonly fetched: FetchTally,
    holdBytes: number,
  ) {
    let postingsBytes = 0;
    for (const files of [buckets, bigTerms, vocabulary]) for (let i = 0; i < files.set.count; i++) postingsBytes += files.bytesOf(i);
    this.postingsBytes = postingsBytes;
    this.holdable = postingsBytes <= holdBytes;
    // A held index's caches keep everything: what `hold` read is never thrown out by a query's terms.
    if (this.holdable) cacheBytes = Number.POSITIVE_INFINITY;
    // Weighed by their files' sizes; the big terms' postings share the same budget's size again, each weighed with
    // its papers' bitset too (n / 8 bytes: at 1M, more than the file of a term with fewer than ~50k postings).
    this.bucketCache = new AsyncLru(cacheBytes, (_, bucket) => buckets.bytesOf(bucket));
    this.bigCache = new AsyncLru(cacheBytes, (postings, file) => bigTerms.bytesOf(file) + postings.papers.byteLength);
    this.bigFileOf = new Map((section.bigTermNames ?? []).map((term, file) => [term, file]));
    const n = section.documentCount;
    this.scores = new Float64Array(n);
    this.matched = new Uint16Array(n);
    this.lastTerm = new Int32Array(n);
    this.stamp = new Uint32Array(n);
    this.touched = new Uint32Array(n);
    const { k, b } = BM25;
    this.lengthNorms = section.averageFieldLength.map((average) => {
      const norms = new Float64Array(MAX_FIELD_LENGTH + 1);
      // The same expression, in the same order, as the score used before the table: the scores are unchanged to the bit.
      for (let length = 0; length <= MAX_FIELD_LENGTH; length++) norms[length] = k * (1 - b + (b * length) / average);
      return norms;
    }) as [Float64Array, Float64Array];
  }

  /**
   * Opens the index: fetches the field lengths and the three file tables (the eager part), nothing else.
   * Decoded buckets are kept up to `cacheBytes` of their files (default LEXICAL_CACHE_BYTES), and big
   * terms' postings up to as much again; all of them when the postings files total at most `holdBytes`
   * (default LEXICAL_HOLD_BYTES), which `hold` then reads: `cacheBytes` then counts for nothing (pass holdBytes 0
   * for a reader that keeps to it).
   */
  static async open(section: LexicalSection, source: FileSource, options: { cacheBytes?: number; holdBytes?: number } = {}): Promise<ChunkedLexicalIndex> {
    if (section?.formatVersion !== CHUNKED_LEXICAL_FORMAT) {
      throw new PapersiftError('artifacts-format', `The lexical section is format ${String(section?.formatVersion)}; this build reads ${CHUNKED_LEXICAL_FORMAT}`);
    }
    if (section.analyzer !== ANALYZER) {
      throw new PapersiftError('artifacts-stale', `The lexical index was built with analyzer ${section.analyzer}; this build uses ${ANALYZER}`, {
        found: section.analyzer,
        expected: ANALYZER,
      });
    }
    const fetched: FetchTally = { files: 0, bytes: 0 };
    const counted: FileSource = async (name, entry) => {
      const bytes = await source(name, entry);
      fetched.files++;
      fetched.bytes += bytes.byteLength;
      return bytes;
    };
    if (section.bigTermNames !== undefined && (!Array.isArray(section.bigTermNames) || section.bigTermNames.length !== section.bigTerms.count)) {
      throw new PapersiftError('artifacts-format', `The lexical section names ${String(section.bigTermNames?.length)} big terms for ${section.bigTerms.count} big-term files`);
    }
    // Read together: from IndexedDB on a repeat visit they come in one transaction (the chunk store's getMany).
    const [lengthBytes, buckets, bigTerms, vocabulary] = await Promise.all([
      counted(section.lengths.name, section.lengths),
      ShardedFilesReader.open(section.buckets, counted),
      ShardedFilesReader.open(section.bigTerms, counted),
      ShardedFilesReader.open(section.vocabulary, counted),
    ]);
    if (lengthBytes.byteLength !== section.documentCount * 4) {
      throw new PapersiftError('artifacts-format', `${section.lengths.name} has lengths for ${lengthBytes.byteLength / 4} papers; the index has ${section.documentCount}`);
    }
    const lengths = new Uint16Array(lengthBytes.slice().buffer);
    return new ChunkedLexicalIndex(section, lengths, buckets, bigTerms, vocabulary, options.cacheBytes ?? LEXICAL_CACHE_BYTES, fetched, options.holdBytes ?? LEXICAL_HOLD_BYTES);
  }

  /** Whether every postings file is read and kept decoded: no query reads a file any more. */
  get held(): boolean {
    return this.holdable && this.holdNext === this.holdFiles;
  }

  private get holdFiles(): number {
    return this.section.buckets.count + this.section.bigTerms.count + this.section.vocabulary.count;
  }

  /**
   * Reads every postings file not yet kept (buckets, then big terms, then vocabulary groups) and keeps it decoded,
   * when the index is `holdable`; above the budget it reads nothing ('too-big'). Reads go in rounds of `lanes` files
   * (more small ones, within LEXICAL_HOLD_ROUND_BYTES) asked for in one turn (one IndexedDB read on a repeat visit),
   * the next round only while `stopped()` is false: the worker runs it in idle time after an answer and stops it as a
   * search request arrives, so at most one round of its reads is in flight beside that search's; with `settle`, what
   * each round left behind (the chunk
   * store's IndexedDB writes) is done before the next. A later call goes on where it stopped. A failed read
   * (offline, a corrupt file) ends the round quietly ('failed'); a search still reads what it needs itself.
   */
  async hold({
    stopped = () => false,
    lanes = LEXICAL_HOLD_LANES,
    settle,
  }: {
    stopped?: () => boolean;
    lanes?: number;
    /** Awaited after each round, before the next is asked for (the chunk store's writes to IndexedDB: `flush`). */
    settle?: () => Promise<void>;
  } = {}): Promise<HoldOutcome> {
    if (!this.holdable) return 'too-big';
    const buckets = this.section.buckets.count;
    const big = this.section.bigTerms.count;
    const read = (i: number): Promise<unknown> =>
      i < buckets ? this.bucket(i) : i < buckets + big ? this.bigPostings(i - buckets) : this.vocabularyGroup(i - buckets - big);
    const bytesOf = (i: number) =>
      i < buckets ? this.buckets.bytesOf(i) : i < buckets + big ? this.bigTerms.bytesOf(i - buckets) : this.vocabulary.bytesOf(i - buckets - big);
    while (this.holdNext < this.holdFiles) {
      if (stopped()) return 'stopped';
      const from = this.holdNext;
      // `lanes` files, and more while the round stays within LEXICAL_HOLD_ROUND_BYTES (small files: the vocabulary's groups).
      let to = Math.min(this.holdFiles, from + Math.max(1, lanes));
      let bytes = 0;
      for (let i = from; i < to; i++) bytes += bytesOf(i);
      while (to < this.holdFiles && to - from < LEXICAL_HOLD_ROUND_FILES && bytes + bytesOf(to) <= LEXICAL_HOLD_ROUND_BYTES) bytes += bytesOf(to++);
      const reads: Promise<unknown>[] = [];
      for (let i = from; i < to; i++) reads.push(read(i));
      // Every read settled before the round goes on or ends: none is left in flight behind a failure.
      if ((await Promise.allSettled(reads)).some((read) => read.status === 'rejected')) return 'failed';
      // Another round may have gone past these meanwhile.
      this.holdNext = Math.max(this.holdNext, to);
      await settle?.().catch(() => {});
    }
    return 'held';
  }

  get documentCount(): number {
    return this.section.documentCount;
  }

  /** Every file of the index with its entry (tables included): what "available offline" fetches. */
  *files(): Iterable<[string, FileEntry]> {
    yield [this.section.lengths.name, this.section.lengths];
    yield* this.buckets.files();
    yield* this.bigTerms.files();
    yield* this.vocabulary.files();
  }

  /**
   * Reads (and keeps in this reader's caches) the files a typed query's search will read: its terms' buckets and
   * big terms. The worker asks it for a query that arrived while the set was opening, so that those reads overlap
   * the rest of the opening; a failure is left to the search itself.
   */
  async warm(query: string): Promise<void> {
    await Promise.all(typedTerms(query).map((t) => this.termData(t.term).catch(() => undefined)));
  }

  /** How many papers contain an index term (0 when none). */
  async documentFrequency(term: string): Promise<number> {
    return (await this.entry(term))?.entry.documents ?? 0;
  }

  /** The index terms of a typed query, each with its BM25 idf over papers containing it (as queryTermWeights). */
  async queryTermWeights(query: string): Promise<Map<string, number>> {
    const terms = [...new Set(analyze(query))];
    const dfs = await Promise.all(terms.map((term) => this.documentFrequency(term)));
    return new Map(terms.map((term, i) => [term, this.idf(dfs[i])]));
  }

  /**
   * As searchLexicalCounted: the top k rows and how many papers match all / any of the query's terms. The counts
   * come from the terms' paper bitsets (OR, AND), not from a pass over every paper scored.
   */
  async search(query: string, k: number, exclude?: Set<number>, keep?: (row: number) => boolean): Promise<ChunkedSearchResult> {
    const terms = typedTerms(query);
    // Each term's bucket and (listed big terms) postings file read at once.
    const data = await Promise.all(terms.map((t) => this.termData(t.term)));
    // As queryTermWeights: the typed terms are the query's distinct index terms, in the same order.
    const weights = new Map(terms.map((t, i) => [t.term, this.idf(data[i]?.documents ?? 0)]));
    const matches = this.countMatches(data, keep);
    const hits = this.rank(this.scoreAll(terms, data, { k, exclude, keep }), k, weights, exclude, keep);
    return { hits, matches };
  }

  /** Papers (kept by `keep`) containing any of the terms, and all of them (none when a term is in no paper). */
  private countMatches(data: readonly (TermData | undefined)[], keep?: (row: number) => boolean): KeywordMatches {
    if (data.length === 0) return { all: 0, any: 0 };
    const words = (this.section.documentCount + 31) >>> 5;
    const anyBits = new Uint32Array(words);
    const missing = data.some((d) => d === undefined);
    const allBits = missing ? undefined : new Uint32Array(words).fill(0xffffffff);
    for (const termData of data) {
      if (!termData) continue;
      const bits = termData.papers;
      for (let w = 0; w < words; w++) anyBits[w] |= bits[w];
      if (allBits) for (let w = 0; w < words; w++) allBits[w] &= bits[w];
    }
    if (!keep) return { all: allBits ? popcount(allBits) : 0, any: popcount(anyBits) };
    let any = 0;
    let all = 0;
    for (let w = 0; w < words; w++) {
      let word = anyBits[w];
      while (word !== 0) {
        const bit = 31 - Math.clz32(word & -word);
        word &= word - 1;
        const row = w * 32 + bit;
        if (!keep(row)) continue;
        any++;
        if (allBits && (allBits[w] >>> bit) & 1) all++;
      }
    }
    return { all, any };
  }

  /**
   * As similarLexical: the paper's SIMILAR_TERMS most distinctive terms (tf·idf over this index) as a
   * query weighted by √tf; `self` (its row, when it is in the index) left out. Fetches a bucket for each
   * distinct term of the paper (~100), so it costs more than a typed query.
   */
  async similar(paper: Pick<Paper, 'title' | 'abstract'>, k: number, self?: number, keep?: (row: number) => boolean): Promise<ChunkedHit[]> {
    const terms = await this.similarTerms(paper);
    if (terms.length === 0) return [];
    return this.rank(await this.score(terms), k, undefined, self === undefined ? undefined : new Set([self]), keep);
  }

  /** The query `similar` scores a paper by: its SIMILAR_TERMS most distinctive terms, weighted by √tf. */
  private async similarTerms(paper: Pick<Paper, 'title' | 'abstract'>): Promise<WeightedTerm[]> {
    const counts = new Map<string, number>();
    for (const term of [...analyze(paper.title), ...analyze(paper.abstract)]) counts.set(term, (counts.get(term) ?? 0) + 1);
    const withDf = await Promise.all([...counts].map(async ([term, tf]) => ({ term, tf, df: await this.documentFrequency(term) })));
    return withDf
      .filter((t) => t.df > 0)
      .map((t) => ({ ...t, weight: t.tf * this.idf(t.df) }))
      .sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term))
      .slice(0, SIMILAR_TERMS)
      .map((t) => ({ term: t.term, weight: Math.sqrt(t.tf) }));
  }

  /**
   * Papers kept outside the index (the user's own, beside a format-3 set) scored as `search` scores a typed
   * query, or `similar` a paper, over the index's papers: with this index's document frequencies (the
   * paper itself counted in) and average field lengths, and each paper's own counts. Their scores are on
   * the index's scale, so the two lists merge by score. Rows are positions in `documents`; an undefined
   * one (removed, or left out by a filter) is skipped.
   */
  async scoreOutside(
    query: string | Pick<Paper, 'title' | 'abstract'>,
    documents: readonly (OutsideDocument | undefined)[],
    k: number,
  ): Promise<ChunkedSearchResult> {
    const typed = typeof query === 'string';
    const terms = typed ? typedTerms(query) : await this.similarTerms(query);
    const weights = typed ? await this.queryTermWeights(query) : undefined;
    const data = await Promise.all(terms.map((t) => this.termData(t.term)));
    const { k: k1, b, d } = BM25;
    const matches = { all: 0, any: 0 };
    const hits: ChunkedHit[] = [];
    documents.forEach((document, row) => {
      if (!document) return;
      let score = 0;
      const found: string[] = [];
      terms.forEach(({ term, weight }, t) => {
        let matched = false;
        document.fields.forEach((counts, field) => {
          const tf = counts.get(term);
          if (!tf) return;
          matched = true;
          const idf = this.idf((data[t]?.fields[field].rows.length ?? 0) + 1);
          const norm = document.lengths[field] / this.section.averageFieldLength[field];
          score += weight * FIELD_BOOSTS[field] * idf * (d + (tf * (k1 + 1)) / (tf + k1 * (1 - b + b * norm)));
        });
        if (matched) found.push(term);
      });
      if (found.length === 0) return;
      matches.any++;
      if (weights && weights.size > 0 && found.length === weights.size) matches.all++;
      let total = 0;
      let covered = 0;
      for (const [term, weight] of weights ?? []) {
        total += weight;
        if (found.includes(term)) covered += weight;
      }
      hits.push({ row, score: score * found.length, terms: found, coverage: weights === undefined ? 1 : total > 0 ? covered / total : 0 });
    });
    hits.sort((x, y) => y.score - x.score || x.row - y.row);
    return { hits: hits.slice(0, k), matches };
  }

  /**
   * As suggestCorrections. The candidates are the index terms within the same edit distance (read from
   * the vocabulary files of the lengths in reach); the most common wins, ties alphabetically. The spelling
   * is taken from the CORRECTION_SPELLING_PAPERS papers where that term scores highest (MiniSearch took the
   * first papers of its fuzzy search, where the other candidates also added to the scores).
   */
  async suggestCorrections(query: string, text: (rows: number[]) => Promise<Pick<Paper, 'title' | 'abstract'>[]>): Promise<Correction[]> {
    const corrections: Correction[] = [];
    for (const { token, term } of correctableWords(query)) {
      if ((await this.documentFrequency(term)) > 0) continue;
      const distance = Math.min(MAX_FUZZY, Math.round(term.length * CORRECTION_FUZZINESS));
      if (distance === 0) continue;
      const groups = new Set<number>();
      for (let length = Math.max(1, term.length - distance); length <= term.length + distance; length++) groups.add(vocabularyGroup(length));
      let best: [string, number] | undefined;
      for (const group of groups) {
        for (const [candidate, df] of await this.vocabularyGroup(group)) {
          if (Math.abs(candidate.length - term.length) > distance || candidate === term || editDistance(term, candidate) > distance) continue;
          if (!best || df > best[1] || (df === best[1] && candidate.localeCompare(best[0]) < 0)) best = [candidate, df];
        }
      }
      if (!best) continue;
      const top = this.rank(await this.score([{ term: best[0], weight: 1 }]), CORRECTION_SPELLING_PAPERS, undefined);
      const word = spellingNear(token, best[0], await text(top.map((hit) => hit.row)));
      if (word) corrections.push({ typed: token, word });
    }
    return corrections;
  }

  private idf(df: number): number {
    const total = this.section.documentCount;
    return Math.log(1 + (total - df + 0.5) / (df + 0.5));
  }

  /**
   * BM25+ of every paper matching any of the terms. Accumulates in the reader's per-row arrays (no await
   * in that loop, so concurrent queries cannot interleave in it) and returns copies for the rows touched.
   */
  private async score(terms: WeightedTerm[]): Promise<Scored> {
    return this.scoreAll(terms, await Promise.all(terms.map((t) => this.termData(t.term))));
  }

  /** As `score`, over postings already read; with `best`, only the k best rows are returned (see `best`). */
  private scoreAll(
    terms: WeightedTerm[],
    data: (TermData | undefined)[],
    best?: { k: number; exclude?: Set<number>; keep?: (row: number) => boolean },
  ): Scored {
    const stamp = ++this.queries;
    const { k, d } = BM25;
    const k1 = k + 1;
    const n = this.section.documentCount;
    const { lengths, scores, matched, lastTerm, touched } = this;
    const stamps = this.stamp;
    let count = 0;
    for (let t = 0; t < data.length; t++) {
      const termData = data[t];
      if (!termData) continue;
      for (let field = 0; field < 2; field++) {
        const { rows, tfs } = termData.fields[field];
        const df = rows.length;
        if (df === 0) continue;
        // weight · idf first, as the score was always multiplied: (weight · idf) · tf part.
        const weighted = terms[t].weight * FIELD_BOOSTS[field] * this.idf(df);
        const norms = this.lengthNorms[field];
        const offset = field * n;
        for (let i = 0; i < df; i++) {
          const row = rows[i];
          const tf = tfs[i];
          const score = weighted * (d + (tf * k1) / (tf + norms[lengths[offset + row]]));
          if (stamps[row] !== stamp) {
            stamps[row] = stamp;
            scores[row] = score;
            matched[row] = 1;
            lastTerm[row] = t;
            touched[count++] = row;
          } else {
            scores[row] += score;
            if (lastTerm[row] !== t) {
              lastTerm[row] = t;
              matched[row]++;
            }
          }
        }
      }
    }
    // MiniSearch multiplies by the number of distinct query terms matched.
    if (best) return this.best(count, best.k, terms, data, best.exclude, best.keep);
    const rows = touched.slice(0, count);
    const out = new Float64Array(count);
    const outMatched = new Uint16Array(count);
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      out[i] = scores[row] * matched[row];
      outMatched[i] = matched[row];
    }
    return { rows, scores: out, matched: outMatched, terms, data };
  }

  /**
   * The k best of the `count` rows just scored (score descending, row ascending on ties, `exclude` and `keep`
   * applied), as `rank` would pick them from all of them: only those are copied out of the per-row arrays (at 1M
   * a query touches most papers, and copying every one's score cost ~14 bytes a paper in new arrays).
   */
  private best(count: number, k: number, terms: WeightedTerm[], data: (TermData | undefined)[], exclude?: Set<number>, keep?: (row: number) => boolean): Scored {
    const { scores, matched, touched } = this;
    // Kept sorted best first by insertion; most rows fail the test against the last.
    const rows: number[] = [];
    const values: number[] = [];
    for (let i = 0; i < (k > 0 ? count : 0); i++) {
      const row = touched[i];
      const value = scores[row] * matched[row];
      const full = rows.length === k;
      if (full && (value < values[k - 1] || (value === values[k - 1] && row > rows[k - 1]))) continue;
      if (exclude?.has(row) || (keep && !keep(row))) continue;
      let at = full ? k - 1 : rows.length;
      while (at > 0 && (value > values[at - 1] || (value === values[at - 1] && row < rows[at - 1]))) {
        rows[at] = rows[at - 1];
        values[at] = values[at - 1];
        at--;
      }
      rows[at] = row;
      values[at] = value;
      if (rows.length > k) {
        rows.length = k;
        values.length = k;
      }
    }
    return {
      rows: Uint32Array.from(rows),
      scores: Float64Array.from(values),
      matched: Uint16Array.from(rows, (row) => matched[row]),
      terms,
      data,
    };
  }

  /** The k best scored rows (score descending, row ascending on ties), with their terms and coverage. */
  private rank(
    scored: Scored,
    k: number,
    weights: ReadonlyMap<string, number> | undefined,
    exclude?: Set<number>,
    keep?: (row: number) => boolean,
  ): ChunkedHit[] {
    const { rows, scores } = scored;
    // Indices into rows/scores of the best so far, kept sorted by insertion.
    const best: number[] = [];
    const better = (a: number, b: number) => scores[a] > scores[b] || (scores[a] === scores[b] && rows[a] < rows[b]);
    for (let i = 0; i < rows.length; i++) {
      if (exclude?.has(rows[i]) || (keep && !keep(rows[i]))) continue;
      if (best.length === k && !better(i, best[k - 1])) continue;
      let at = best.length < k ? best.length : k - 1;
      best[at] = i;
      while (at > 0 && better(best[at], best[at - 1])) {
        [best[at], best[at - 1]] = [best[at - 1], best[at]];
        at--;
      }
    }
    let total = 0;
    for (const weight of weights?.values() ?? []) total += weight;
    return best.map((i) => {
      const row = rows[i];
      const terms = scored.terms.filter((_, t) => scored.data[t]?.fields.some((postings) => contains(postings.rows, row))).map((t) => t.term);
      const covered = terms.reduce((sum, term) => sum + (weights?.get(term) ?? 0), 0);
      const coverage = weights === undefined ? 1 : total > 0 ? covered / total : 0;
      return { row, score: scores[i], terms, coverage };
    });
  }

  private bucket(index: number): Promise<Bucket> {
    return this.bucketCache.get(index, async () => {
      const bytes = await this.buckets.read(index);
      const name = `${this.section.buckets.prefix}${index}`;
      const reader = new ByteReader(bytes, name);
      const decoder = new TextDecoder();
      const entries = new Map<string, BucketEntry>();
      const count = reader.varint();
      for (let i = 0; i < count; i++) {
        const term = decoder.decode(reader.take(reader.varint()));
        const documents = reader.varint();
        const big = reader.varint();
        if (big > 0) {
          entries.set(term, { documents, at: -big });
        } else {
          entries.set(term, { documents, at: reader.offset });
          skipPostings(reader);
        }
      }
      return { entries, bytes, name };
    });
  }

  private async entry(term: string): Promise<{ entry: BucketEntry; bucket: Bucket } | undefined> {
    const bucket = await this.bucket(hash32(term) % this.section.buckets.count);
    const entry = bucket.entries.get(term);
    return entry && { entry, bucket };
  }

  private async termData(term: string): Promise<TermData | undefined> {
    // A listed big term's postings are read beside its bucket, not once the bucket has said where they are.
    const listed = this.bigFileOf.get(term);
    const early = listed === undefined ? undefined : this.bigPostings(listed);
    early?.catch(() => {});
    const found = await this.entry(term);
    if (!found) return undefined;
    const { entry, bucket } = found;
    if (entry.at < 0) {
      const file = -entry.at - 1;
      const postings = await (file === listed && early ? early : this.bigPostings(file));
      return { documents: entry.documents, ...postings };
    }
    return { documents: entry.documents, ...decodeTerm(bucket.bytes, entry.at, bucket.name, this.section.documentCount) };
  }

  private bigPostings(file: number): Promise<TermPostings> {
    return this.bigCache.get(file, async () => decodeTerm(await this.bigTerms.read(file), 0, `${this.section.bigTerms.prefix}${file}`, this.section.documentCount));
  }

  private vocabularyGroup(group: number): Promise<[string, number][]> {
    return this.vocabularyCache.get(group, async () => JSON.parse(new TextDecoder().decode(await this.vocabulary.read(group))) as [string, number][]);
  }
}

/** The query `search` scores a typed query by: its index terms, a repeated one weighted by its count. */
function typedTerms(query: string): WeightedTerm[] {
  const multiplicity = new Map<string, number>();
  for (const term of analyze(query)) multiplicity.set(term, (multiplicity.get(term) ?? 0) + 1);
  return [...multiplicity].map(([term, times]) => ({ term, weight: times }));
}

/**
 * A term's postings, both fields, from `at` in `bytes`, with the bitset of the papers containing it. Varints are
 * decoded inline, not by ByteReader calls: a common term's file holds two per posting, up to two postings a paper.
 */
function decodeTerm(bytes: Uint8Array, at: number, name: string, n: number): TermPostings {
  const papers = new Uint32Array((n + 31) >>> 5);
  let offset = at;
  const truncated = () => new PapersiftError('artifacts-format', `${name} ends in the middle of a number`, { file: name });
  const fields = [0, 1].map(() => {
    let count = 0;
    for (let scale = 1; ; scale *= 128) {
      if (offset >= bytes.length) throw truncated();
      const byte = bytes[offset++];
      count += (byte & 0x7f) * scale;
      if (byte < 0x80) break;
    }
    if (count > n) throw new PapersiftError('artifacts-format', `${name} lists ${count} postings for ${n} papers`, { file: name });
    const rows = new Uint32Array(count);
    const tfs = new Uint16Array(count);
    let row = 0;
    for (let i = 0; i < count; i++) {
      let byte = 0;
      let delta = 0;
      for (let scale = 1; ; scale *= 128) {
        if (offset >= bytes.length) throw truncated();
        byte = bytes[offset++];
        delta += (byte & 0x7f) * scale;
        if (byte < 0x80) break;
      }
      let tf = 0;
      for (let scale = 1; ; scale *= 128) {
        if (offset >= bytes.length) throw truncated();
        byte = bytes[offset++];
        tf += (byte & 0x7f) * scale;
        if (byte < 0x80) break;
      }
      row += delta;
      if (row >= n || (delta === 0 && i > 0)) throw new PapersiftError('artifacts-format', `${name} lists row ${row} of ${n} out of order`, { file: name });
      rows[i] = row;
      tfs[i] = tf;
      papers[row >>> 5] |= 1 << (row & 31);
    }
    return { rows, tfs };
  }) as [Postings, Postings];
  return { fields, papers };
}

/** Set bits of a bitset. */
function popcount(bits: Uint32Array): number {
  let total = 0;
  for (let w = 0; w < bits.length; w++) {
    let v = bits[w];
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    total += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  return total;
}

function skipPostings(reader: ByteReader): void {
  // Two numbers a posting: counted by their last bytes (under 0x80), not decoded.
  const { bytes } = reader;
  for (let field = 0; field < 2; field++) {
    let left = reader.varint() * 2;
    let offset = reader.offset;
    while (left > 0) {
      if (offset >= bytes.length) {
        reader.offset = offset;
        reader.varint(); // throws: the bucket ends in the middle of a number
      }
      if (bytes[offset++] < 0x80) left--;
    }
    reader.offset = offset;
  }
}

/** Whether an ascending row list holds a row (binary search). */
function contains(rows: Uint32Array, row: number): boolean {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] === row) return true;
    if (rows[mid] < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
