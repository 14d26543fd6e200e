/**
 * The engine over a format-3 set: the same searches and result shape as SearchEngine (search.ts), over
 * three readers that fetch what a query needs (papers.ts, lexical/chunked.ts, the vector reader). Nothing
 * here knows where files come from: the readers are given a FileSource (the chunk store in the browser,
 * a folder in Node).
 *
 * What a query costs: its terms' postings buckets, the row shards of the vector shortlist (re-rank) and
 * of the hits (relevance needs each hit's full cosine), and the text shards of the hits alone.
 *
 * Hybrid search's feedback step (hybrid.ts: the query moved towards its first three fused papers, searched again)
 * re-ranks the first query's shortlist with the moved query rather than walking the graph for a new one: the
 * moved query's nearest rows are in it (top 10 against a 4× wider shortlist walked again: 0.998 of the hits at
 * 10k, 0.995 at 100k; walking again: 1.000) and the walk was half of a hybrid query's time (docs/BENCHMARKS.md).
 * Those fusion-only searches leave out the shortlist's rows that are alone in their row shard (FUSION_SHORTLIST).
 *
 * The user's own papers are not written into the set: format3/your-papers.ts keeps them beside it and
 * gives this engine readers that answer for both (rows past the set's are theirs).
 *
 * Dims and adaptive (the Dimensions control): the set has one graph, over a 64-d prefix, and its search
 * always shortlists by it and re-ranks at full dims: that *is* adaptive search, so `adaptive` (at any
 * dims) and full dims both answer so, and say `dims: 64, adaptive: true`. Searching at d dims without
 * adaptive walks the same graph and ranks the shortlist by cosine over the first d rotated dims of the
 * rows (the rotation is a PCA, so a prefix is meaningful), as format 2 ranks at d dims; it says `dims: d`.
 *
 * Not offered here (a format-3 set has no mutable graph and no eager paper list): author-name queries.
 */
import { INDEX_PREFIXES } from '../build';
import { PapersiftError } from '../errors';
import { describeFilter, isActiveFilter, SORT_ORDERS, sortByDate, type Facets, type PaperFilter, type SortOrder } from '../filter';
import { FUSION_DEPTH, fuseHybrid, hybridSearchAsync } from '../hybrid/hybrid';
import { smoothOverNeighbours } from '../hybrid/smooth';
import type { Scored } from '../hybrid/fuse';
import { applyCorrections, type Correction, type KeywordMatches } from '../lexical';
import { paperTerms } from '../lexical/analyzer';
import type { ChunkedHit, ChunkedLexicalIndex } from '../lexical/chunked';
import { calibrationsFor, type ModelCalibrations } from '../relevance/relevance';
import {
  annotatedByPaper,
  annotatedTyped,
  authorsFirst,
  checkQueryText,
  DEFAULT_K,
  DEFAULT_MODE,
  MAX_K,
  MAX_NAME_PARTS,
  nameParts,
  SEARCH_MODES,
  type SearchMode,
  type SearchOptions,
  type SearchResult,
} from '../search';
import type { Paper } from '../types';
import { dot, normaliseInPlace } from '../vectors';
import type { PapersReader, RowPreview } from './papers';
import { PhaseClock } from './phases';
import { Lru } from './sharded-files';
import type { VectorSearchOptions } from './reader';

/** What the engine needs of the vector side (format3/reader.ts's VectorSet has this shape). */
export interface VectorReader {
  readonly count: number;
  /** Full dims of the rows. */
  readonly dims: number;
  /** Dims of the prefix the graph walks (the shortlist's). */
  readonly prefixDims: number;
  /** A model embedding rotated into the rows' space (not re-normalised). */
  rotate(embedding: Float32Array): Float32Array;
  /** The k rows nearest a rotated unit query: shortlist on the prefix, re-rank at full dims. */
  search(query: Float32Array, k: number, options?: VectorSearchOptions): Promise<{ row: number; score: number }[]>;
  /** A row's rotated unit vector (fetches its row shard). */
  vector(row: number): Promise<Float32Array>;
}

