/**
 * The engine over a format-3 set: the same searches and result shape as SearchEngine (search.ts), over
 * three readers that fetch what a query needs (papers.ts, lexical/chunked.ts, the vector reader). Nothing
 * here knows where files come from: the readers are given a FileSource (the chunk store in the browser,
 * a folder in Node).
 *
 * What a query costs: its terms' postings buckets, the row shards of the vector shortlist (re-rank) and
 * of the hits (relevance needs each hit's full cosine), and the text shards of the hits alone.
 *
 * The user's own papers are not written into the set: format3/your-papers.ts keeps them beside it and
 * gives this engine readers that answer for both (rows past the set's are theirs).
 *
 * Not offered here (a format-3 set has no mutable graph and no eager paper list): author-name queries,
 * and choosing dims or adaptive search (the set has one prefix graph and always re-ranks at full dims).
 * Callers say so in visitor words (FORMAT3_UNAVAILABLE).
 */
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
  checkQueryText,
  DEFAULT_K,
  DEFAULT_MODE,
  MAX_K,
  SEARCH_MODES,
  type SearchMode,
  type SearchOptions,
  type SearchResult,
} from '../search';
import type { Paper } from '../types';
import { dot, normaliseInPlace } from '../vectors';
import type { PapersReader } from './papers';

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
  search(query: Float32Array, k: number, options?: { shortlist?: number; ef?: number; keep?: (row: number) => boolean }): Promise<{ row: number; score: number }[]>;
  /** A row's rotated unit vector (fetches its row shard). */
  vector(row: number): Promise<Float32Array>;
}

/** What the engine reads of the papers (PapersReader, or format3/your-papers.ts's view with the user's papers). */
export type PapersSide = Pick<PapersReader, 'count' | 'facets' | 'paper' | 'papers' | 'rowOf' | 'matcher'> & {
  /** Changes whenever rows are added or removed, so counted filters and facets are counted again. */
  readonly revision?: number;
};

/** What the engine reads of the keyword index (ChunkedLexicalIndex, or the view with the user's papers). */
export type LexicalSide = Pick<ChunkedLexicalIndex, 'documentCount' | 'documentFrequency' | 'queryTermWeights' | 'search' | 'similar' | 'suggestCorrections'>;

export interface Format3Readers {
  /** The model the vectors were made with: relevance is calibrated per model. */
  modelId: string;
  papers: PapersSide;
  lexical: LexicalSide;
  vectors: VectorReader;
}

/** What a format-3 site does not offer, in visitor words, by feature. */
export const FORMAT3_UNAVAILABLE = {
  dims: 'Choosing dimensions is not available for this collection: its index always shortlists by a short prefix and re-ranks at full dimensions.',
} as const;

type Ranked = Omit<SearchResult, 'sort' | 'matching'>;

interface Scope {
  key: string;
  keep: (row: number) => boolean;
  matching: number;
}

export class Format3Engine {
  private scopeCache?: Scope;
  private facetCache?: { revision: number; facets: Facets };
  private readonly calibrations: ModelCalibrations | undefined;

  constructor(private readonly readers: Format3Readers) {
    const { papers, lexical, vectors } = readers;
    if (papers.count !== vectors.count || lexical.documentCount !== vectors.count) {
      throw new PapersiftError(
        'artifacts-format',
        `The set's parts disagree on its size: ${papers.count} papers, ${lexical.documentCount} in the keyword index, ${vectors.count} vectors`,
      );
    }
    this.calibrations = calibrationsFor(readers.modelId);
  }

  get count(): number {
    return this.readers.vectors.count;
  }

