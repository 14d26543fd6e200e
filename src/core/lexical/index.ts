/**
 * BM25 over title + abstract, shipped beside the vectors as `lexical.json`.
 *
 * Library: MiniSearch. It runs unchanged in the browser worker and in Node, has no dependencies, is
 * small (18 kB gzipped before minification) and maintained, scores BM25+ per field with field
 * boosts, has prefix and fuzzy matching, and serialises the whole index to JSON, so `build-index`
 * can ship it and the worker loads it without re-tokenising the corpus. It reports which query terms
 * matched which fields, which hybrid fusion (coverage) and "explain a match" use. Orama was the
 * other candidate: larger, async-first, persistence through a plugin, and its extra features
 * (facets, its own vector search) duplicate what the engine already has. Lunr is no longer
 * maintained; FlexSearch ranks by its own contextual scoring and returns no scores to fuse.
 */
import MiniSearch, { type SearchResult as MiniSearchResult } from 'minisearch';
import { PapersiftError } from '../errors';
import type { Paper } from '../types';
import { ANALYZER, analyze, processTerm, tokenize } from './analyzer';

export const LEXICAL_FILE = 'lexical.json';
export const LEXICAL_FORMAT_VERSION = 1;

const FIELDS = ['title', 'abstract'] as const;
/**
 * No extra boost on the title. MiniSearch scores each field with its own BM25 (and its own length
 * normalisation), so a title word already counts twice, once per field, and scores high for the
 * title's shortness. An extra boost only hurt: text-query nDCG@10 0.611 at 1, 0.604 at 1.5, 0.589 at 2,
 * 0.576 at 3 (0.615 at 0.75, within noise of 1).
 */
export const TITLE_BOOST = 1;
/** BM25+ with MiniSearch's defaults (k1 1.2, b 0.7, δ 0.5): k1 0.9–2, b 0.4–0.75, δ 0 all landed within ±0.006 nDCG@10. */
export const BM25 = { k: 1.2, b: 0.7, d: 0.5 };
/**
 * "More like this": the source paper's terms ranked by tf·idf, this many kept. All ~100 terms of an
 * abstract drown its topic in generic words. Similar-query nDCG@10 (lexical alone): 15 terms 0.588,
 * 30 terms 0.628, 60 terms 0.587, all 0.544 (title counted twice); counting the title once then
 * gave 0.639.
 */
export const SIMILAR_TERMS = 30;

export interface LexicalIndex {
  readonly search: MiniSearch;
  /** Paper ids in corpus row order: a hit's row is its position here. */
  readonly ids: string[];
  readonly rowById: Map<string, number>;
}

export interface LexicalHit {
  row: number;
  id: string;
  score: number;
  /** Index terms of the query that this paper contains (after stopwords and stemming). */
  terms: string[];
  /**
   * How much of a typed query this paper accounts for, 0..1: the idf-weighted share of the query's
   * terms it contains. A query term no paper contains still counts in the total, with the idf of an
   * unseen term: it is part of the query that lexical search cannot see. Keyword queries give their
   * good hits ~1; paraphrases, worded unlike the papers, give every hit a low share. Hybrid fusion
   * scales each lexical score by it. Always 1 for "similar": there the query is a paper's profile,
   * which every other paper covers only in part, so the share says nothing about how far to trust
   * the lexical side (scaling by it cost 0.03 nDCG@10 on the similar queries).
   */
  coverage: number;
}

/** The JSON written to lexical.json. */
interface LexicalFile {
  formatVersion: number;
  analyzer: string;
  ids: string[];
  index: unknown;
}

function options() {
  return {
    idField: 'id',
    fields: [...FIELDS],
    storeFields: [],
    tokenize,
    processTerm,
    searchOptions: { boost: { title: TITLE_BOOST }, bm25: BM25, combineWith: 'OR' as const },
  };
}

export function buildLexicalIndex(papers: Pick<Paper, 'id' | 'title' | 'abstract'>[]): LexicalIndex {
  const search = new MiniSearch(options());
  search.addAll(papers.map(({ id, title, abstract }) => ({ id, title, abstract })));
  return wrap(search, papers.map((p) => p.id));
}

