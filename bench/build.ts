/**
 * Build throughput on real text: the first N records of the arXiv sample (default 300) embedded with the cache
 * off, by 1 worker with 1 ONNX thread, 1 worker with every core's thread, and one worker per core with 1 thread
 * each, in one process, the configurations taking turns round by round so a busy machine slows them alike;
 * then the rest of the build (rotation, graphs, BM25) once over the same vectors.
 *
 *   npx tsx bench/build.ts [--records 300] [--rounds 1] [--corpus ../shared/corpora/arxiv-oai-sample.jsonl] [--write]
 *
 * Papers/s counts from the start of the pool (worker start and model load included, as a build pays them) to
 * its last vector. --write puts the table into docs/BENCHMARKS.md between its markers.
 */
import '../src/cli/node-env';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { embedPapers } from '../src/cli/build-pipeline';
import { REPO_ROOT } from '../src/cli/node-env';
import { readPaperPaths } from '../src/cli/paper-files';
import { INDEX_PREFIXES, artifactsFromVectors } from '../src/core/build';
import { DEFAULT_MODEL_ID, getModel } from '../src/core/models';
import { writeDocSection } from './doc-section';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300' },
    rounds: { type: 'string', default: '1' },
    corpus: { type: 'string', default: join(REPO_ROOT, '..', 'shared', 'corpora', 'arxiv-oai-sample.jsonl') },
    write: { type: 'boolean' },
  },
});
const records = Number(values.records);
const rounds = Number(values.rounds);
const cores = availableParallelism();
const model = getModel(DEFAULT_MODEL_ID);
const dtype = model.defaultDtype;

const read = await readPaperPaths([values.corpus]);
const papers = read.papers.slice(0, records);
const configs = [
  { label: '1 worker, 1 thread', workers: 1, threads: 1 },
  { label: `1 worker, ${cores} threads`, workers: 1, threads: cores },
  { label: `${cores} workers, 1 thread each (default)`, workers: cores, threads: 1 },
].filter((c, i, all) => all.findIndex((o) => o.workers === c.workers && o.threads === c.threads) === i);

const loadAtStart = loadavg()[0];
const seconds = new Map<string, number[]>(configs.map((c) => [c.label, []]));
let vectors: Float32Array | undefined;
for (let round = 0; round < rounds; round++) {
  for (const config of configs) {
    const started = performance.now();
    const report = await embedPapers(papers, {
      model,
      dtype,
      embed: { kind: 'workers', workers: config.workers, threadsPerWorker: config.threads },
      progress: { update() {}, stop() {} },
    });
    const s = (performance.now() - started) / 1000;
    seconds.get(config.label)!.push(s);
    vectors ??= report.vectors;
    console.error(`round ${round + 1}: ${config.label}: ${s.toFixed(1)} s, ${(papers.length / s).toFixed(2)} papers/s`);
  }
}
const indexStarted = performance.now();
await artifactsFromVectors(papers, vectors!, { model, dtype }, { corpusHash: 'bench', createdBy: 'bench/build.ts' });
const indexSeconds = (performance.now() - indexStarted) / 1000;
const loadAtEnd = loadavg()[0];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = papers.length / median(seconds.get(configs[0].label)!);
const rows = configs.map((c) => {
  const s = seconds.get(c.label)!;
  const rate = papers.length / median(s);
  return `| ${c.label} | ${rate.toFixed(2)} | ${(rate / base).toFixed(2)}× | ${s.map((x) => x.toFixed(1)).join(', ')} |`;
});
const report = [
  `Command: \`npx tsx bench/build.ts --records ${records} --rounds ${rounds}${values.write ? ' --write' : ''}\``,
  '',
  `Machine: ${cores} cores (${cpus()[0]?.model.trim()}), Node ${process.version}; load average ${loadAtStart.toFixed(1)} at start, ${loadAtEnd.toFixed(1)} at end` +
    (loadAtStart > cores * 0.5 || loadAtEnd > cores * 0.5 ? ' — **shared with other work**: compare the ratios, not the absolute figures.' : '.'),
  '',
  `Texts: the first ${papers.length} records of \`${relative(REPO_ROOT, values.corpus)}\` (title + ". " + abstract), ${model.id} ${dtype}, embedding cache off. ` +
    `Median of ${rounds} round${rounds > 1 ? 's' : ''}; the configurations take turns within a round.`,
  '',
  '| embedding | papers/s | vs 1 worker, 1 thread | seconds per round |',
  '|---|---|---|---|',
  ...rows,
  '',
  `The rest of the build over the same ${papers.length} vectors (PCA rotation, ${INDEX_PREFIXES.filter((d) => d < model.dims).length + 1} HNSW graphs, BM25): ${indexSeconds.toFixed(1)} s ` +
    `(${(papers.length / indexSeconds).toFixed(0)} papers/s), single-threaded.`,
].join('\n');
console.log(report);
if (values.write) {
  await writeDocSection(join(REPO_ROOT, 'docs', 'BENCHMARKS.md'), 'bench/build.ts', report);
  console.error('wrote docs/BENCHMARKS.md');
}
process.exit(0);