/** What the engine reads of the papers (PapersReader, or format3/your-papers.ts's view with the user's papers). */
export type PapersSide = Pick<PapersReader, 'count' | 'facets' | 'paper' | 'papers' | 'rowOf' | 'matcher'> &
  Partial<Pick<PapersReader, 'holdTitles' | 'holdsText' | 'preview' | 'titlesHeld'>> & {
    /** Changes whenever rows are added or removed, so counted filters and facets are counted again. */
    readonly revision?: number;
  };

/**
 * A typed search's hits in their final order, before their text: what the page shows while the hits' text shards
 * are read (Format3Engine.searchText's `onRanked`).
 */
export interface RankedHits {
  mode: SearchMode;
  hits: (RowPreview & { row: number; score: number })[];
}

/** What the engine reads of the keyword index (ChunkedLexicalIndex, or the view with the user's papers). */
export type LexicalSide = Pick<ChunkedLexicalIndex, 'documentCount' | 'documentFrequency' | 'queryTermWeights' | 'search' | 'similar' | 'suggestCorrections'>;

export interface Format3Readers {
  /** The model the vectors were made with: relevance is calibrated per model. */
  modelId: string;
  papers: PapersSide;
  lexical: LexicalSide;
  vectors: VectorReader;
  /** Which rows list an author with given name parts (format3/authors.ts); absent in sets built before it. */
  authors?: AuthorReader;
}

/** What the engine needs of the author index (format3/authors.ts's AuthorIndex has this shape). */
export interface AuthorReader {
  readonly hasAuthors: boolean;
  rowsWithAll(parts: readonly string[]): Promise<number[]>;
}

type Ranked = Omit<SearchResult, 'sort' | 'matching'>;

/** Papers whose index terms the engine keeps (Format3Engine.termsOf): ~50 searches' hits, a few MB. */
export const TERMS_MEMO_PAPERS = 512;

/**
 * Ranks past the page whose text is read ahead once a typed search has answered (Format3Engine.readAhead): a query
 * refined by one more word mostly draws its new hits from them (docs/BENCHMARKS.md, "Reading the text ahead").
 */
export const READ_AHEAD_RANKS = 20;
/** Reads Format3Engine.readAhead keeps in flight at once. */
export const READ_AHEAD_LANES = 2;

export interface Format3EngineOptions {
  /**
   * Hybrid search walks the graph again for the query moved towards its first results (the feedback step), as
   * it did before 2 December 2026; by default it re-ranks the first query's shortlist instead (see the class comment).
   */
  walkForFeedback?: boolean;
  /** Papers whose index terms are kept for annotating hits (default TERMS_MEMO_PAPERS). */
  termsMemoPapers?: number;
  /**
   * How a vector search whose ranks only feed fusion (hybrid, typed or similar) walks and re-ranks; default
   * FUSION_SHORTLIST. Semantic answers use the set's own shortlist.
   */
  fusion?: Pick<VectorSearchOptions, 'shortlist' | 'ef' | 'minShardRows' | 'keepBest' | 'headKeep'>;
  /** Ranks past the page that readAhead reads the text of (default READ_AHEAD_RANKS; 0: none). */
  readAheadRanks?: number;
  /**
   * More reads for idle time, run by readAhead once the text is read (the worker's: the keyword index held whole,
   * ChunkedLexicalIndex.hold); `stopped` turns true as readAhead would stop.
   */
  idleReads?: (stopped: () => boolean) => Promise<unknown>;
}

/**
 * Vector searches whose ranks only feed fusion (hybrid) skip the refine step: it orders near-ties (cosines ~1e-4
 * apart) that rank fusion does not tell apart, and would cost a second read of refine files per cold search.
 * Semantic answers (typed, similar, related) are refined: their order is the answer.
 */
const FUSION_ONLY = { refine: 0 } as const;