export function serialiseLexical(index: LexicalIndex): Uint8Array {
  const file: LexicalFile = {
    formatVersion: LEXICAL_FORMAT_VERSION,
    analyzer: ANALYZER,
    ids: index.ids,
    index: index.search.toJSON(),
  };
  return new TextEncoder().encode(JSON.stringify(file));
}

/**
 * Reads lexical.json. An index built with another analyzer or format would silently mis-score
 * (query terms processed differently from the indexed ones), so that is an error, as for stale vectors.
 * `expectedIds` (the artifact set's papers in row order) guards against an index from another corpus.
 */
export function loadLexical(bytes: Uint8Array, expectedIds?: string[]): LexicalIndex {
  let file: LexicalFile;
  try {
    file = JSON.parse(new TextDecoder().decode(bytes)) as LexicalFile;
  } catch (e) {
    throw new PapersiftError('artifacts-format', `${LEXICAL_FILE} is not valid JSON`, {}, { cause: e });
  }
  if (file?.formatVersion !== LEXICAL_FORMAT_VERSION || !Array.isArray(file.ids) || typeof file.index !== 'object') {
    throw new PapersiftError('artifacts-format', `${LEXICAL_FILE} is not a format ${LEXICAL_FORMAT_VERSION} lexical index`, {
      found: file?.formatVersion,
    });
  }
  if (file.analyzer !== ANALYZER) {
    throw new PapersiftError('artifacts-stale', `${LEXICAL_FILE} was built with analyzer ${file.analyzer}; this build uses ${ANALYZER}`, {
      found: file.analyzer,
      expected: ANALYZER,
    });
  }
  if (expectedIds && (expectedIds.length !== file.ids.length || expectedIds.some((id, i) => id !== file.ids[i]))) {
    throw new PapersiftError('artifacts-stale', `${LEXICAL_FILE} indexes other papers than papers.json`, {
      found: file.ids.length,
      expected: expectedIds.length,
    });
  }
  const search = MiniSearch.loadJS(file.index as Parameters<typeof MiniSearch.loadJS>[0], options());
  return wrap(search, file.ids);
}

/**
 * Top k papers by BM25 for a free-text query; an all-stopword query matches nothing and returns [].
 * `keep` (a filter on rows) drops papers before they take a place among the k.
 */
export function searchLexical(index: LexicalIndex, query: string, k: number, exclude?: Set<number>, keep?: (row: number) => boolean): LexicalHit[] {
  return searchLexicalCounted(index, query, k, exclude, keep).hits;
}

/** How many papers a typed query matches lexically: all of its terms, and at least one. */
export interface KeywordMatches {
  all: number;
  any: number;
}

/** searchLexical, plus the real number of matching papers (the hits stop at k; the count does not). */
export function searchLexicalCounted(
  index: LexicalIndex,
  query: string,
  k: number,
  exclude?: Set<number>,
  keep?: (row: number) => boolean,
): { hits: LexicalHit[]; matches: KeywordMatches } {
  const weights = queryTermWeights(index, query);
  const results = index.search.search(query);
  // Counted within the filter, as the list is: what the reader could page through.
  const kept = keep ? results.filter((r) => keep(index.rowById.get(r.id as string) ?? -1)) : results;
  const all = weights.size === 0 ? 0 : kept.filter((r) => Object.keys(r.match).length === weights.size).length;
  return { hits: rank(index, results, k, weights, exclude, keep), matches: { all, any: kept.length } };
}

/** The index terms of a typed query, each with its BM25 idf (a term no paper contains gets an unseen term's idf). */
export function queryTermWeights(index: LexicalIndex, query: string): Map<string, number> {
  return new Map([...new Set(analyze(query))].map((term) => [term, idf(index, documentFrequency(index, term))]));
}

/** The idf-weighted share of the query's terms (queryTermWeights) found in `paperTerms`, 0..1: LexicalHit.coverage. */
export function coverageOf(weights: ReadonlyMap<string, number>, paperTerms: ReadonlySet<string>): number {
  let total = 0;
  let covered = 0;
  for (const [term, weight] of weights) {
    total += weight;
    if (paperTerms.has(term)) covered += weight;
  }
  return total > 0 ? covered / total : 0;
}

