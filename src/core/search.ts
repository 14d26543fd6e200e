/**
 * The engine: query, similar and Matryoshka search over one artifact set. Orchestration only; the
 * maths lives in matryoshka/, the graphs in index/, the vectors in artifacts.
 *
 * Every vector here is rotated (see matryoshka/rotation.ts). Searching at `dims` means cosine over the
 * first `dims` rotated components, re-normalised. Adaptive search shortlists with the low-dim graph and
 * re-ranks the shortlist with full vectors.
 */
import type { Artifacts, Manifest } from './artifacts';
import type { Embedder } from './embed/types';
import { PapersiftError } from './errors';
import { ExactIndex, scanRows } from './index/exact';
import { describeFilter, isActiveFilter, paperFacets, paperMatcher, sortByDate, SORT_ORDERS, type Facets, type PaperFilter, type SortOrder } from './filter';
import { HnswIndex } from './index/hnsw';
import type { AnnIndex } from './index/types';
import { FUSION_DEPTH, fuseHybrid, hybridSearch } from './hybrid/hybrid';
import { candidateVectors, smoothOverNeighbours } from './hybrid/smooth';
import type { Scored } from './hybrid/fuse';
import {
  addToLexical,
  coverageOf,
  documentShare,
  queryTermWeights,
  removeFromLexical,
  searchLexicalCounted,
  similarLexical,
  applyCorrections,
  suggestCorrections,
  type Correction,
  type KeywordMatches,
  type LexicalHit,
  type LexicalIndex,
} from './lexical';
import { paperTerms } from './lexical/analyzer';
import { highlightTerms, sharedRareTerms } from './explain';
import { calibrationsFor, NO_MATCH_BELOW, relevanceOf, type ModelCalibrations } from './relevance/relevance';

import { rotateVector } from './matryoshka/rotation';
import { normaliseTitle } from './corpus/ids';
import type { Paper } from './types';
import { dot, normaliseInPlace, prefixRows, prefixVector, row } from './vectors';

/**
 * lexical: BM25 alone (needs no model); semantic: embeddings alone; hybrid: both fused (hybrid/hybrid.ts),
 * the default because it beats either alone on every kind of judged query (docs/QUALITY.md).
 */
export type SearchMode = 'lexical' | 'semantic' | 'hybrid';
export const SEARCH_MODES: readonly SearchMode[] = ['hybrid', 'semantic', 'lexical'];
export const DEFAULT_MODE: SearchMode = 'hybrid';

export interface SearchOptions {
  /** Which signals rank the papers. Default hybrid. */
  mode?: SearchMode;
  /** How many papers to return (1..1000). Default 10. */
  k?: number;
  /** Leading rotated dimensions to compare (1..full). Default full. */
  dims?: number;
  /** Shortlist at `dims`, re-rank at full dims. */
  adaptive?: boolean;
  /** Shortlist size for adaptive search. Default 50. */
  shortlist?: number;
  /**
   * Brute force (true) or HNSW (false). Default: brute force below EXACT_SEARCH_BELOW papers, where it is
   * both exact and faster (one hnswlib call costs ~0.15 ms; bench/hnsw.ts), HNSW above.
   */
  exact?: boolean;
  /** HNSW search breadth; higher is slower and more exact. */
  efSearch?: number;
  /** Only papers that pass (year range, category); every hit passes it. A filter no paper passes is an error that says so. */
  filter?: PaperFilter;
  /** relevance (default), or date: the k most relevant papers, newest first (undated last). */
  sort?: SortOrder;
}

export interface SearchHit {
  paper: Paper;
  /**
   * semantic: cosine at the dims of the final ranking (full dims after an adaptive re-rank);
   * lexical: BM25; hybrid: the fused score (a sum of z-scores, comparable within one result list only).
   */
  score: number;
  row: number;
  /**
   * Index terms (stemmed) to highlight in the paper: for a typed query, the query's terms the paper
   * contains, less corpus-common ones; for a paper as the query, the rare terms both papers share.
   */
  terms?: string[];
  /**
   * Probability (0..1) that the paper is relevant, calibrated on judged queries (relevance/relevance.ts):
   * the same scale in every mode and list. Undefined for a model that was never calibrated.
   */
  relevance?: number;
  /** Full-dim cosine of the query (or source paper) with the paper; absent without an embedding. */
  cosine?: number;
  /** Idf-weighted share of a typed query's terms the paper contains (0..1). */
  coverage?: number;
  /** Set when the paper is listed because the query names one of its authors: that author as the paper lists them. */
  author?: string;
}