/**
 * How fusion-only vector searches walk and re-rank unless Format3EngineOptions.fusion says otherwise: the set's walk,
 * without the rows alone in their row shard (past the prefix's best 100). Those rows cost one file each and their
 * ranks only feed fusion: hybrid top 10 against re-ranking every row, the 55 typed queries of bench/format3-rows.ts,
 * 0.9945 of the hits at 10k, 1.0000 at 100k, 0.9891 at 1M, for 23% / 23% / 38% fewer row shards a cold search reads
 * (docs/BENCHMARKS.md, "The vector side's reads"). Semantic answers re-rank every row of the shortlist.
 */
export const FUSION_SHORTLIST: NonNullable<Format3EngineOptions['fusion']> = { minShardRows: 2 };

/** What ranks the vector side: the first `dims` rotated dims, or (undefined) the prefix shortlist re-ranked at full dims. */
interface VectorView {
  dims: number | undefined;
}

interface Scope {
  key: string;
  keep: (row: number) => boolean;
  matching: number;
}

export class Format3Engine {
  private scopeCache?: Scope;
  /**
   * The index terms (paperTerms) of the papers of recent hits: analysing a hit's title and abstract was most of
   * annotating a search (~0.1 ms a paper), and a refined query's hits are mostly the last ones. Keyed by the
   * paper object the papers reader keeps decoded, bounded by count (a paper's terms are a few KB).
   */
  private readonly termsMemo: Lru<Paper, ReadonlySet<string>>;
  private readonly termsOf = (paper: Paper): ReadonlySet<string> => {
    let terms = this.termsMemo.get(paper);
    if (!terms) {
      terms = paperTerms(paper);
      this.termsMemo.set(paper, terms);
    }
    return terms;
  };
  private facetCache?: { revision: number; facets: Facets };
  /** The options of a vector search whose ranks only feed fusion. */
  private readonly fusionOnly: VectorSearchOptions;
  private readonly calibrations: ModelCalibrations | undefined;
  /** Counts typed searches begun and stopReadAhead calls: a read-ahead stops when this has moved since it started. */
  private searchesBegun = 0;
  /** The rows past the page of the last typed search, best first, whose text readAhead reads. */
  private nextRows: readonly number[] = [];

  constructor(
    private readonly readers: Format3Readers,
    private readonly options: Format3EngineOptions = {},
  ) {
    const { papers, lexical, vectors } = readers;
    if (papers.count !== vectors.count || lexical.documentCount !== vectors.count) {
      throw new PapersiftError(
        'artifacts-format',
        `The set's parts disagree on its size: ${papers.count} papers, ${lexical.documentCount} in the keyword index, ${vectors.count} vectors`,
      );
    }
    this.calibrations = calibrationsFor(readers.modelId);
    this.termsMemo = new Lru(options.termsMemoPapers ?? TERMS_MEMO_PAPERS);
    this.fusionOnly = { ...FUSION_ONLY, ...(options.fusion ?? FUSION_SHORTLIST) };
  }

  get count(): number {
    return this.readers.vectors.count;
  }

  get dims(): number {
    return this.readers.vectors.dims;
  }

  /** The truncated dims the Dimensions control offers (full dims aside): format 2's graph sizes, searched as the class comment says. */
  get dimsChoices(): number[] {
    return INDEX_PREFIXES.filter((d) => d < this.dims);
  }

  /** Years and categories of the whole collection, from the eager catalog (counted once). */
  facets(): Facets {
    const revision = this.readers.papers.revision ?? 0;
    if (this.facetCache?.revision !== revision) this.facetCache = { revision, facets: this.readers.papers.facets() };
    return this.facetCache.facets;
  }

  /** The paper with this id; unknown ids are an 'unknown-paper' error. */
  async paper(id: string): Promise<Paper> {
    return this.readers.papers.paper(await this.rowOf(id));
  }

  async rowOf(id: string): Promise<number> {
    const key = id.trim();
    const row = await this.readers.papers.rowOf(key);
    if (row === undefined) throw new PapersiftError('unknown-paper', `No paper with id "${key.length > 120 ? `${key.slice(0, 120)}…` : key}"`, { input: key });
    return row;
  }

