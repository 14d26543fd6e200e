/**
 * "Why did this paper match?": the abstract's sentences closest to the query in embedding space,
 * and where the query's words occur in the title and abstract. Engine side only: it returns
 * character offsets, the UI decides how to show them.
 */
import type { Embedder } from './embed/types';
import { processTerm, tokenize } from './lexical/analyzer';
import type { Paper } from './types';
import { dot } from './vectors';

/** A second sentence is shown only when it scores at least this share of the best one's cosine. */
export const SECOND_SPAN_RATIO = 0.9;

export interface Span {
  text: string;
  /** Character offsets into the abstract, end exclusive. */
  start: number;
  end: number;
  /** Cosine between the query and the span's sentence(s) (the best of them for a merged span). */
  score: number;
}

export interface Highlight {
  field: 'title' | 'abstract';
  start: number;
  end: number;
  /** The index term (stemmed) this word matched. */
  term: string;
}

export interface MatchExplanation {
  /** One or two spans of the abstract, in reading order; adjacent best sentences form one span. */
  spans: Span[];
  /** Every occurrence in the title and abstract of a matched lexical term, in reading order per field. */
  highlights: Highlight[];
  /** The matched words as they appear in the paper, one entry per index term (e.g. spars → "sparse", "sparsity"). */
  terms: { term: string; words: string[] }[];
}

export interface ExplainInput {
  paper: Pick<Paper, 'title' | 'abstract'>;
  /** The query as the engine embedded it (embedQuery), or a paper's vector for "similar"; unit length, unrotated. */
  queryEmbedding: Float32Array;
  /** The embedder that produced queryEmbedding: sentences are embedded as documents. */
  embedder: Embedder;
  /** LexicalHit.terms for this paper; empty when the paper came from the semantic side only. */
  lexicalTerms: readonly string[];
}

export async function explainMatch(input: ExplainInput): Promise<MatchExplanation> {
  return {
    spans: await bestSpans(input.paper.abstract, input.queryEmbedding, input.embedder),
    ...lexicalEvidence(input.paper, input.lexicalTerms),
  };
}

async function bestSpans(abstract: string, query: Float32Array, embedder: Embedder): Promise<Span[]> {
  const sentences = splitSentences(abstract);
  if (sentences.length === 0) return [];
  const vectors = await embedder.embedDocuments(sentences.map((s) => s.text));
  const dims = query.length;
  const scored = sentences.map((s, i) => ({ ...s, index: i, score: dot(query, vectors, dims, i * dims) }));
  const [best, second] = [...scored].sort((a, b) => b.score - a.score || a.index - b.index);
  if (!second || second.score < SECOND_SPAN_RATIO * best.score) return [span(abstract, best, best)];
  if (Math.abs(second.index - best.index) === 1) {
    const [first, last] = best.index < second.index ? [best, second] : [second, best];
    return [{ ...span(abstract, first, last), score: best.score }];
  }
  return [best, second].sort((a, b) => a.index - b.index).map((s) => span(abstract, s, s));
}

function span(abstract: string, first: { start: number; score: number }, last: { end: number; score: number }): Span {
  return { text: abstract.slice(first.start, last.end), start: first.start, end: last.end, score: first.score };
}

// Words after which a full stop does not end a sentence in paper abstracts.
const ABBREVIATIONS = /(?:\b(?:e\.g|i\.e|et al|etc|vs|cf|Fig|Eq|Sec|resp|approx|w\.r\.t)\.|\b[A-Z]\.)$/;

/**
 * Sentences with their offsets: a break is ".", "!" or "?" followed by whitespace and then an
 * uppercase letter, a digit or an opening bracket/quote, unless the stop ends a known abbreviation
 * ("e.g.", "et al.") or an initial ("J. Smith").
 */
export function splitSentences(text: string): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  const boundary = /[.!?]["')\]]?\s+(?=[A-Z0-9("'[])/g;
  let start = skipSpace(text, 0);
  for (let m = boundary.exec(text); m; m = boundary.exec(text)) {
    const stop = m.index + m[0].trimEnd().length;
    if (ABBREVIATIONS.test(text.slice(start, stop))) continue;
    out.push({ text: text.slice(start, stop), start, end: stop });
    start = skipSpace(text, m.index + m[0].length);
  }
  const end = text.trimEnd().length;
  if (start < end) out.push({ text: text.slice(start, end), start, end });
  return out;
}

function skipSpace(text: string, from: number): number {
  while (from < text.length && /\s/.test(text[from])) from++;
  return from;
}

function lexicalEvidence(paper: ExplainInput['paper'], lexicalTerms: readonly string[]): Pick<MatchExplanation, 'highlights' | 'terms'> {
  const wanted = new Set(lexicalTerms);
  const highlights: Highlight[] = [];
  const words = new Map<string, Set<string>>();
  for (const field of ['title', 'abstract'] as const) {
    const text = paper[field];
    let from = 0;
    for (const token of tokenize(text)) {
      const start = text.indexOf(token, from);
      from = start + token.length;
      const term = processTerm(token);
      if (term === null || !wanted.has(term)) continue;
      highlights.push({ field, start, end: start + token.length, term });
      const seen = words.get(term) ?? new Set<string>();
      seen.add(token.toLowerCase());
      words.set(term, seen);
    }
  }
  return { highlights, terms: lexicalTerms.map((term) => ({ term, words: [...(words.get(term) ?? [])] })) };
}

/**
 * Words that carry no topic but that a query may use ("embeddings you can shorten *without*
 * retraining"). They stay in the index (BM25's idf already discounts them) but are never highlighted:
 * a card whose one marked word is "without" says nothing about why it matched.
 */
const UNMARKED_WORDS = new Set(
  ['without', 'within', 'upon', 'among', 'across', 'toward', 'towards', 'whether', 'onto', 'using', 'use', 'used', 'make', 'making', 'way', 'ways', 'get', 'thing', 'things', 'much', 'many', 'one', 'two', 'new']
    .map((w) => processTerm(w))
    .filter((t): t is string => t !== null),
);
/** A typed query's term found in more than this share of papers is only marked when it is all the query has. */
export const COMMON_TERM_SHARE = 0.5;
/** For a paper as the query: shared terms in at most this share of papers, the rarest first, this many at most. */
export const RARE_TERM_SHARE = 0.05;
export const MAX_SHARED_TERMS = 8;

/**
 * Which of a typed query's terms (those the paper contains) to highlight: not function-like words,
 * and not corpus-common ones ("model", "learn") when a rarer query term is marked too.
 */
export function highlightTerms(matched: readonly string[], share: (term: string) => number): string[] {
  const topical = matched.filter((t) => !UNMARKED_WORDS.has(t));
  const distinctive = topical.filter((t) => share(t) <= COMMON_TERM_SHARE);
  return distinctive.length > 0 ? distinctive : topical;
}

/** For "similar": the terms both papers contain that are rare in the corpus, rarest first (what they share that others do not). */
export function sharedRareTerms(source: ReadonlySet<string>, other: ReadonlySet<string>, share: (term: string) => number): string[] {
  return [...source]
    .filter((t) => other.has(t) && !UNMARKED_WORDS.has(t))
    .map((term) => ({ term, share: share(term) }))
    .filter((t) => t.share > 0 && t.share <= RARE_TERM_SHARE)
    .sort((a, b) => a.share - b.share || a.term.localeCompare(b.term))
    .slice(0, MAX_SHARED_TERMS)
    .map((t) => t.term);
}
