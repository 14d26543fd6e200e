/**
 * Fits the relevance calibration (src/core/relevance/relevance.ts) on judged queries and measures it
 * on queries it was not fitted on: cross-validation over queries (never over pairs, so no query's
 * papers are both fitted and scored), plus nonsense queries that no fit ever sees.
 *
 * Library: ml-logistic-regression (mljs, on the ml-matrix the project already uses) does the fit; it
 * is plain gradient descent without an intercept, so the features are standardised here and a column
 * of ones stands in for the bias.
 */
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { featureVector, probability, type Calibration, type RelevanceKind } from '../relevance/relevance';
import type { SearchEngine, SearchHit, SearchMode } from '../search';
import { RELEVANT } from './metrics';
import { QUERY_KINDS, type JudgedQuery } from './queries';

/** One (query, paper) pair: the features the engine computed for the hit, and whether a judge found it relevant. */
export interface RelevanceSample {
  query: string;
  features: number[];
  relevant: boolean;
  /** True when the pair has no judgment and counts as not relevant. */
  unjudged: boolean;
}

/** How deep into each ranking pairs are taken: about what a reader looks at, and where the judging pool is dense. */
export const SAMPLE_DEPTH = 20;
export const FOLDS = 5;

/**
 * Runs a query through the engine in one mode, k = depth. Typed queries need their raw embedding (null:
 * keyword-only, as when the model is loading); "similar" queries need none.
 */
export function runJudged(engine: SearchEngine, q: JudgedQuery, embedding: Float32Array | null, mode: SearchMode, k: number): SearchHit[] {
  const options = { k, mode };
  return (q.kind === 'similar' ? engine.similar(q.source, options) : engine.searchText(q.text, embedding, options)).hits;
}

/**
 * Pairs for one calibration kind: query (typed, with embedding: hybrid, semantic and keyword top
 * `depth`, merged, since relevance must mean the same in every mode), keyword (typed, no embedding:
 * keyword top `depth`), paper (similar: hybrid and semantic top `depth`).
 */
export function relevanceSamples(
  engine: SearchEngine,
  queries: readonly JudgedQuery[],
  embeddings: ReadonlyMap<string, Float32Array>,
  kind: RelevanceKind,
  depth = SAMPLE_DEPTH,
): RelevanceSample[] {
  const samples: RelevanceSample[] = [];
  for (const q of queries) {
    if ((kind === 'paper') !== (q.kind === 'similar')) continue;
    const embedding = kind === 'query' ? (embeddings.get(q.id) ?? null) : null;
    const modes: SearchMode[] = kind === 'keyword' ? ['lexical'] : kind === 'paper' ? ['hybrid', 'semantic'] : ['hybrid', 'semantic', 'lexical'];
    const seen = new Set<number>();
    for (const mode of modes) {
      for (const hit of runJudged(engine, q, embedding, mode, depth)) {
        if (seen.has(hit.row)) continue;
        seen.add(hit.row);
        const grade = q.judgments[hit.paper.id];
        const input = { cosine: hit.cosine ?? null, coverage: hit.coverage ?? 0 };
        samples.push({ query: q.id, features: featureVector(kind, input), relevant: (grade ?? 0) >= RELEVANT, unjudged: grade === undefined });
      }
    }
  }
  return samples;
}

/** Logistic regression of relevance on the standardised features. */
export function fitCalibration(samples: readonly RelevanceSample[]): Calibration {
  if (samples.length === 0) throw new Error('No samples to fit');
  const width = samples[0].features.length;
  const mean = Array.from({ length: width }, (_, i) => samples.reduce((s, x) => s + x.features[i], 0) / samples.length);
  const scale = mean.map((m, i) => Math.sqrt(samples.reduce((s, x) => s + (x.features[i] - m) ** 2, 0) / samples.length) || 1);
  const rows = samples.map((x) => [1, ...x.features.map((v, i) => (v - mean[i]) / scale[i])]);
  // Step size over the summed gradient: 1/n makes it the mean gradient, which standardised features keep well-conditioned.
  const model = new LogisticRegression({ numSteps: 4000, learningRate: 1 / samples.length });
  // The library's two-class model 0 scores P(class ≠ 0): label relevant pairs 1.
  model.train(new Matrix(rows), Matrix.columnVector(samples.map((x) => (x.relevant ? 1 : 0))));
  const w = model.classifiers[0].weights.to1DArray();
  return { mean, scale, bias: w[0], weights: w.slice(1) };
}