/** A query word no paper contains, and the corpus word it is most likely a typo of. */
export interface Correction {
  /** The word as typed. */
  typed: string;
  /** The corpus's word, as papers spell it (lowercase). */
  word: string;
}

/** Edits allowed per character of a word when looking for its correction (0.25: 2 edits in a 9-letter word, 1 in 4–5). */
export const CORRECTION_FUZZINESS = 0.25;
/** Shorter words are left alone: at 4 letters one edit reaches too many other words ("wplk" → "walk"). */
export const CORRECTION_MIN_LENGTH = 5;

/**
 * "Did you mean": for each query word whose index term no paper contains, the index term within
 * CORRECTION_FUZZINESS edits (MiniSearch's fuzzy matching over the index's own terms) that the most
 * papers contain, spelled as the first such paper spells it. Words with a digit are left alone.
 */
export function suggestCorrections(index: LexicalIndex, query: string, papers: readonly Pick<Paper, 'title' | 'abstract'>[]): Correction[] {
  const corrections: Correction[] = [];
  for (const { token, term } of correctableWords(query)) {
    if (documentFrequency(index, term) > 0) continue;
    const results = index.search.search(term, { tokenize: (text) => [text], processTerm: (t) => t, prefix: false, fuzzy: CORRECTION_FUZZINESS });
    const papersWith = new Map<string, number>();
    for (const r of results) for (const matched of Object.keys(r.match)) papersWith.set(matched, (papersWith.get(matched) ?? 0) + 1);
    const best = [...papersWith].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    if (!best) continue;
    const spellers = results
      .filter((x) => best[0] in x.match)
      .slice(0, CORRECTION_SPELLING_PAPERS)
      .map((r) => papers[index.rowById.get(r.id as string) ?? -1])
      .filter(Boolean);
    const word = spellingNear(token, best[0], spellers);
    if (word) corrections.push({ typed: token, word });
  }
  return corrections;
}

/** The words of a query "did you mean" considers, with their index terms: long enough, no digit, each term once. */
export function correctableWords(query: string): { token: string; term: string }[] {
  const words: { token: string; term: string }[] = [];
  const seen = new Set<string>();
  for (const token of tokenize(query)) {
    const term = processTerm(token);
    if (term === null || seen.has(term) || token.length < CORRECTION_MIN_LENGTH || /\d/.test(token)) continue;
    seen.add(term);
    words.push({ token, term });
  }
  return words;
}

/** The index holds stems: spell a correction as these papers do, the form of `term` nearest the typed word. */
export function spellingNear(typed: string, term: string, papers: Iterable<Pick<Paper, 'title' | 'abstract'>>): string | undefined {
  const forms = new Set<string>();
  for (const paper of papers) {
    for (const w of tokenize(`${paper.title} ${paper.abstract}`)) if (processTerm(w) === term) forms.add(w.toLowerCase());
  }
  const lower = typed.toLowerCase();
  return [...forms].sort((a, b) => editDistance(lower, a) - editDistance(lower, b) || a.localeCompare(b))[0];
}

/** Papers read to find how the corpus spells a corrected term. */
export const CORRECTION_SPELLING_PAPERS = 5;

/** Levenshtein distance (two short words; the textbook two-row table). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** The query with each corrected word replaced. */
export function applyCorrections(query: string, corrections: readonly Correction[]): string {
  let out = query;
  for (const { typed, word } of corrections) out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}])${typed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'gu'), word);
  return out;
}

/** The share of indexed papers that contain an index term, 0..1. */
export function documentShare(index: LexicalIndex, term: string): number {
  const total = index.search.documentCount;
  return total > 0 ? documentFrequency(index, term) / total : 0;
}

/**
 * Papers lexically like a given one: its SIMILAR_TERMS most distinctive terms (tf·idf over this
 * index) as a weighted query, the paper itself excluded. Works for papers outside the index too.
 */