  /**
   * A typed query with its raw model embedding; with none yet (the model is loading) it answers by
   * keywords and says so in `mode`, as SearchEngine.searchText does.
   */
  async searchText(
    text: string,
    embedding: Float32Array | null,
    options: SearchOptions = {},
    /**
     * Called with the hits in their final order before their text is read, when every hit's title is held
     * (readAhead holds them) and some hit's text shard is not: the page shows them while the shards come.
     */
    onRanked?: (ranked: RankedHits) => void,
  ): Promise<SearchResult> {
    const typed = checkQueryText(text);
    const phases = new PhaseClock();
    const { k, sort, view } = this.resolve(options);
    this.searchesBegun++;
    this.nextRows = [];
    const readAheadRanks = this.options.readAheadRanks ?? READ_AHEAD_RANKS;
    const past = (ranked: readonly { row: number }[]) => ranked.slice(k, k + readAheadRanks).map((s) => s.row);
    const mode: SearchMode = embedding ? (options.mode ?? DEFAULT_MODE) : 'lexical';
    const scope = this.scopeOf(options.filter);
    const keep = scope?.keep;
    const rotated = embedding ? this.rotate(embedding) : null;
    const { lexical } = this.readers;
    const depth = Math.max(k, FUSION_DEPTH);
    let query = typed;
    // The keyword side, the vector side's first search and the author lookup start together: their file reads
    // (postings buckets, row shards, author buckets) overlap, and fusion waits for both sides anyway.
    const keywordFirst = lexical.search(query, depth, undefined, keep);
    let firstShortlist: readonly number[] | undefined;
    const semanticFirst =
      rotated && mode !== 'lexical'
        ? this.nearest(rotated, mode === 'semantic' ? k : depth, keep, view, phases, {
            onShortlist: (rows) => (firstShortlist = rows),
            ...(mode === 'semantic' ? {} : this.fusionOnly),
          })
        : undefined;
    const authorRows = this.authorRows(typed, keep);
    // Awaited below; until then a failure must not count as unhandled.
    semanticFirst?.catch(() => {});
    authorRows?.catch(() => {});
    let found = await phases.wait('keyword', keywordFirst);
    // As SearchEngine: a query no paper has a word of is most often mistyped.
    const corrections: Correction[] =
      found.matches.any === 0 && !(await phases.wait('keyword', this.hasWordsOrAuthor(typed, keep !== undefined)))
        ? await phases.wait('keyword', lexical.suggestCorrections(typed, (rows) => this.readers.papers.papers(rows)))
        : [];
    if (corrections.length > 0) {
      query = applyCorrections(typed, corrections);
      found = await phases.wait('keyword', lexical.search(query, depth, undefined, keep));
    }
    const extra = { keywordMatches: found.matches as KeywordMatches, ...(corrections.length > 0 ? { correctedQuery: query, corrections } : {}) };
    let ranked: Ranked;
    if (mode === 'lexical' || !rotated) {
      ranked = this.ranked('lexical', found.hits.slice(0, k), view);
      this.nextRows = past(found.hits);
    } else if (mode === 'semantic') {
      ranked = this.ranked('semantic', await (semanticFirst as Promise<Scored[]>), view);
    } else {
      const fused = await hybridSearchAsync({
        lexical: found.hits,
        query: rotated,
        first: semanticFirst,
        vectorsOf: (rows) => phases.wait('feedback', this.vectorsOf(rows)),
        // The query moved towards its first results is ranked over the first query's shortlist, not walked for again.
        searchVector: (v) => this.nearest(v, depth, keep, view, phases, this.options.walkForFeedback || !firstShortlist ? this.fusionOnly : { ...FUSION_ONLY, candidates: firstShortlist }),
        fuse: (fuse) => phases.time('fusion', fuse),
      });
      ranked = this.ranked('hybrid', fused.slice(0, k), view);
      this.nextRows = past(fused);
    }
    // A query naming an author is re-ordered once its papers' text is read: no order to show before that.
    if (onRanked && sort === 'relevance' && (!authorRows || (await phases.wait('authors', authorRows)).length === 0)) {
      const preview = this.preview(ranked);
      if (preview) onRanked(preview);
    }
    const annotated = await this.annotateTyped({ ...ranked, ...extra }, query, rotated, phases);
    const result = authorRows ? await phases.wait('authors', this.byAuthorFirst(annotated, typed, k, authorRows)) : annotated;
    return { ...this.finish(result, sort, scope), phases: phases.rounded() };
  }

