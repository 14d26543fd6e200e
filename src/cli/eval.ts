/**
 * npm run eval [-- --out FILE] [--second-model] [--queries FILE] [--index DIR]
 *
 * Scores every compared ranking system (lexical, semantic at several prefix lengths, adaptive, the
 * fusion schemes, the default hybrid) on the judged queries in test/eval/queries.json, over the
 * shipped artifacts (rebuilt first if they do not match the seeds and the model). Only the queries
 * are embedded. Markdown tables go to stdout (docs/QUALITY.md keeps the latest), the full figures
 * to a JSON file (default out/eval.json), progress to stderr.
 *
 * --second-model adds all-MiniLM-L6-v2 as a second semantic signal; its artifacts are built once
 * into .cache/artifacts (about 20 s to 2 min on 2 cores) and reused after that.
 */
import './node-env';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../core/errors';
import { parseJudgedQueries, QUERY_KINDS } from '../core/eval/queries';
import { checkTargets, METRICS, metricTable } from '../core/eval/report';
import { evaluateSystem, leaveOneKindOut, type SystemReport } from '../core/eval/run';
import { comparedSystems, DEFAULT_SYSTEM, HYBRID_PREFIX, type EvalInputs } from '../core/eval/systems';
import { buildLexicalIndex } from '../core/lexical/index';
import { compareFormats, ENGINE_DIMS, ENGINE_MODES, engineModeSystem, FORMAT_TOLERANCE, formatComparisonTable, formatDrops } from '../core/eval/formats';
import { embedQueries } from './embed-queries';
import { manifestVersionIn, openFormat3Dir } from './format3-search';
import { openEngine } from './open-engine';
import { REPO_ROOT } from './node-env';

