/**
 * Calibrated relevance: the probability that a result is relevant, the same scale in every mode and
 * for every query, so a reader can compare "likely relevant" across searches and the page can say
 * when nothing matches well.
 *
 * Ranking scores cannot do this: a fused z-score (5.09, 16.44) only orders one list, BM25 has no
 * ceiling, and a cosine's meaning depends on the model. The probability comes from a logistic
 * regression over features whose scale does not depend on the query or the list:
 *  - `cosine`: the query's (or source paper's) cosine with the paper at full dims, whatever the
 *    mode or the dims the ranking used; a property of the model, not of the corpus's size;
 *  - `coverage`: the idf-weighted share of the query's terms the paper contains (0..1).
 * Three calibrations, by what is known: a typed query with its embedding (cosine + coverage), a typed
 * query without one (keyword mode, or the model still loading: coverage alone), a paper as the query
 * (similar / related: cosine alone, since doc-doc cosines sit higher than query-doc ones).
 *
 * The coefficients are fitted per embedding model on the judged seed queries by `npm run
 * fit-relevance` (src/cli/fit-relevance.ts, cross-validated over queries; figures in docs/QUALITY.md)
 * and stored in fitted.json. A model with no fit gets no probability (undefined), never a guess.
 */
import fitted from './fitted.json';

export type RelevanceKind = 'query' | 'keyword' | 'paper';

/** The features each kind of calibration reads, in order. */
export const RELEVANCE_FEATURES: Record<RelevanceKind, readonly ('cosine' | 'coverage')[]> = {
  query: ['cosine', 'coverage'],
  keyword: ['coverage'],
  paper: ['cosine'],
};

/** One logistic regression: p = σ(bias + Σ w_i · (x_i − mean_i) / scale_i). */
export interface Calibration {
  mean: number[];
  scale: number[];
  bias: number;
  weights: number[];
}

export interface ModelCalibrations {
  /** Embedding model id (and dtype it was fitted with, for the record). */
  model: string;
  dtype: string;
  calibrations: Record<RelevanceKind, Calibration>;
}

export interface FittedRelevance {
  /** How the file was made: command, date, judged pairs. */
  about: string;
  /** Below this probability for the best result, the page says "No close matches". */
  noMatchBelow: number;
  models: ModelCalibrations[];
}

export interface RelevanceInput {
  /** Full-dim cosine of the query (or source paper) with the paper; null without an embedding. */
  cosine: number | null;
  /** Idf-weighted share of the query's terms the paper contains; ignored for a paper as the query. */
  coverage: number;
}

/**
 * Below this probability for the best result, nothing matches well. Set, not fitted: the fitted
 * figures (docs/QUALITY.md) show how often it fires on judged queries and on nonsense. One number on
 * the probability scale carries over to other corpora as far as the probabilities do (see fitted.json).
 */
export const NO_MATCH_BELOW: number = (fitted as FittedRelevance).noMatchBelow;

export function probability(calibration: Calibration, features: readonly number[]): number {
  let z = calibration.bias;
  features.forEach((x, i) => {
    z += (calibration.weights[i] * (x - calibration.mean[i])) / calibration.scale[i];
  });
  return 1 / (1 + Math.exp(-z));
}

/** The calibrations fitted for a model, or undefined when that model was never fitted. */
export function calibrationsFor(modelId: string, file: FittedRelevance = fitted as FittedRelevance): ModelCalibrations | undefined {
  return file.models.find((m) => m.model === modelId);
}

/** Probability of relevance, or undefined when the model has no fit. Keyword calibration when there is no cosine. */
export function relevanceOf(calibrations: ModelCalibrations | undefined, kind: 'query' | 'paper', input: RelevanceInput): number | undefined {
  if (!calibrations) return undefined;
  const used: RelevanceKind = input.cosine === null ? (kind === 'paper' ? 'paper' : 'keyword') : kind;
  if (used === 'paper' && input.cosine === null) return undefined;
  return probability(calibrations.calibrations[used], featureVector(used, input));
}

export function featureVector(kind: RelevanceKind, input: RelevanceInput): number[] {
  return RELEVANCE_FEATURES[kind].map((name) => (name === 'cosine' ? (input.cosine ?? 0) : input.coverage));
}

/** Words for a probability, on fixed cut points so "likely relevant" means the same in every list. */
export type RelevanceBand = 'strong' | 'likely' | 'possible' | 'weak';
export const RELEVANCE_BANDS: readonly { band: RelevanceBand; atLeast: number; words: string }[] = [
  { band: 'strong', atLeast: 0.75, words: 'Strong match' },
  { band: 'likely', atLeast: 0.5, words: 'Likely relevant' },
  { band: 'possible', atLeast: 0.25, words: 'Possibly relevant' },
  { band: 'weak', atLeast: 0, words: 'Weak match' },
];

export function relevanceBand(p: number): (typeof RELEVANCE_BANDS)[number] {
  return RELEVANCE_BANDS.find((b) => p >= b.atLeast) ?? RELEVANCE_BANDS[RELEVANCE_BANDS.length - 1];
}