export interface SearchResult {
  mode: SearchMode;
  hits: SearchHit[];
  dims: number;
  adaptive: boolean;
  /** Papers whose full vectors were compared in a re-rank (0 when not adaptive). */
  reranked: number;
  /** Vector comparisons spent: graph visits (as the index reports them) plus re-rank dot products. */
  distanceEvaluations: number;
  /**
   * True when even the best result is unlikely to be relevant (its relevance is below NO_MATCH_BELOW),
   * or a keyword search matched nothing: the page then says "No close matches". False when unknown.
   */
  noCloseMatch?: boolean;
  /** For a typed query: how many papers contain all of its terms, and at least one (the real count, not the cap k). */
  keywordMatches?: KeywordMatches;
  /** Set when no paper contained a word of the query and some words were replaced by their nearest corpus words (the lexical side searched this). */
  correctedQuery?: string;
  corrections?: Correction[];
  /** Set when the query names authors of the corpus: their names, and how many papers they wrote (listed first). */
  authorMatches?: { names: string[]; papers: number };
  /** With a filter: how many papers pass it (the exact count the results were drawn from). */
  matching?: number;
  sort: SortOrder;
  /** A format-3 typed search: milliseconds by part (format3/phases.ts), summing to about its whole time. */
  phases?: Record<string, number>;
}

export const DEFAULT_K = 10;
export const DEFAULT_SHORTLIST = 50;
export const MAX_K = 1000;
export const MAX_QUERY_CHARS = 10_000;
export const EXACT_SEARCH_BELOW = 1000;
/**
 * A filter that leaves at most this many papers is searched by scanning them: exact, and cheaper than a
 * graph walk that must step over the papers the filter drops (at 20k papers a scan of 2k cost 3.6 ms, the
 * filtered walk 5.8 ms; at 400 kept, 0.4 ms against 19 ms). A wider one walks the HNSW graph with the
 * filter applied inside the walk. Figures: bench/filter.ts, docs/BENCHMARKS.md.
 */
export const FILTERED_SCAN_BELOW = 2000;

/** A ranking before the order asked for and the filter's count are applied (SearchEngine.finish). */
type Ranked = Omit<SearchResult, 'sort' | 'matching'>;

/** The live rows that pass one filter: a bitmap for the graph walk and a list for a scan. */
interface FilterScope {
  key: string;
  mask: Uint8Array;
  rows: Int32Array;
}

/** A paper that addPapers left out because the engine already holds it. */
export interface DuplicatePaper {
  paper: Paper;
  /** The paper already held (stored corpus or earlier import) with the same id or normalised title. */
  existing: Paper;
}

export interface AddPapersResult {
  added: Paper[];
  duplicates: DuplicatePaper[];
}

export interface RemovePapersResult {
  removed: string[];
  /** Ids that were not removed, with why: unknown (or already removed), or part of the stored corpus. */
  refused: { id: string; reason: string }[];
}

export class SearchEngine {
  readonly manifest: Manifest;
  /** Row-aligned with `vectors`: the stored corpus, then imported papers; removed ones stay (see isLive). */
  readonly papers: Paper[];
  readonly dims: number;
  /** Rotated unit rows; room for imported papers is kept past `papers.length` (grown by half again when full). */
  private storage: Float32Array;
  /** Raw model embeddings of imported papers by row, kept so a collection exports exactly what was embedded. */
  private readonly rawByRow = new Map<number, Float32Array>();
  /** Rows of removed papers: allocated, never returned again. */
  private readonly deadRows = new Set<number>();
  private readonly rotation: Float32Array;
  private readonly graphs: Map<number, AnnIndex>;
  private readonly lexical: LexicalIndex;
  private readonly exactByDims = new Map<number, ExactIndex>();
  private readonly rowById = new Map<string, number>();
  private readonly rowByTitle = new Map<string, number>();
  private authorRows?: Map<string, Set<number>>;
  private authorRowsCount = 0;
  /** The last filter's rows, valid while the set of papers is unchanged (see `papersVersion`). */
  private scopeCache?: FilterScope & { version: string };
  private facetCache?: { version: string; facets: Facets };

  private constructor(artifacts: Artifacts, graphs: Map<number, AnnIndex>) {
    this.manifest = artifacts.manifest;
    this.papers = artifacts.papers;
    this.dims = artifacts.manifest.model.dims;
    this.storage = artifacts.vectors;
    this.rotation = artifacts.rotation;
    this.graphs = graphs;
    this.lexical = artifacts.lexical;
    this.papers.forEach((paper, i) => {
      this.rowById.set(paper.id, i);
      this.rowByTitle.set(normaliseTitle(paper.title), i);
    });
  }

  /**
   * Loads the shipped HNSW graphs; the artifacts are assumed verified (decodeArtifacts does that). The
   * engine takes the artifacts over: imports extend their papers and lexical index in place.
   */
  static async open(artifacts: Artifacts): Promise<SearchEngine> {
    const graphs = new Map<number, AnnIndex>();
    for (const [dims, bytes] of artifacts.hnsw) graphs.set(dims, await HnswIndex.fromBytes(bytes, dims));
    return new SearchEngine(artifacts, graphs);
  }