  /**
   * Stops a read-ahead in progress after the reads it has in flight: the worker calls it as a search request
   * arrives, before the query is embedded, so that by the time the search reads its own files the read-ahead's
   * are done (a search begun also stops it, as searchText does).
   */
  /** Whether every title is held (readAhead holds them): searches then send their ranked titles ahead (`onRanked`). */
  get titlesHeld(): boolean {
    return this.readers.papers.titlesHeld ?? false;
  }

  stopReadAhead(): void {
    this.searchesBegun++;
  }

  /**
   * Reads the text of the last typed search's ranks past the page (READ_AHEAD_RANKS of them), best first, for the
   * query a visitor refines next: called once its answer is on its way (the worker, after replying), never before,
   * so the bytes before a first result do not grow. Reads go READ_AHEAD_LANES at a time (one at a time took ~0.3 s
   * for 17 shards from a local host at load 7–10, and a network's latency adds to each), and stop as soon as another
   * typed search begins, so at most READ_AHEAD_LANES reads of its own are in flight beside that search's. Before
   * them, the same way, it reads the titles to hold until all are (PapersReader.holdTitles): from then on every
   * search shows its ranked titles without waiting for text (`onRanked`), which the text read ahead only does for
   * the next search. Then, still until a search begins, the options' idleReads (the worker's: the keyword index
   * held whole). Resolves with the rows whose text it read; a failed read (offline) ends it quietly.
   */
  async readAhead(): Promise<number> {
    const begun = this.searchesBegun;
    const rows = this.nextRows;
    this.nextRows = [];
    const { papers } = this.readers;
    // Awaited only while there are titles to read: the text's first reads start at once, before a search can begin.
    if (papers.holdTitles && !papers.titlesHeld) {
      await papers.holdTitles(() => this.searchesBegun !== begun, undefined, READ_AHEAD_LANES).catch(() => false);
      if (this.searchesBegun !== begun) return 0;
    }
    let next = 0;
    let done = 0;
    let failed = false;
    const lane = async () => {
      while (next < rows.length && !failed && this.searchesBegun === begun) {
        const row = rows[next++];
        try {
          // A row whose shard is held, or on its way for another row, costs no read of its own.
          await this.readers.papers.papers([row]);
          done++;
        } catch {
          failed = true;
        }
      }
    };
    await Promise.all(Array.from({ length: READ_AHEAD_LANES }, lane));
    const stopped = () => this.searchesBegun !== begun;
    if (this.options.idleReads && !stopped()) await this.options.idleReads(stopped).catch(() => {});
    return done;
  }

  /**
   * Whether a query that matched no paper in scope is still made of real words, so it must not be corrected:
   * some paper outside the filter has one of its words, or it names an author (whose name need not be in any text).
   */
  private async hasWordsOrAuthor(query: string, filtered: boolean): Promise<boolean> {
    const parts = nameParts(query);
    const authors = this.readers.authors;
    if (authors?.hasAuthors && parts.length > 0 && parts.length <= MAX_NAME_PARTS && (await authors.rowsWithAll(parts)).length > 0) return true;
    return filtered && (await this.readers.lexical.search(query, 1)).matches.any > 0;
  }

  /** Whether the set lists authors: without them a name is searched only as words. */
  get hasAuthors(): boolean {
    return this.readers.authors?.hasAuthors ?? false;
  }

