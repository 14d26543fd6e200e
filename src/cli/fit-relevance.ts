/**
 * npm run fit-relevance [-- --model ID] [--dry-run]
 *
 * Fits the calibrated relevance (src/core/relevance/relevance.ts) for one embedding model on the
 * judged queries (test/eval/queries.json), writes its coefficients into src/core/relevance/fitted.json
 * (other models' entries are kept) and prints held-out figures as Markdown (docs/QUALITY.md keeps
 * them): 5-fold cross-validation over queries for log-loss, Brier score and reliability, how often the
 * "No close matches" line fires on judged queries (false alarms, each query scored by the fit that
 * did not see it) and on test/eval/no-match-queries.json (hits; never fitted on).
 */
import './node-env';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { bestRelevance, crossValidate, fitCalibration, queryFolds, relevanceSamples, runJudged, SAMPLE_DEPTH, type RelevanceSample } from '../core/eval/calibration';
import { parseJudgedQueries, QUERY_KINDS, type JudgedQuery } from '../core/eval/queries';
import { describeError } from '../core/errors';
import { DEFAULT_MODEL_ID } from '../core/models';
import type { Calibration, FittedRelevance, RelevanceKind } from '../core/relevance/relevance';
import type { SearchMode } from '../core/search';
import { embedQueries } from './embed-queries';
import { REPO_ROOT } from './node-env';
import { openEngine } from './open-engine';