  /** N x D rotated unit rows, one per entry of `papers`. */
  get vectors(): Float32Array {
    return this.storage.subarray(0, this.papers.length * this.dims);
  }

  /** Whether a row can still be returned (false once its imported paper was removed). */
  isLive(row: number): boolean {
    return row >= 0 && row < this.papers.length && !this.deadRows.has(row);
  }

  /** The user's papers still in the collection, in the order they were added. */
  importedPapers(): Paper[] {
    return [...this.rawByRow.keys()].filter((r) => this.isLive(r)).map((r) => this.papers[r]);
  }

  /** The raw (unrotated) embedding an imported paper was added with. */
  importedEmbedding(id: string): Float32Array {
    const raw = this.rawByRow.get(this.rowOf(id));
    if (!raw) throw new PapersiftError('unknown-paper', `"${truncate(id, 120)}" is not an imported paper`, { input: id });
    return raw;
  }

  /**
   * The paper already held under `paper`'s id or normalised title, if any. Imports check this first so
   * that only new papers are embedded.
   */
  existingPaper(paper: Pick<Paper, 'id' | 'title'>): Paper | undefined {
    const found = this.rowById.get(paper.id) ?? this.rowByTitle.get(normaliseTitle(paper.title));
    return found === undefined ? undefined : this.papers[found];
  }

  /**
   * Adds the user's papers with their raw model embeddings (row-major, one `dims` row per paper, same
   * model as the manifest). Rows are rotated with the corpus's rotation, never refitted: the stored rows,
   * graphs and shipped artifacts stay valid. Each graph gets the new rows' prefixes inserted (hnswlib
   * grows its capacity), the lexical index gets their terms, and exact indexes built so far get the rows.
   * Papers already held (same id or normalised title, or repeated in the batch) are reported, not added.
   */
  addPapers(papers: Paper[], rawEmbeddings: Float32Array): AddPapersResult {
    if (rawEmbeddings.length !== papers.length * this.dims) {
      throw new PapersiftError(
        'invalid-option',
        `Got ${rawEmbeddings.length / this.dims} ${this.dims}-d embeddings for ${papers.length} papers`,
        { papers: papers.length, values: rawEmbeddings.length },
      );
    }
    const duplicates: DuplicatePaper[] = [];
    const fresh: { paper: Paper; raw: Float32Array; rotated: Float32Array }[] = [];
    const batchById = new Map<string, Paper>();
    const batchByTitle = new Map<string, Paper>();
    papers.forEach((paper, i) => {
      const existing = this.existingPaper(paper) ?? batchById.get(paper.id) ?? batchByTitle.get(normaliseTitle(paper.title));
      if (existing) {
        duplicates.push({ paper, existing });
        return;
      }
      batchById.set(paper.id, paper);
      batchByTitle.set(normaliseTitle(paper.title), paper);
      const raw = rawEmbeddings.slice(i * this.dims, (i + 1) * this.dims);
      fresh.push({ paper, raw, rotated: this.rotate(raw) });
    });
    if (fresh.length === 0) return { added: [], duplicates };

    const first = this.papers.length;
    const rows = fresh.map((_, i) => first + i);
    const block = new Float32Array(fresh.length * this.dims);
    fresh.forEach(({ rotated }, i) => block.set(rotated, i * this.dims));
    // Indexes before the engine's own arrays: every index checks its input before changing anything, so a
    // refused row (a non-finite value) throws from the first graph and leaves the engine as it was.
    for (const [d, graph] of this.graphs) graph.add(d === this.dims ? block : prefixRows(block, this.dims, d), rows);
    for (const [d, brute] of this.exactByDims) brute.add(d === this.dims ? block : prefixRows(block, this.dims, d), rows);
    this.reserveRows(first + fresh.length);
    this.storage.set(block, first * this.dims);
    fresh.forEach(({ paper, raw }, i) => {
      this.papers.push(paper);
      this.rawByRow.set(rows[i], raw);
      this.rowById.set(paper.id, rows[i]);
      this.rowByTitle.set(normaliseTitle(paper.title), rows[i]);
    });
    addToLexical(this.lexical, fresh.map((f) => f.paper));
    return { added: fresh.map((f) => f.paper), duplicates };
  }