  /**
   * As SearchEngine.byAuthorFirst: when every word of a short query is part of one author's name, that
   * author's papers first. The author index gives the rows with every part; the papers of the first of
   * them (by rank, then row) are read to check one author has them all, and to show them.
   */
  private async byAuthorFirst(result: Ranked, query: string, k: number, authorRows: Promise<number[]>): Promise<Ranked> {
    const parts = nameParts(query);
    const rows = await authorRows;
    if (rows.length === 0) return result;
    const ranked = new Map(result.hits.map((h, i) => [h.row, i]));
    rows.sort((a, b) => (ranked.get(a) ?? Infinity) - (ranked.get(b) ?? Infinity) || a - b);
    // Twice the page: the parts of a query may belong to two co-authors of a paper, which is then not shown.
    const checked = rows.slice(0, 2 * k);
    const papers = await this.readers.papers.papers(checked);
    const authorOf = new Map<number, string>();
    checked.forEach((row, i) => {
      const author = (papers[i].authors ?? []).find((a) => parts.every((p) => nameParts(a).includes(p)));
      if (author !== undefined) authorOf.set(row, author);
    });
    const matched = checked.filter((row) => authorOf.has(row));
    const paperOf = new Map(checked.map((row, i) => [row, papers[i]]));
    // Rows past the checked ones are counted, not read: a near-exact count of the author's papers.
    const count = matched.length + rows.length - checked.length;
    return authorsFirst(result, matched, (row) => authorOf.get(row) as string, k, (row) => ({ paper: paperOf.get(row) as Paper, row, score: 0 }), count);
  }

  /** The rows (in the filter) that list an author with every word of a short query; undefined when the query cannot be a name. */
  private authorRows(query: string, keep: ((row: number) => boolean) | undefined): Promise<number[]> | undefined {
    const authors = this.readers.authors;
    const parts = nameParts(query);
    if (!authors?.hasAuthors || parts.length === 0 || parts.length > MAX_NAME_PARTS) return undefined;
    return authors.rowsWithAll(parts).then((rows) => rows.filter((row) => keep?.(row) ?? true));
  }

  /** Papers nearest to a paper of the collection (by id), the paper itself left out. */
  async similar(id: string, options: SearchOptions = {}): Promise<SearchResult> {
    const source = await this.rowOf(id);
    const [paper, rotated] = await Promise.all([this.readers.papers.paper(source), this.readers.vectors.vector(source)]);
    return this.neighbours(rotated, paper, source, options);
  }

  /**
   * Papers related to a paper the set does not hold (pasted title and abstract), ranked as `similar` ranks
   * a held paper's neighbours; `embedding` is its raw model embedding made as a document's (as SearchEngine.related).
   */
  async related(paper: Pick<Paper, 'title' | 'abstract'>, embedding: Float32Array, options: SearchOptions = {}): Promise<SearchResult> {
    return this.neighbours(this.rotate(embedding), paper, undefined, options);
  }

  /** Neighbours of a paper-shaped query (its rotated vector and distinctive terms); `source`, its row when held, left out. */
  private async neighbours(rotated: Float32Array, paper: Pick<Paper, 'title' | 'abstract'>, source: number | undefined, options: SearchOptions): Promise<SearchResult> {
    const mode = options.mode ?? DEFAULT_MODE;
    const { k, sort, view } = this.resolve(options);
    const scope = this.scopeOf(options.filter);
    const keep = (row: number) => row !== source && (scope?.keep(row) ?? true);
    const depth = Math.max(k, FUSION_DEPTH);
    let ranked: Ranked;
    if (mode === 'semantic') ranked = this.ranked('semantic', await this.nearest(rotated, k, keep, view), view);
    else {
      const lexicalHits = await this.readers.lexical.similar(paper, depth, source, scope?.keep);
      if (mode === 'lexical') ranked = this.ranked('lexical', lexicalHits.slice(0, k), view);
      else {
        // As SearchEngine: neighbour smoothing over the fused candidates (hybrid/smooth.ts), whose vectors are read for it.
        const candidates = fuseHybrid(lexicalHits, await this.nearest(rotated, depth, keep, view, undefined, this.fusionOnly)).slice(0, depth);
        const smoothed = smoothOverNeighbours(candidates, await this.vectorsOf(candidates.map((s) => s.row)), this.dims, depth);
        ranked = this.ranked('hybrid', smoothed.slice(0, k), view);
      }
    }
    return this.finish(await this.annotatePaper(ranked, paper, rotated), sort, scope);
  }