const SECOND_MODEL = 'all-MiniLM-L6-v2';
const LEXICAL = 'lexical';
const SEMANTIC = 'semantic full 384';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: join(REPO_ROOT, 'out', 'eval.json') },
      queries: { type: 'string', default: join(REPO_ROOT, 'test', 'eval', 'queries.json') },
      'second-model': { type: 'boolean', default: false },
      index: { type: 'string' },
      against: { type: 'string' },
    },
  });
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const started = performance.now();
  if (values.index !== undefined && manifestVersionIn(values.index) === 3) return evalFormat3(values.index, values.against, values.queries, values.out, log);

  const opened = await openEngine({ log, ...(values.index !== undefined ? { index: values.index } : {}) });
  const papers = opened.artifacts.papers;
  const queries = parseJudgedQueries(JSON.parse(readFileSync(values.queries, 'utf8')), new Set(papers.map((p) => p.id)));
  log(`Embedding ${queries.filter((q) => q.kind !== 'similar').length} queries with ${opened.embedder.model.id} ${opened.embedder.dtype}`);
  const inputs: EvalInputs = {
    engine: opened.engine,
    rotation: opened.artifacts.rotation,
    // Built from papers.json, exactly as build-index builds lexical.json: deterministic, under a second.
    lexical: buildLexicalIndex(papers),
    queryVectors: await embedQueries(opened.embedder, queries),
  };
  await opened.embedder.dispose();
  if (values['second-model']) {
    const second = await openEngine({ modelId: SECOND_MODEL, log });
    inputs.second = { engine: second.engine, rotation: second.artifacts.rotation, queryVectors: await embedQueries(second.embedder, queries) };
    await second.embedder.dispose();
  }

  const reports: SystemReport[] = [];
  for (const system of comparedSystems(inputs)) reports.push(await evaluateSystem(system, queries));
  const byName = (name: string) => reports.find((r) => r.name === name) as SystemReport;
  const targets = checkTargets(byName(DEFAULT_SYSTEM), byName(LEXICAL), byName(SEMANTIC));
  const heldOut = leaveOneKindOut(
    reports.filter((r) => r.name.startsWith(HYBRID_PREFIX)),
    queries,
  );

  const counts = QUERY_KINDS.map((kind) => `${queries.filter((q) => q.kind === kind).length} ${kind}`).join(', ');
  const m = opened.artifacts.manifest;
  const lines = [
    `${queries.length} judged queries (${counts}); ${papers.length} papers; ${m.model.id} ${m.model.dtype}, corpus ${m.corpusHash.slice(0, 12)}.`,
    '',
    ...METRICS.flatMap(({ key, label }) => [metricTable(reports, key, label), '']),
    `**Targets** (default = "${DEFAULT_SYSTEM}")`,
    '',
    `- overall nDCG@10, hybrid / lexical: ${targets.overallRatio.toFixed(3)} (target ≥ 1.2)`,
    `- paraphrase nDCG@10, hybrid / lexical: ${targets.paraphraseRatio.toFixed(3)} (target ≥ 1.6)`,
    ...QUERY_KINDS.map((kind) => {
      const t = targets.perKind[kind];
      return `- ${kind}: hybrid ${t.hybrid.toFixed(3)} vs better of lexical and semantic ${t.betterSide.toFixed(3)}: ${t.holds ? 'holds' : 'FAILS'}`;
    }),
    '',
    '**Leave one kind out** (the fusion scheme chosen on three kinds, scored on the fourth)',
    '',
    ...heldOut.map((h) => `- held out ${h.heldOut}: chose "${h.chosen}", nDCG@10 on ${h.heldOut} ${h.heldOutNdcg.toFixed(3)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const unjudged = reports.flatMap((r) => r.unjudged.map((u) => `${u.query} ${u.paper}`));
  if (unjudged.length > 0) {
    log(`\n${new Set(unjudged).size} top-10 results have no judgment; judge them in ${relative(REPO_ROOT, values.queries)}:`);
    for (const pair of [...new Set(unjudged)].sort()) log(`  ${pair}`);
  }

  mkdirSync(dirname(values.out), { recursive: true });
  const json = {
    command: `npm run eval${values['second-model'] ? ' -- --second-model' : ''}${values.index !== undefined ? ` -- --index ${values.index}` : ''}`,
    createdAt: new Date().toISOString(),
    artifacts: { model: m.model.id, dtype: m.model.dtype, corpusHash: m.corpusHash, papers: papers.length },
    queries: Object.fromEntries(QUERY_KINDS.map((kind) => [kind, queries.filter((q) => q.kind === kind).length])),
    defaultSystem: DEFAULT_SYSTEM,
    targets,
    leaveOneKindOut: heldOut,
    systems: reports,
  };
  writeFileSync(values.out, `${JSON.stringify(json, null, 1)}\n`);
  log(`Wrote ${relative(REPO_ROOT, values.out)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

/**
 * A format-3 set of the seed corpus against the shipped format-2 set, in one process: each mode through each
 * engine's own search (src/core/eval/formats.ts), the queries embedded once.
 */
async function evalFormat3(dir: string, against: string | undefined, queriesFile: string, out: string, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const two = await openEngine({ log, ...(against !== undefined ? { index: against } : {}) });
  const twoName = against === undefined ? 'the shipped set' : relative(REPO_ROOT, against) || against;
  const three = await openFormat3Dir(dir);
  if (three.manifest.model.id !== two.artifacts.manifest.model.id) {
    throw new Error(`${dir} was built with ${three.manifest.model.id}; the shipped set with ${two.artifacts.manifest.model.id}: compare sets of one model`);
  }
  const queries = parseJudgedQueries(JSON.parse(readFileSync(queriesFile, 'utf8')), new Set(two.artifacts.papers.map((p) => p.id)));
  if (three.manifest.count !== two.artifacts.papers.length) log(`Note: ${dir} holds ${three.manifest.count} papers, the shipped set ${two.artifacts.papers.length}`);
  const vectors = await embedQueries(two.embedder, queries);
  await two.embedder.dispose();
  const reportsOf = async (engine: Parameters<typeof engineModeSystem>[0]) => {
    const reports: SystemReport[] = [];
    for (const mode of ENGINE_MODES) reports.push(await evaluateSystem(engineModeSystem(engine, mode, vectors), queries));
    for (const dims of ENGINE_DIMS) reports.push(await evaluateSystem(engineModeSystem(engine, 'semantic', vectors, dims), queries));
    return reports;
  };
  const comparison = compareFormats(await reportsOf(two.engine), await reportsOf(three.engine));
  const drops = formatDrops(comparison);
  const lines = [
    `nDCG@10, ${queries.length} judged queries; format 2: ${twoName} (${two.artifacts.papers.length} papers), format 3: ${relative(REPO_ROOT, dir) || dir} (${three.manifest.count} papers); ${three.manifest.model.id} ${three.manifest.model.dtype}.`,
    '',
    formatComparisonTable(comparison),
    '',
    drops.length === 0
      ? `Format 3 is within ${FORMAT_TOLERANCE} of format 2 on every kind and mode.`
      : `Format 3 falls more than ${FORMAT_TOLERANCE} below format 2: ${drops.join('; ')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(dirname(out), { recursive: true });
  const json = {
    command: `npm run eval -- --index ${relative(REPO_ROOT, dir) || dir}${against !== undefined ? ` --against ${twoName}` : ''}`, createdAt: new Date().toISOString(), tolerance: FORMAT_TOLERANCE, drops, comparison };
  writeFileSync(out, `${JSON.stringify(json, null, 1)}\n`);
  log(`Wrote ${relative(REPO_ROOT, out)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`eval failed: ${describeError(e)}\n`);
    process.exit(1);
  },
);