  /**
   * Removes imported papers: marked deleted in every graph and exact index, dropped from the lexical index
   * and from id/title lookup, so search, similar and rowOf never return them again. Their rows stay
   * allocated (labels are never reused). Stored corpus papers cannot be removed.
   */
  removePapers(ids: string[]): RemovePapersResult {
    const removed: string[] = [];
    const refused: RemovePapersResult['refused'] = [];
    for (const id of ids) {
      const found = this.rowById.get(id);
      if (found === undefined) {
        refused.push({ id, reason: 'no such paper (or already removed)' });
        continue;
      }
      if (!this.rawByRow.has(found)) {
        refused.push({ id, reason: 'part of the stored corpus, not an imported paper' });
        continue;
      }
      for (const graph of this.graphs.values()) graph.remove(found);
      for (const brute of this.exactByDims.values()) brute.remove(found);
      removeFromLexical(this.lexical, id);
      this.rowById.delete(id);
      this.rowByTitle.delete(normaliseTitle(this.papers[found].title));
      this.deadRows.add(found);
      removed.push(id);
    }
    return { removed, refused };
  }

  /** The row of a paper given its id or its exact title (case and punctuation ignored). */
  rowOf(idOrTitle: string): number {
    const key = idOrTitle.trim();
    const found = this.rowById.get(key) ?? this.rowByTitle.get(normaliseTitle(key));
    if (found === undefined) {
      throw new PapersiftError('unknown-paper', `No paper with id or title "${truncate(key, 120)}"`, { input: key });
    }
    return found;
  }

  paper(idOrTitle: string): Paper {
    return this.papers[this.rowOf(idOrTitle)];
  }

  /** Embeds the query (unless the mode is lexical) and searches. */
  async search(embedder: Embedder, text: string, options: SearchOptions = {}): Promise<SearchResult> {
    const query = checkQueryText(text);
    const mode = options.mode ?? DEFAULT_MODE;
    return this.searchText(query, mode === 'lexical' ? null : await embedder.embedQuery(query), options);
  }

  /**
   * A typed query with its raw (unrotated) embedding; with no embedding yet (model still loading) it
   * answers lexically and says so in `mode`.
   */
  searchText(text: string, embedding: Float32Array | null, options: SearchOptions = {}): SearchResult {
    const typed = checkQueryText(text);
    const mode = embedding ? (options.mode ?? DEFAULT_MODE) : 'lexical';
    const { k, sort } = this.resolve(options);
    const scope = this.scopeOf(options.filter);
    const keep = scope && ((row: number) => scope.mask[row] === 1);
    const rotated = embedding ? this.rotate(embedding) : null;
    let query = typed;
    let lexical = searchLexicalCounted(this.lexical, query, Math.max(k, FUSION_DEPTH), undefined, keep);
    // A query no paper has a word of is most often mistyped: search the nearest corpus words instead, and say so.
    // Not when a filter hid the papers that have its words, nor when it names an author (a name need not be in any text).
    const unmatched = lexical.matches.any === 0 && !(keep && searchLexicalCounted(this.lexical, query, 1).matches.any > 0);
    const corrections = unmatched && this.authorRowsOf(typed).length === 0 ? suggestCorrections(this.lexical, typed, this.papers) : [];
    if (corrections.length > 0) {
      query = applyCorrections(typed, corrections);
      lexical = searchLexicalCounted(this.lexical, query, Math.max(k, FUSION_DEPTH), undefined, keep);
    }
    const { hits: lexicalHits, matches } = lexical;
    const corrected = corrections.length > 0 ? { correctedQuery: query, corrections } : {};
    const finish = (ranked: Ranked) =>
      this.finish(this.byAuthorFirst(this.annotateTyped({ ...ranked, keywordMatches: matches, ...corrected }, query, rotated), typed, k, keep), sort, scope);
    if (mode === 'lexical') return finish(this.lexicalResult(lexicalHits.slice(0, k)));
    if (mode === 'semantic') return finish(this.searchRotated(rotated as Float32Array, options, new Set(), scope));
    let distanceEvaluations = 0;
    const fused = hybridSearch({
      lexical: lexicalHits,
      query: rotated as Float32Array,
      vectors: this.vectors,
      dims: this.dims,
      searchVector: (v) => {
        const side = this.searchRotated(v, { ...options, k: Math.max(k, FUSION_DEPTH) }, new Set(), scope);
        distanceEvaluations += side.distanceEvaluations;
        return side.hits;
      },
    });
    return finish(this.hybridResult(fused, k, options, distanceEvaluations));
  }

  /** Semantic search with a raw (unrotated) model embedding, e.g. a query or a pasted abstract. */
  searchEmbedding(embedding: Float32Array, options: SearchOptions = {}): SearchResult {
    const scope = this.scopeOf(options.filter);
    return this.finish(this.searchRotated(this.rotate(embedding), options, new Set(), scope), this.resolve(options).sort, scope);
  }

  /**
   * Which years and categories the live papers have, with counts (imported papers included): what a
   * filter can usefully name. Counted once per set of papers.
   */
  facets(): Facets {
    const version = this.papersVersion();
    if (this.facetCache?.version !== version) {
      const live = this.papers.filter((_, row) => !this.deadRows.has(row));
      this.facetCache = { version, facets: paperFacets(live) };
    }
    return this.facetCache.facets;
  }