export function similarLexical(
  index: LexicalIndex,
  paper: Pick<Paper, 'id' | 'title' | 'abstract'>,
  k: number,
  keep?: (row: number) => boolean,
): LexicalHit[] {
  const counts = new Map<string, number>();
  for (const term of [...analyze(paper.title), ...analyze(paper.abstract)]) {
    counts.set(term, (counts.get(term) ?? 0) + 1);
  }
  // df 0 terms cannot match anything; leave them out so they do not take a slot.
  const chosen = [...counts]
    .map(([term, tf]) => ({ term, tf, df: documentFrequency(index, term) }))
    .filter((t) => t.df > 0)
    .map((t) => ({ ...t, weight: t.tf * idf(index, t.df) }))
    .sort((a, b) => b.weight - a.weight || a.term.localeCompare(b.term))
    .slice(0, SIMILAR_TERMS);
  if (chosen.length === 0) return [];
  const tfByTerm = new Map(chosen.map((t) => [t.term, t.tf]));
  const results = index.search.search(
    { queries: chosen.map((t) => t.term), combineWith: 'OR' },
    // Terms are already processed: search them verbatim, weighted by how often the source uses them.
    { tokenize: (text) => [text], processTerm: (term) => term, boostTerm: (term) => Math.sqrt(tfByTerm.get(term) ?? 1) },
  );
  const self = index.rowById.get(paper.id);
  return rank(index, results, k, undefined, self === undefined ? undefined : new Set([self]), keep);
}

/**
 * Adds papers (the user's own) at the next rows. MiniSearch indexes a document on `add` without touching
 * the others, so this costs the new papers' terms only; document frequencies change, hence the cache reset.
 */
export function addToLexical(index: LexicalIndex, papers: Pick<Paper, 'id' | 'title' | 'abstract'>[]): void {
  for (const { id, title, abstract } of papers) {
    index.search.add({ id, title, abstract });
    index.rowById.set(id, index.ids.length);
    index.ids.push(id);
  }
  dfCache.delete(index);
}

/**
 * Drops a paper from search. Its row keeps its place in `ids` (rows are positions in the engine's
 * matrix); MiniSearch's `discard` removes it from results at once and vacuums its terms later.
 */
export function removeFromLexical(index: LexicalIndex, id: string): void {
  if (!index.rowById.has(id)) return;
  index.search.discard(id);
  index.rowById.delete(id);
  dfCache.delete(index);
}

/** BM25's idf, as MiniSearch computes it (over the papers still indexed). */
function idf(index: LexicalIndex, df: number): number {
  const total = index.search.documentCount;
  return Math.log(1 + (total - df + 0.5) / (df + 0.5));
}

/** How many papers contain an index term. MiniSearch keeps this internally but does not expose it, so ask with a one-term search, once per term per index. */
function documentFrequency(index: LexicalIndex, term: string): number {
  const cache = dfCache.get(index) ?? new Map<string, number>();
  dfCache.set(index, cache);
  let df = cache.get(term);
  if (df === undefined) {
    df = index.search.search(term, { tokenize: (text) => [text], processTerm: (t) => t, prefix: false, fuzzy: false }).length;
    cache.set(term, df);
  }
  return df;
}
const dfCache = new WeakMap<LexicalIndex, Map<string, number>>();

function wrap(search: MiniSearch, ids: string[]): LexicalIndex {
  return { search, ids, rowById: new Map(ids.map((id, row) => [id, row])) };
}

/** The first k results as hits; `termWeights` (query term → idf) gives each hit its coverage, 1 without. */
function rank(
  index: LexicalIndex,
  results: MiniSearchResult[],
  k: number,
  termWeights: ReadonlyMap<string, number> | undefined,
  exclude?: Set<number>,
  keep?: (row: number) => boolean,
): LexicalHit[] {
  let total = 0;
  for (const weight of termWeights?.values() ?? []) total += weight;
  const hits: LexicalHit[] = [];
  for (const result of results) {
    const row = index.rowById.get(result.id as string);
    if (row === undefined || exclude?.has(row) || (keep && !keep(row))) continue;
    const terms = Object.keys(result.match);
    const covered = terms.reduce((sum, term) => sum + (termWeights?.get(term) ?? 0), 0);
    const coverage = termWeights === undefined ? 1 : total > 0 ? covered / total : 0;
    hits.push({ row, id: result.id as string, score: result.score, terms, coverage });
    if (hits.length === k) break;
  }
  return hits;
}