  /** Rows nearest a rotated query through the vector reader, as fusion candidates. */
  private nearest(
    rotated: Float32Array,
    k: number,
    keep: ((row: number) => boolean) | undefined,
    view: VectorView,
    phases?: PhaseClock,
    shortlist: Pick<VectorSearchOptions, 'candidates' | 'onShortlist' | 'refine' | 'shortlist' | 'ef' | 'minShardRows' | 'keepBest' | 'headKeep'> = {},
  ): Promise<Scored[]> {
    return this.readers.vectors.search(rotated, k, {
      ...shortlist,
      ...(keep ? { keep } : {}),
      ...(view.dims !== undefined ? { dims: view.dims } : {}),
      ...(phases ? { phases } : {}),
    });
  }

  private async vectorsOf(rows: readonly number[]): Promise<Float32Array> {
    const dims = this.dims;
    const out = new Float32Array(rows.length * dims);
    (await Promise.all(rows.map((row) => this.readers.vectors.vector(row)))).forEach((v, i) => out.set(v, i * dims));
    return out;
  }

  private rotate(embedding: Float32Array): Float32Array {
    if (embedding.length !== this.dims) throw new PapersiftError('invalid-option', `Expected a ${this.dims}-d embedding, got ${embedding.length}`);
    const rotated = this.readers.vectors.rotate(embedding);
    normaliseInPlace(rotated);
    return rotated;
  }

  /** The ranked hits with their held titles, when every title is held and some hit's text is not. */
  private preview(ranked: Ranked): RankedHits | undefined {
    const papers = this.readers.papers;
    const rows = ranked.hits.map((hit) => hit.row);
    if (rows.length === 0 || !papers.preview || !papers.holdsText || papers.holdsText(rows)) return undefined;
    const hits: RankedHits['hits'] = [];
    for (const { row, score } of ranked.hits) {
      const shown = papers.preview(row);
      if (!shown) return undefined;
      hits.push({ ...shown, row, score });
    }
    return { mode: ranked.mode, hits };
  }

  /** Hits without papers yet (annotate fetches them all at once). */
  private ranked(mode: SearchMode, scored: readonly (Scored | ChunkedHit)[], view: VectorView): Ranked {
    const { vectors } = this.readers;
    const semantic = mode !== 'lexical';
    return {
      mode,
      hits: scored.map(({ row, score }) => ({ paper: undefined as unknown as Paper, row, score })),
      // Without a dims of its own, the vector side shortlists at the prefix and re-ranks at full dims: adaptive.
      dims: !semantic ? vectors.dims : (view.dims ?? vectors.prefixDims),
      adaptive: semantic && view.dims === undefined,
      reranked: 0,
      distanceEvaluations: 0,
    };
  }

  /** Papers, full cosines and the reader's extras for the hits (as SearchEngine.annotateTyped). */
  private async annotateTyped(result: Ranked, query: string, rotated: Float32Array | null, phases: PhaseClock): Promise<Ranked> {
    const { lexical } = this.readers;
    const rows = result.hits.map((h) => h.row);
    // The hits' text and rows are read while the query's term weights are looked up (their buckets mostly read already).
    const [[weights, share], papers, cosines] = await Promise.all([
      phases.wait(
        'termWeights',
        lexical.queryTermWeights(query).then(async (weights) => [weights, await this.shares(weights.keys())] as const),
      ),
      phases.wait('text', this.readers.papers.papers(rows)),
      rotated ? phases.wait('hitRows', this.cosines(rotated, rows)) : null,
    ]);
    return phases.time('annotate', () => annotatedTyped(this.withPapers(result, papers), weights, cosines, share, this.calibrations, this.termsOf));
  }