  /** Papers nearest to a stored paper, the paper itself excluded. */
  similar(idOrTitle: string, options: SearchOptions = {}): SearchResult {
    const source = this.rowOf(idOrTitle);
    return this.neighbours(row(this.vectors, this.dims, source).slice(), this.papers[source], new Set([source]), options);
  }

  /**
   * Papers related to a paper the engine does not hold (a pasted title and abstract), ranked as
   * `similar` ranks a stored paper's neighbours. `embedding` is the raw model embedding of the paper's
   * text, made as a document's (paperText), not a query's. Nothing is excluded: a paper already held
   * comes first, which tells the user so.
   */
  related(paper: Pick<Paper, 'title' | 'abstract'>, embedding: Float32Array, options: SearchOptions = {}): SearchResult {
    return this.neighbours(this.rotate(embedding), { id: '', ...paper }, new Set(), options);
  }

  /** Neighbours of a paper-shaped query: its rotated vector and its most distinctive terms, fused without PRF, then smoothed over the candidates' neighbourhoods. */
  private neighbours(rotated: Float32Array, paper: Pick<Paper, 'id' | 'title' | 'abstract'>, exclude: Set<number>, options: SearchOptions): SearchResult {
    const mode = options.mode ?? DEFAULT_MODE;
    const { k, sort } = this.resolve(options);
    const scope = this.scopeOf(options.filter);
    const keep = scope && ((row: number) => scope.mask[row] === 1);
    const finish = (ranked: Ranked) => this.finish(this.annotatePaper(ranked, paper, rotated), sort, scope);
    const semantic = (depth: number) => this.searchRotated(rotated, { ...options, k: depth }, exclude, scope);
    if (mode === 'semantic') return finish(semantic(k));
    const lexicalHits = similarLexical(this.lexical, paper, Math.max(k, FUSION_DEPTH), keep).filter((h) => !exclude.has(h.row));
    if (mode === 'lexical') return finish(this.lexicalResult(lexicalHits.slice(0, k)));
    const depth = Math.max(k, FUSION_DEPTH);
    const semanticSide = semantic(depth);
    // The papers a reader of this one wants next sit together: each candidate's score is mixed with its nearest fellow candidates' (hybrid/smooth.ts).
    const candidates = fuseHybrid(lexicalHits, semanticSide.hits);
    const fused = smoothOverNeighbours(candidates, candidateVectors(candidates, this.vectors, this.dims, depth), this.dims, depth);
    return finish(this.hybridResult(fused, k, options, semanticSide.distanceEvaluations));
  }

  /** Whether any paper lists its authors: without them an author's name cannot be searched. */
  get hasAuthors(): boolean {
    return this.authorIndex().size > 0;
  }

  /** Author-name token → rows of live papers with an author of that name part. Built on first use. */
  private authorIndex(): Map<string, Set<number>> {
    if (this.authorRows && this.authorRowsCount === this.papers.length) return this.authorRows;
    const rows = new Map<string, Set<number>>();
    this.papers.forEach((paper, r) => {
      for (const author of paper.authors ?? []) {
        for (const part of nameParts(author)) {
          const set = rows.get(part) ?? new Set<number>();
          set.add(r);
          rows.set(part, set);
        }
      }
    });
    this.authorRows = rows;
    this.authorRowsCount = this.papers.length;
    return rows;
  }

  /**
   * When every word of a short query is part of one author's name ("Vaswani", "ashish vaswani"), that
   * author's papers come first (best-ranked first, then in corpus order), each hit naming the author.
   */
  /** Rows with an author named by every word of a short query (none when it cannot be a name). */
  private authorRowsOf(query: string): number[] {
    const parts = nameParts(query);
    const index = this.authorIndex();
    if (parts.length === 0 || parts.length > MAX_NAME_PARTS || index.size === 0) return [];
    let rows = [...(index.get(parts[0]) ?? [])];
    for (const part of parts.slice(1)) rows = rows.filter((r) => index.get(part)?.has(r));
    return rows;
  }

  private byAuthorFirst(result: Ranked, query: string, k: number, keep: ((row: number) => boolean) | undefined): Ranked {
    const parts = nameParts(query);
    const rows = this.authorRowsOf(query);
    if (rows.length === 0) return result;
    const authorOf = (r: number) => (this.papers[r].authors ?? []).find((a) => parts.every((p) => nameParts(a).includes(p)));
    const matched = rows.filter((r) => this.isLive(r) && (keep?.(r) ?? true) && authorOf(r) !== undefined);
    return authorsFirst(result, matched, (r) => authorOf(r) as string, k, (r) => this.hit(r, 0));
  }

  /** The calibrated relevance fitted for this artifact set's model, if any. */
  private get calibrations(): ModelCalibrations | undefined {
    return calibrationsFor(this.manifest.model.id);
  }

