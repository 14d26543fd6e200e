/**
 * How text becomes index terms, the same for papers and queries. An index is only valid with the
 * analyzer it was built with, so the analyzer has a name that is stored in lexical.json and checked on load.
 *
 * Measured on the judged queries (docs/QUALITY.md; text queries, BM25 alone, no title boost,
 * nDCG@10): lowercase only 0.540; + English stopwords 0.550; plural folding instead 0.580;
 * stopwords + plural folding 0.587; stopwords + Porter stemming 0.611. Porter's conflations
 * ("interpretability"/"interpretable", "hallucinate"/"hallucination", "retrieval"/"retriever")
 * match how abstracts vary their wording; it helped questions most (0.634 → 0.674) and no kind lost.
 */
import { stemmer } from 'stemmer';

/** Bumped whenever tokenising or term processing changes: old lexical.json files then fail to load. */
export const ANALYZER = 'en-stop-porter-v1';

/** Splits on anything that is not a letter or a digit, so "long-context" gives "long" and "context". */
const SPLIT = /[^\p{L}\p{N}]+/u;

// The usual English function words. Domain words ("model", "learning") stay: BM25's idf already
// discounts them, and in a query like "model merging" they carry meaning.
const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not of off on once only or other our ' +
    'ours ourselves out over own same she should so some such than that the their theirs them themselves then there these ' +
    'they this those through to too under until up very was we were what when where which while who whom why will with ' +
    'would you your yours yourself yourselves us via also may might must shall'
  ).split(' '),
);

export function tokenize(text: string): string[] {
  return text.split(SPLIT).filter(Boolean);
}

/** One raw token → its index term, or null to drop it. Accents are folded before stemming. */
export function processTerm(token: string): string | null {
  const lower = token.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
  if (lower.length === 0 || STOPWORDS.has(lower)) return null;
  return stemmer(lower);
}

/** The index terms of a text, in order, repeats kept. */
export function analyze(text: string): string[] {
  return tokenize(text)
    .map(processTerm)
    .filter((term): term is string => term !== null);
}

/** The distinct index terms of a paper's title and abstract. */
export function paperTerms(paper: { title: string; abstract: string }): Set<string> {
  return new Set([...analyze(paper.title), ...analyze(paper.abstract)]);
}