  private withPapers(result: Ranked, papers: Paper[]): Ranked {
    return { ...result, hits: result.hits.map((hit, i) => ({ ...hit, paper: papers[i] })) };
  }

  /** The same for a paper as the query (as SearchEngine.annotatePaper). */
  private async annotatePaper(result: Ranked, source: Pick<Paper, 'title' | 'abstract'>, rotated: Float32Array): Promise<Ranked> {
    const sourceTerms = paperTerms(source);
    const share = await this.shares(sourceTerms);
    const rows = result.hits.map((h) => h.row);
    const [papers, cosines] = await Promise.all([this.readers.papers.papers(rows), this.cosines(rotated, rows)]);
    return annotatedByPaper(this.withPapers(result, papers), sourceTerms, cosines, share, this.calibrations, this.termsOf);
  }

  private async cosines(rotated: Float32Array, rows: readonly number[]): Promise<number[]> {
    const vectors = await Promise.all(rows.map((row) => this.readers.vectors.vector(row)));
    return vectors.map((v) => dot(rotated, v));
  }

  /** documentShare for these terms (their buckets are fetched, most already by the search), as a lookup. */
  private async shares(terms: Iterable<string>): Promise<(term: string) => number> {
    const { lexical } = this.readers;
    const list = [...terms];
    const dfs = await Promise.all(list.map((t) => lexical.documentFrequency(t)));
    const byTerm = new Map(list.map((t, i) => [t, dfs[i] / Math.max(1, lexical.documentCount)]));
    return (term) => byTerm.get(term) ?? 0;
  }

  private finish(result: Ranked, sort: SortOrder, scope: Scope | undefined): SearchResult {
    const hits = sort === 'date' ? sortByDate(result.hits) : result.hits;
    return { ...result, hits, sort, ...(scope ? { matching: scope.matching } : {}) };
  }

  /** The rows a filter keeps, counted once per filter; one that keeps none is refused as SearchEngine does. */
  private scopeOf(filter: PaperFilter | undefined): Scope | undefined {
    if (!isActiveFilter(filter)) return undefined;
    const key = JSON.stringify([filter.yearFrom, filter.yearTo, filter.category?.trim(), this.count, this.readers.papers.revision ?? 0]);
    if (this.scopeCache?.key !== key) {
      const matches = this.readers.papers.matcher(filter);
      const mask = new Uint8Array(this.count);
      let matching = 0;
      for (let row = 0; row < this.count; row++) {
        if (matches(row)) {
          mask[row] = 1;
          matching++;
        }
      }
      this.scopeCache = { key, keep: (row) => mask[row] === 1, matching };
    }
    if (this.scopeCache.matching === 0) {
      throw new PapersiftError('no-match', `No paper in this collection matches ${describeFilter(filter)} (of ${this.count} papers)`, {
        filter,
        papers: this.count,
      });
    }
    return this.scopeCache;
  }

  private resolve(options: SearchOptions): { k: number; sort: SortOrder; view: VectorView } {
    const k = options.k ?? DEFAULT_K;
    if (options.mode !== undefined && !SEARCH_MODES.includes(options.mode)) {
      throw new PapersiftError('invalid-option', `mode must be one of ${SEARCH_MODES.join(', ')}; got ${String(options.mode)}`);
    }
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new PapersiftError('invalid-option', `k must be a whole number from 1 to ${MAX_K}; got ${options.k}`);
    const dims = options.dims ?? this.dims;
    if (!Number.isInteger(dims) || dims < 1 || dims > this.dims) {
      throw new PapersiftError('invalid-option', `dims must be a whole number from 1 to ${this.dims}; got ${options.dims}`);
    }
    const sort = options.sort ?? 'relevance';
    if (!SORT_ORDERS.includes(sort)) throw new PapersiftError('invalid-option', `sort must be one of ${SORT_ORDERS.join(', ')}; got ${String(options.sort)}`);
    // Adaptive (shortlist low, re-rank full) is what the set's search does anyway, whatever dims it is asked at.
    return { k, sort, view: { dims: options.adaptive || dims === this.dims ? undefined : dims } };
  }
}