  /**
   * Adds what the reader sees beside the ranking to a typed query's hits: relevance (from the full-dim
   * cosine, whatever dims ranked them, and the query coverage), the words to highlight, and whether
   * anything matches well. Costs k dot products and k abstracts analysed.
   */
  private annotateTyped(result: Ranked, query: string, rotated: Float32Array | null): Ranked {
    const weights = queryTermWeights(this.lexical, query);
    const share = (term: string) => documentShare(this.lexical, term);
    const cosines = rotated && result.hits.map((hit) => this.fullCosine(rotated, hit.row));
    return annotatedTyped(result, weights, cosines, share, this.calibrations);
  }

  /** The same for a paper as the query (similar, related): relevance from the cosine, highlights from the rare terms both share. */
  private annotatePaper(result: Ranked, paper: Pick<Paper, 'title' | 'abstract'>, rotated: Float32Array): Ranked {
    const share = (term: string) => documentShare(this.lexical, term);
    const cosines = result.hits.map((hit) => this.fullCosine(rotated, hit.row));
    return annotatedByPaper(result, paperTerms(paper), cosines, share, this.calibrations);
  }

  private fullCosine(rotated: Float32Array, label: number): number {
    return dot(rotated, this.vectors, this.dims, label * this.dims);
  }

  /** The raw embedding of a stored paper (undoing the rotation), e.g. to explain a "similar" match. */
  embeddingOf(idOrTitle: string): Float32Array {
    const stored = row(this.vectors, this.dims, this.rowOf(idOrTitle));
    const out = new Float32Array(this.dims);
    for (let i = 0; i < this.dims; i++) {
      const coefficient = stored[i];
      for (let j = 0; j < this.dims; j++) out[j] += this.rotation[i * this.dims + j] * coefficient;
    }
    return out;
  }

  private rotate(embedding: Float32Array): Float32Array {
    if (embedding.length !== this.dims) {
      throw new PapersiftError('invalid-option', `Expected a ${this.dims}-d embedding, got ${embedding.length}`);
    }
    const rotated = rotateVector(this.rotation, this.dims, embedding);
    normaliseInPlace(rotated);
    return rotated;
  }

  /** The ranking in the order asked for, with the filter's count. */
  private finish(result: Ranked, sort: SortOrder, scope: FilterScope | undefined): SearchResult {
    const hits = sort === 'date' ? sortByDate(result.hits) : result.hits;
    return { ...result, hits, sort, ...(scope ? { matching: scope.rows.length } : {}) };
  }

  /**
   * The live rows that pass `filter`, or undefined when it narrows nothing. The last scope is kept, so
   * typing a query under one filter computes it once. A filter that leaves no paper is refused with the
   * reason: an empty list would not say whether the query or the filter found nothing.
   */
  private scopeOf(filter: PaperFilter | undefined): FilterScope | undefined {
    if (!isActiveFilter(filter)) return undefined;
    const matches = paperMatcher(filter);
    const key = JSON.stringify([filter.yearFrom, filter.yearTo, filter.category?.trim()]);
    const version = this.papersVersion();
    if (this.scopeCache?.key !== key || this.scopeCache.version !== version) {
      const mask = new Uint8Array(this.papers.length);
      const rows: number[] = [];
      this.papers.forEach((paper, row) => {
        if (!this.deadRows.has(row) && matches(paper)) {
          mask[row] = 1;
          rows.push(row);
        }
      });
      this.scopeCache = { key, version, mask, rows: Int32Array.from(rows) };
    }
    const scope = this.scopeCache;
    if (scope.rows.length === 0) {
      const live = this.papers.length - this.deadRows.size;
      throw new PapersiftError('no-match', `No paper in this collection matches ${describeFilter(filter)} (of ${live} papers)`, {
        filter,
        papers: live,
      });
    }
    return scope;
  }

  /** Changes whenever papers are added or removed: cached filters and facets are counted again. */
  private papersVersion(): string {
    return `${this.papers.length}/${this.deadRows.size}`;
  }

  private lexicalResult(hits: LexicalHit[]): Ranked {
    return {
      mode: 'lexical',
      hits: hits.map((h) => this.hit(h.row, h.score)),
      dims: this.dims,
      adaptive: false,
      reranked: 0,
      distanceEvaluations: 0,
    };
  }

  private hybridResult(fused: Scored[], k: number, options: SearchOptions, distanceEvaluations: number): Ranked {
    const { dims, adaptive } = this.resolve(options);
    return {
      mode: 'hybrid',
      hits: fused.slice(0, k).map((f) => this.hit(f.row, f.score)),
      dims,
      adaptive,
      reranked: 0,
      distanceEvaluations,
    };
  }