  get dims(): number {
    return this.readers.vectors.dims;
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
  async searchText(text: string, embedding: Float32Array | null, options: SearchOptions = {}): Promise<SearchResult> {
    const typed = checkQueryText(text);
    const { k, sort } = this.resolve(options);
    const mode: SearchMode = embedding ? (options.mode ?? DEFAULT_MODE) : 'lexical';
    const scope = this.scopeOf(options.filter);
    const keep = scope?.keep;
    const rotated = embedding ? this.rotate(embedding) : null;
    const { lexical } = this.readers;
    const depth = Math.max(k, FUSION_DEPTH);
    let query = typed;
    let found = await lexical.search(query, depth, undefined, keep);
    // As SearchEngine: a query no paper has a word of is most often mistyped.
    const corrections: Correction[] = found.matches.any === 0 ? await lexical.suggestCorrections(typed, (rows) => this.readers.papers.papers(rows)) : [];
    if (corrections.length > 0) {
      query = applyCorrections(typed, corrections);
      found = await lexical.search(query, depth, undefined, keep);
    }
    const extra = { keywordMatches: found.matches as KeywordMatches, ...(corrections.length > 0 ? { correctedQuery: query, corrections } : {}) };
    let ranked: Ranked;
    if (mode === 'lexical' || !rotated) {
      ranked = this.ranked('lexical', found.hits.slice(0, k));
    } else if (mode === 'semantic') {
      ranked = this.ranked('semantic', await this.nearest(rotated, k, keep));
    } else {
      const fused = await hybridSearchAsync({
        lexical: found.hits,
        query: rotated,
        vectorsOf: (rows) => this.vectorsOf(rows),
        searchVector: (v) => this.nearest(v, depth, keep),
      });
      ranked = this.ranked('hybrid', fused.slice(0, k));
    }
    return this.finish(await this.annotateTyped({ ...ranked, ...extra }, query, rotated), sort, scope);
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
    const { k, sort } = this.resolve(options);
    const scope = this.scopeOf(options.filter);
    const keep = (row: number) => row !== source && (scope?.keep(row) ?? true);
    const depth = Math.max(k, FUSION_DEPTH);
    let ranked: Ranked;
    if (mode === 'semantic') ranked = this.ranked('semantic', await this.nearest(rotated, k, keep));
    else {
      const lexicalHits = await this.readers.lexical.similar(paper, depth, source, scope?.keep);
      if (mode === 'lexical') ranked = this.ranked('lexical', lexicalHits.slice(0, k));
      else {
        // As SearchEngine: neighbour smoothing over the fused candidates (hybrid/smooth.ts), whose vectors are read for it.
        const candidates = fuseHybrid(lexicalHits, await this.nearest(rotated, depth, keep)).slice(0, depth);
        const smoothed = smoothOverNeighbours(candidates, await this.vectorsOf(candidates.map((s) => s.row)), this.dims, depth);
        ranked = this.ranked('hybrid', smoothed.slice(0, k));
      }
    }
    return this.finish(await this.annotatePaper(ranked, paper, rotated), sort, scope);
  }

  /** Rows nearest a rotated query through the vector reader, as fusion candidates. */
  private nearest(rotated: Float32Array, k: number, keep: ((row: number) => boolean) | undefined): Promise<Scored[]> {
    return this.readers.vectors.search(rotated, k, keep ? { keep } : {});
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

  /** Hits without papers yet (annotate fetches them all at once). */
  private ranked(mode: SearchMode, scored: readonly (Scored | ChunkedHit)[]): Ranked {
    const { vectors } = this.readers;
    const semantic = mode !== 'lexical';
    return {
      mode,
      hits: scored.map(({ row, score }) => ({ paper: undefined as unknown as Paper, row, score })),
      // The vector side always shortlists at the prefix and re-ranks at full dims.
      dims: semantic ? vectors.prefixDims : vectors.dims,
      adaptive: semantic,
      reranked: 0,
      distanceEvaluations: 0,
    };
  }

  /** Papers, full cosines and the reader's extras for the hits (as SearchEngine.annotateTyped). */
  private async annotateTyped(result: Ranked, query: string, rotated: Float32Array | null): Promise<Ranked> {
    const { lexical } = this.readers;
    const weights = await lexical.queryTermWeights(query);
    const share = await this.shares(weights.keys());
    const rows = result.hits.map((h) => h.row);
    const [papers, cosines] = await Promise.all([this.readers.papers.papers(rows), rotated ? this.cosines(rotated, rows) : null]);
    return annotatedTyped(this.withPapers(result, papers), weights, cosines, share, this.calibrations);
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
    return annotatedByPaper(this.withPapers(result, papers), sourceTerms, cosines, share, this.calibrations);
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

  private resolve(options: SearchOptions): { k: number; sort: SortOrder } {
    const k = options.k ?? DEFAULT_K;
    if (options.mode !== undefined && !SEARCH_MODES.includes(options.mode)) {
      throw new PapersiftError('invalid-option', `mode must be one of ${SEARCH_MODES.join(', ')}; got ${String(options.mode)}`);
    }
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) throw new PapersiftError('invalid-option', `k must be a whole number from 1 to ${MAX_K}; got ${options.k}`);
    if ((options.dims !== undefined && options.dims !== this.dims) || options.adaptive) {
      throw new PapersiftError('unavailable', FORMAT3_UNAVAILABLE.dims, { dims: options.dims });
    }
    const sort = options.sort ?? 'relevance';
    if (!SORT_ORDERS.includes(sort)) throw new PapersiftError('invalid-option', `sort must be one of ${SORT_ORDERS.join(', ')}; got ${String(options.sort)}`);
    return { k, sort };
  }
}