/** Query folds: each kind's queries dealt round-robin, so every fold holds every kind. */
export function queryFolds(queries: readonly JudgedQuery[], folds = FOLDS): string[][] {
  const out: string[][] = Array.from({ length: folds }, () => []);
  let i = 0;
  for (const kind of QUERY_KINDS) for (const q of queries.filter((x) => x.kind === kind)) out[i++ % folds].push(q.id);
  return out;
}

export interface HeldOutFit {
  /** Held-out probability per sample, in the samples' order. */
  predicted: number[];
  /** The calibration fitted without each query's fold, by query id. */
  fitWithout: Map<string, Calibration>;
  logLoss: number;
  brier: number;
  /** Reliability: per probability band, pairs, mean predicted and observed share relevant. */
  bands: { from: number; to: number; pairs: number; predicted: number; observed: number }[];
}

/** Each sample's probability from a calibration fitted without its query's fold. */
export function crossValidate(samples: readonly RelevanceSample[], folds: readonly string[][]): HeldOutFit {
  const predicted = new Array<number>(samples.length).fill(NaN);
  const fitWithout = new Map<string, Calibration>();
  for (const fold of folds) {
    const held = new Set(fold);
    const calibration = fitCalibration(samples.filter((s) => !held.has(s.query)));
    for (const id of fold) fitWithout.set(id, calibration);
    samples.forEach((s, i) => {
      if (held.has(s.query)) predicted[i] = probability(calibration, s.features);
    });
  }
  const scored = samples.map((s, i) => ({ s, p: predicted[i] })).filter(({ p }) => !Number.isNaN(p));
  return { predicted, fitWithout, ...scoreProbabilities(scored.map((x) => x.s), scored.map((x) => x.p)) };
}

export function scoreProbabilities(samples: readonly RelevanceSample[], predicted: readonly number[]): Omit<HeldOutFit, 'predicted' | 'fitWithout'> {
  const clip = (p: number) => Math.min(1 - 1e-9, Math.max(1e-9, p));
  let logLoss = 0;
  let brier = 0;
  samples.forEach((s, i) => {
    const p = clip(predicted[i]);
    logLoss -= s.relevant ? Math.log(p) : Math.log(1 - p);
    brier += (p - (s.relevant ? 1 : 0)) ** 2;
  });
  const edges = [0, 0.25, 0.5, 0.75, 1.0000001];
  const bands = edges.slice(0, -1).map((from, b) => {
    const inBand = samples.map((s, i) => ({ s, p: predicted[i] })).filter(({ p }) => p >= from && p < edges[b + 1]);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, c) => a + c, 0) / xs.length : NaN);
    return {
      from,
      to: Math.min(1, edges[b + 1]),
      pairs: inBand.length,
      predicted: mean(inBand.map((x) => x.p)),
      observed: mean(inBand.map((x) => (x.s.relevant ? 1 : 0))),
    };
  });
  return { logLoss: logLoss / samples.length, brier: brier / samples.length, bands };
}

/** The best calibrated relevance among a list's hits under a given calibration (what the no-match line reads). */
export function bestRelevance(hits: readonly SearchHit[], kind: RelevanceKind, calibration: Calibration): number {
  if (hits.length === 0) return 0;
  return Math.max(...hits.map((h) => probability(calibration, featureVector(kind, { cosine: h.cosine ?? null, coverage: h.coverage ?? 0 }))));
}