  /**
   * Nearest rows to a rotated query at the resolved dims. Under a filter, a narrow scope is scanned
   * exactly (scanRows) and a wide one walks the graph with the filter inside the walk: hnswlib keeps
   * walking until it holds efSearch papers that pass, so the list stays full and recall held at 1.000
   * from 0.5% to 50% of 20k papers kept without raising efSearch (bench/filter.ts).
   */
  private nearest(query: Float32Array, dims: number, k: number, exact: boolean, exclude: Set<number>, efSearch: number | undefined, scope?: FilterScope) {
    if (scope && (exact || scope.rows.length <= FILTERED_SCAN_BELOW || !this.graphs.has(dims))) {
      return scanRows(this.vectors, this.dims, scope.rows, query, k, exclude);
    }
    const index = this.indexFor(dims, exact);
    return index.search(query, k, { exclude, efSearch, keep: scope && ((row) => scope.mask[row] === 1) });
  }

  private searchRotated(query: Float32Array, options: SearchOptions, exclude: Set<number>, scope?: FilterScope): Ranked {
    const { k, dims, adaptive, shortlist, exact, efSearch } = this.resolve(options);
    const lowQuery = dims === this.dims ? query : prefixVector(query, dims);
    if (!adaptive) {
      const found = this.nearest(lowQuery, dims, k, exact, exclude, efSearch, scope);
      return {
        mode: 'semantic',
        hits: found.labels.map((label, i) => this.hit(label, found.scores[i])),
        dims,
        adaptive: false,
        reranked: 0,
        distanceEvaluations: found.distanceEvaluations,
      };
    }
    const candidates = this.nearest(lowQuery, dims, Math.max(shortlist, k), exact, exclude, Math.max(efSearch ?? 0, shortlist) || undefined, scope);
    const reranked = candidates.labels
      .map((label) => ({ label, score: dot(query, this.vectors, this.dims, label * this.dims) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
    return {
      mode: 'semantic',
      hits: reranked.map(({ label, score }) => this.hit(label, score)),
      dims,
      adaptive: true,
      reranked: candidates.labels.length,
      distanceEvaluations: candidates.distanceEvaluations + candidates.labels.length,
    };
  }

  private hit(label: number, score: number): SearchHit {
    return { paper: this.papers[label], score, row: label };
  }

  private indexFor(dims: number, exact: boolean): AnnIndex {
    const graph = exact ? undefined : this.graphs.get(dims);
    if (graph) return graph;
    let brute = this.exactByDims.get(dims);
    if (!brute) {
      brute = new ExactIndex(dims);
      brute.add(dims === this.dims ? this.vectors : prefixRows(this.vectors, this.dims, dims));
      for (const dead of this.deadRows) brute.remove(dead);
      this.exactByDims.set(dims, brute);
    }
    return brute;
  }

  /** Makes room for `rows` rows in `storage`, growing by half again so a run of imports copies O(n) in total. */
  private reserveRows(rows: number): void {
    if (rows * this.dims <= this.storage.length) return;
    const grown = new Float32Array(Math.max(rows, Math.ceil(this.storage.length / this.dims * 1.5)) * this.dims);
    grown.set(this.vectors);
    this.storage = grown;
  }

  private resolve(options: SearchOptions) {
    const k = options.k ?? DEFAULT_K;
    const dims = options.dims ?? this.dims;
    const shortlist = options.shortlist ?? DEFAULT_SHORTLIST;
    const adaptive = options.adaptive ?? false;
    if (options.mode !== undefined && !SEARCH_MODES.includes(options.mode)) {
      throw new PapersiftError('invalid-option', `mode must be one of ${SEARCH_MODES.join(', ')}; got ${String(options.mode)}`);
    }
    if (!Number.isInteger(k) || k < 1 || k > MAX_K) {
      throw new PapersiftError('invalid-option', `k must be a whole number from 1 to ${MAX_K}; got ${options.k}`);
    }
    if (!Number.isInteger(dims) || dims < 1 || dims > this.dims) {
      throw new PapersiftError('invalid-option', `dims must be a whole number from 1 to ${this.dims}; got ${options.dims}`);
    }
    if (!Number.isInteger(shortlist) || shortlist < 1 || shortlist > MAX_K) {
      throw new PapersiftError('invalid-option', `shortlist must be a whole number from 1 to ${MAX_K}; got ${options.shortlist}`);
    }
    const sort = options.sort ?? 'relevance';
    if (!SORT_ORDERS.includes(sort)) {
      throw new PapersiftError('invalid-option', `sort must be one of ${SORT_ORDERS.join(', ')}; got ${String(options.sort)}`);
    }
    return {
      k,
      dims,
      shortlist,
      adaptive: adaptive && dims < this.dims,
      exact: options.exact ?? this.papers.length < EXACT_SEARCH_BELOW,
      efSearch: options.efSearch,
      sort,
    };
  }
}

/** A name query longer than this is a text query, not an author's name. */
export const MAX_NAME_PARTS = 4;

/**
 * An author's papers first, each hit naming the author (both engines): `matched`, rows checked to list the
 * author and to pass the filter, in their order in the ranking, then by row; `count` is how many papers the
 * author has in all (default: matched.length). Rows not in the ranking get `hitOf`'s unranked hit.
 */
export function authorsFirst<R extends { hits: SearchHit[] }>(
  result: R,
  matched: readonly number[],
  authorOf: (row: number) => string,
  k: number,
  hitOf: (row: number) => SearchHit,
  count = matched.length,
): R & Pick<SearchResult, 'noCloseMatch' | 'authorMatches'> {
  if (matched.length === 0) return result;
  const ranked = new Map(result.hits.map((h, i) => [h.row, i]));
  const ordered = [...matched].sort((a, b) => (ranked.get(a) ?? Infinity) - (ranked.get(b) ?? Infinity) || a - b);
  const byAuthor = ordered.slice(0, k).map((r) => ({ ...(result.hits.find((h) => h.row === r) ?? hitOf(r)), author: authorOf(r) }));
  const taken = new Set(matched);
  const hits = [...byAuthor, ...result.hits.filter((h) => !taken.has(h.row))].slice(0, k);
  const names = [...new Set(byAuthor.map((h) => h.author))];
  return { ...result, hits, noCloseMatch: false, authorMatches: { names, papers: count } };
}

/** An author's name (or a query) as lowercase, accent-folded parts of two letters or more: initials are left out. */
export function nameParts(name: string): string[] {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((part) => part.length >= 2);
}

/**
 * A typed query's hits with what the reader sees beside the ranking: query coverage, the full-dim cosine
 * (`cosines[i]` for hit i; null before the model has loaded), calibrated relevance, the words to highlight,
 * and whether anything matches well. Shared by both engines (search.ts, format3/engine.ts). `termsOf` gives a
 * paper's index terms (paperTerms; the format-3 engine passes a memo of it, the analysis being most of this step).
 */
export function annotatedTyped<R extends { mode: SearchMode; hits: SearchHit[] }>(
  result: R,
  weights: ReadonlyMap<string, number>,
  cosines: readonly number[] | null,
  share: (term: string) => number,
  calibrations: ModelCalibrations | undefined,
  termsOf: (paper: Paper) => ReadonlySet<string> = paperTerms,
): R & { noCloseMatch: boolean } {
  const hits = result.hits.map((hit, i) => {
    const terms = termsOf(hit.paper);
    const coverage = coverageOf(weights, terms);
    const cosine = cosines ? cosines[i] : null;
    return {
      ...hit,
      coverage,
      ...(cosine === null ? {} : { cosine }),
      relevance: relevanceOf(calibrations, 'query', { cosine, coverage }),
      terms: highlightTerms([...weights.keys()].filter((t) => terms.has(t)), share),
    };
  });
  const keywordNothing = result.mode === 'lexical' && hits.length === 0;
  return { ...result, hits, noCloseMatch: keywordNothing || noneClose(hits) };
}

/** The same for a paper as the query (similar, related): relevance from the cosine, highlights from the rare terms both share. */
export function annotatedByPaper<R extends { hits: SearchHit[] }>(
  result: R,
  sourceTerms: ReadonlySet<string>,
  cosines: readonly number[],
  share: (term: string) => number,
  calibrations: ModelCalibrations | undefined,
  termsOf: (paper: Paper) => ReadonlySet<string> = paperTerms,
): R & { noCloseMatch: boolean } {
  const hits = result.hits.map((hit, i) => ({
    ...hit,
    cosine: cosines[i],
    relevance: relevanceOf(calibrations, 'paper', { cosine: cosines[i], coverage: 0 }),
    terms: sharedRareTerms(sourceTerms, termsOf(hit.paper), share),
  }));
  return { ...result, hits, noCloseMatch: noneClose(hits) };
}

/** Whether the best hit's calibrated relevance is below the no-match line; false when relevance is unknown. */
function noneClose(hits: readonly SearchHit[]): boolean {
  if (hits.length === 0) return true;
  const known = hits.map((h) => h.relevance).filter((p): p is number => p !== undefined);
  return known.length > 0 && Math.max(...known) < NO_MATCH_BELOW;
}

/** Trims a query and refuses what cannot be searched; very long text is cut, not rejected. */
export function checkQueryText(text: string): string {
  const trimmed = (text ?? '').trim();
  if (trimmed.length === 0) throw new PapersiftError('empty-query', 'The query is empty: type a few words to search for');
  return trimmed.length > MAX_QUERY_CHARS ? trimmed.slice(0, MAX_QUERY_CHARS) : trimmed;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