const FITTED_FILE = join(REPO_ROOT, 'src', 'core', 'relevance', 'fitted.json');
const KINDS: RelevanceKind[] = ['query', 'keyword', 'paper'];
/** Which calibration a mode's results use: keyword mode runs without an embedding, like the site. */
const CALIBRATION_OF: Record<SearchMode, RelevanceKind> = { hybrid: 'query', semantic: 'query', lexical: 'keyword' };

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      model: { type: 'string', default: DEFAULT_MODEL_ID },
      'dry-run': { type: 'boolean', default: false },
    },
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fittedFile = JSON.parse(readFileSync(FITTED_FILE, 'utf8')) as FittedRelevance;
  const threshold = fittedFile.noMatchBelow;
  const opened = await openEngine({ modelId: values.model, log });
  const { engine } = opened;
  const queries = parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'eval', 'queries.json'), 'utf8')), new Set(engine.papers.map((p) => p.id)));
  const nonsense = (JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'eval', 'no-match-queries.json'), 'utf8')) as { queries: string[] }).queries;
  const nonsenseQueries: JudgedQuery[] = nonsense.map((text, i) => ({ id: `none-${i}`, kind: 'keyword', text, judgments: {} }));
  log(`Embedding ${queries.length + nonsense.length} queries with ${opened.embedder.model.id} ${opened.embedder.dtype}`);
  const embeddings = await embedQueries(opened.embedder, [...queries, ...nonsenseQueries]);
  await opened.embedder.dispose();

  const folds = queryFolds(queries);
  const out: string[] = [];
  const fitted = {} as Record<RelevanceKind, Calibration>;
  const heldOut = new Map<RelevanceKind, Map<string, Calibration>>();
  out.push(`Relevance calibration, ${engine.manifest.model.id} ${engine.manifest.model.dtype}, ${queries.length} judged queries, pairs from each mode's top ${SAMPLE_DEPTH}, ${folds.length}-fold cross-validation over queries.`, '');
  out.push('| calibration | features | pairs (relevant, unjudged) | held-out log-loss (base rate) | held-out Brier (base rate) | reliability: predicted → observed (pairs) |');
  out.push('| --- | --- | ---: | ---: | ---: | --- |');
  for (const kind of KINDS) {
    const samples = relevanceSamples(engine, queries, embeddings, kind);
    const cv = crossValidate(samples, folds);
    fitted[kind] = fitCalibration(samples);
    heldOut.set(kind, cv.fitWithout);
    const base = baseRate(samples);
    const relevant = samples.filter((s) => s.relevant).length;
    const unjudged = samples.filter((s) => s.unjudged).length;
    const bands = cv.bands.filter((b) => b.pairs > 0).map((b) => `${b.predicted.toFixed(2)} → ${b.observed.toFixed(2)} (${b.pairs})`).join('; ');
    const names = kind === 'paper' ? 'cosine' : kind === 'keyword' ? 'coverage' : 'cosine, coverage';
    out.push(`| ${kind} | ${names} | ${samples.length} (${relevant}, ${unjudged}) | ${cv.logLoss.toFixed(3)} (${base.logLoss.toFixed(3)}) | ${cv.brier.toFixed(3)} (${base.brier.toFixed(3)}) | ${bands} |`);
  }

  out.push('', `"No close matches" when the best result's relevance is below the line (shipped: ${threshold}). Judged queries: each scored by the fit that left its fold out. Nonsense: ${nonsense.length} queries from test/eval/no-match-queries.json, scored by the fit on all judged queries.`, '');
  out.push(`| mode | line | false alarms on judged queries | ${QUERY_KINDS.join(' | ')} | hits on nonsense queries |`);
  out.push(`| --- | ---: | ---: | ${QUERY_KINDS.map(() => '---:').join(' | ')} | ---: |`);
  const detail: string[] = [];
  for (const mode of ['hybrid', 'semantic', 'lexical'] as SearchMode[]) {
    const calibrationFor = (q: JudgedQuery) => (q.kind === 'similar' ? 'paper' : CALIBRATION_OF[mode]);
    const judged = queries.filter((q) => !(q.kind === 'similar' && mode === 'lexical'));
    const bestOf = (q: JudgedQuery, calibration: (kind: RelevanceKind) => Calibration) => {
      const kind = calibrationFor(q);
      const hits = runJudged(engine, q, kind === 'query' ? (embeddings.get(q.id) ?? null) : null, mode, 10);
      return bestRelevance(hits, kind, calibration(kind));
    };
    const judgedBest = new Map(judged.map((q) => [q.id, bestOf(q, (kind) => heldOut.get(kind)?.get(q.id) as Calibration)]));
    const nonsenseBest = nonsenseQueries.map((q) => bestOf(q, (kind) => fitted[kind]));
    nonsenseQueries.forEach((q, i) => detail.push(`${mode} "${(q as { text: string }).text}": best ${nonsenseBest[i].toFixed(3)}`));
    for (const line of [...new Set([0.05, threshold, 0.2])].sort()) {
      const alarms = judged.filter((q) => (judgedBest.get(q.id) as number) < line);
      const perKind = QUERY_KINDS.map((k) => {
        if (k === 'similar' && mode === 'lexical') return 'n/a';
        return `${alarms.filter((q) => q.kind === k).length} / ${queries.filter((q) => q.kind === k).length}`;
      });
      const caught = nonsenseBest.filter((p) => p < line).length;
      const shipped = line === threshold ? ' (shipped)' : '';
      out.push(`| ${mode} | ${line}${shipped} | ${alarms.length} / ${judged.length} | ${perKind.join(' | ')} | ${caught} / ${nonsenseQueries.length} |`);
      if (line === threshold && alarms.length > 0) log(`${mode} false alarms: ${alarms.map((q) => `${q.id} (${(judgedBest.get(q.id) as number).toFixed(2)})`).join(', ')}`);
    }
  }
  log(detail.join('\n'));
  process.stdout.write(`${out.join('\n')}\n`);

  if (!values['dry-run']) {
    const m = engine.manifest.model;
    const entry = { model: m.id, dtype: m.dtype, calibrations: fitted };
    const models = [...fittedFile.models.filter((x) => x.model !== m.id), entry].sort((a, b) => a.model.localeCompare(b.model));
    const about = `Written by \`npm run fit-relevance -- --model <id>\` (src/cli/fit-relevance.ts): logistic regressions of "judged relevant (grade ≥ 1)" on the features in RELEVANCE_FEATURES, over pairs from each mode's top ${SAMPLE_DEPTH} on the ${queries.length} judged seed queries (unjudged pairs count as not relevant). noMatchBelow is set by hand, not fitted.`;
    writeFileSync(FITTED_FILE, `${JSON.stringify({ ...fittedFile, about, models }, roundNumbers, 1)}\n`);
    log(`Wrote ${relative(REPO_ROOT, FITTED_FILE)}`);
  }
  return 0;
}

/** Log-loss and Brier of always predicting the share of relevant pairs: what a calibration must beat. */
function baseRate(samples: readonly RelevanceSample[]) {
  const p = samples.filter((s) => s.relevant).length / samples.length;
  const logLoss = -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
  return { logLoss, brier: p * (1 - p) };
}

function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' ? Number(value.toPrecision(6)) : value;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`fit-relevance failed: ${describeError(e)}\n`);
    process.exit(1);
  },
);
