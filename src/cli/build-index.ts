/**
 * npm run build-index [-- --corpus FILE ... --out DIR --name "Title"] [--model ID] [--dtype q8|fp32]
 *                        [--workers N] [--threads N] [--cache DIR | --no-cache] [--force]
 * Reads the corpus (the seed pages when no --corpus is given), embeds what the embedding cache lacks on every
 * core, and writes the artifacts that `npm run search -- --index DIR` and the site read.
 */
import './node-env';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PapersiftError, describeError, isPapersiftError } from '../core/errors';
import type { Dtype } from '../core/models';
import type { SourceProblem } from '../core/sources';
import type { Paper } from '../core/types';
import { CREATED_BY, artifactsSize, buildIndexDir, defaultCacheDir, displayPath } from './build-pipeline';
import { readSeedCorpus } from './corpus-files';
import { checkInputPaths, formatProblem, readPaperPaths } from './paper-files';
import { defaultWorkerCount, resolveThreads } from './embed-pool';
import { SEED_COLLECTION_NAME, defaultArtifactsDir } from './open-engine';
import { DEFAULT_MODEL_ID, getModel, resolveDtype, type ModelSpec } from '../core/models';
import { parseShardSpec, shardFromEnv } from '../core/shards/format';
import { buildFormat3, buildShard, mergeShards } from './sharded-build';
import { format3VectorChoices, mergeShardsFormat3, type Format3MergeOptions } from './format3-merge';

const USAGE = `Usage:
  npm run build-index -- --corpus FILE [--corpus FILE ...] --out DIR [--name "Title of the collection"]
  npm run build-index                       (the seed pages into public/artifacts)
  npm run build-index -- --corpus FILE ... --shard I/N --out SHARDS_DIR    (embed one slice: shard I of N)
  npm run build-index -- --merge SHARDS_DIR [DIR ...] --out DIR [--name "..."]   (shards → the index)
  npm run build-index -- [--corpus FILE ...] --out DIR --format 3     (a corpus, or the seed pages, as format 3)

Options:
  --corpus FILE    a corpus file: arXiv snapshot JSON lines, JSON / JSON lines, BibTeX, CSV or seed pages;
                   repeat for several (default: the seed pages in seeds/)
  --out DIR        where to write the index (required with --corpus)
  --name TITLE     the collection's name (default: from the corpus file name, or "${SEED_COLLECTION_NAME}")
  --model ID       bge-small-en-v1.5 (default) or all-MiniLM-L6-v2
  --dtype T        q8 or fp32
  --workers N      embedding worker threads (default: the ${defaultWorkerCount()} cores available)
  --threads N      ONNX threads per worker (default: cores / workers, at least 1)
  --cache DIR      embedding cache (default: .cache/embeddings, or PAPERSIFT_EMBED_CACHE)
  --no-cache       embed everything and keep nothing
  --force          rebuild even when DIR already holds this corpus's index
  --shard I/N      embed only the papers whose id hashes to shard I (0..N-1) and write an embeddings
                   shard to --out; without it, JOB_COMPLETION_INDEX + PAPERSIFT_SHARD_COUNT (Kubernetes),
                   SLURM_ARRAY_TASK_ID + SLURM_ARRAY_TASK_COUNT (Slurm) or PAPERSIFT_SHARD=I/N choose one
  --merge DIR      merge a complete set of embeddings shards (folders or shard .json files) into the
                   index at --out; the format is in docs/SHARDS.md
  --format 2|3     the artifact format written (default 2): 3 keeps only a 64-d 8-bit prefix and one
                   graph eager, full vectors and papers in shards read on demand (the site, search --index
                   and eval --index read it); --merge streams, so a million papers merge in ~3 GB; a
                   corpus built straight to format 3 is embedded as one shard, then merged
  --head-dims N    format 3: the dims of each row that a shortlist's re-rank reads (a row shard's head);
                   the rest go in tail files read only for the head re-rank's best rows (default: all
                   dims up to 500,000 papers, 160 above, where the first hybrid result's bytes bind)
  --prefix-bits B  format 3: 8 or 4 bits a dim for the in-memory prefix the graph walks (default: 8 up
                   to 500,000 papers, 4 above: half the bytes read before the first hybrid result)

Ctrl-C stops a build once the papers being embedded are done; everything embedded is in the cache, and
running the same command again resumes.`;

/** Problems printed one per line before the rest are only counted: a bad million-row file must not flood the terminal. */
const PROBLEMS_SHOWN = 50;

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new PapersiftError('invalid-option', `${flag} must be a whole number ≥ 1; got "${value}"`);
  return n;
}

/** "arxiv-oai-sample" from ".../arxiv-oai-sample.jsonl"; several files joined with " + ". */
export function collectionNameFromFiles(files: readonly string[]): string {
  return files.map((file) => basename(file).replace(/(\.[a-z0-9]+)+$/i, '')).join(' + ');
}

/** The seed pages as the readers report problems: a listing entry that could not be read is lost, an error. */
function seedCorpusWithSeverity(): { papers: Paper[]; problems: SourceProblem[] } {
  const seeds = readSeedCorpus();
  return { papers: seeds.papers, problems: seeds.problems.map((p) => ({ ...p, severity: 'error' as const })) };
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

async function main(): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: {
        corpus: { type: 'string', multiple: true },
        out: { type: 'string' },
        name: { type: 'string' },
        model: { type: 'string' },
        dtype: { type: 'string' },
        workers: { type: 'string' },
        threads: { type: 'string' },
        cache: { type: 'string' },
        'no-cache': { type: 'boolean' },
        force: { type: 'boolean' },
        shard: { type: 'string' },
        merge: { type: 'string', multiple: true },
        format: { type: 'string' },
        'head-dims': { type: 'string' },
        'prefix-bits': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    }));
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const corpusFiles = values.corpus ?? [];
  let workers: number;
  let threads: number;
  let out: string;
  let shard: { index: number; count: number; from?: string } | undefined;
  let model: ModelSpec;
  let dtype: Dtype;
  let vectorChoices: Format3MergeOptions['vectorChoices'];
  const mergePaths = values.merge ? [...values.merge, ...positionals] : [];
  try {
    if (positionals.length > 0 && !values.merge) throw new PapersiftError('invalid-option', `Unexpected argument "${positionals[0]}"`);
    if (values.merge && (corpusFiles.length > 0 || values.shard)) {
      throw new PapersiftError('invalid-option', '--merge reads shards only: leave out --corpus and --shard');
    }
    if (values.merge && values.out === undefined) throw new PapersiftError('invalid-option', '--out DIR is required with --merge');
    if (values.format !== undefined && !['2', '3'].includes(values.format)) throw new PapersiftError('invalid-option', `--format takes 2 or 3, not "${values.format}"`);
    if (values.format === '3' && !values.merge && (values.shard !== undefined || values.out === undefined)) {
      throw new PapersiftError('invalid-option', '--format 3 needs --out DIR (and no --shard: a shard is not an index)');
    }
    shard = values.merge ? undefined : values.shard !== undefined ? parseShardSpec(values.shard) : shardFromEnv(process.env);
    if (shard && (corpusFiles.length === 0 || values.out === undefined)) {
      throw new PapersiftError('invalid-option', `A shard build (${values.shard ? '--shard' : shard.from}) needs --corpus FILE and --out SHARDS_DIR`);
    }
    if (corpusFiles.length > 0 && values.out === undefined) {
      throw new PapersiftError('invalid-option', '--out DIR is required with --corpus (the seed index in public/artifacts is not overwritten)');
    }
    if (values.cache !== undefined && values['no-cache']) throw new PapersiftError('invalid-option', '--cache and --no-cache contradict each other');
    workers = positiveInt(values.workers, '--workers') ?? defaultWorkerCount();
    threads = resolveThreads(workers, positiveInt(values.threads, '--threads'));
    model = getModel(values.model ?? DEFAULT_MODEL_ID);
    dtype = resolveDtype(model, values.dtype as Dtype | undefined);
    out = resolve(values.out ?? defaultArtifactsDir(model.id, dtype));
    vectorChoices = format3VectorChoices(values['head-dims'], values['prefix-bits'], values.format, model.dims);
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n\n${USAGE}\n`);
    return 2;
  }

  if (values.merge) {
    const mergeOptions = { model, dtype, out, name: values.name, createdBy: CREATED_BY, log, vectorChoices };
    const report = values.format === '3' ? await mergeShardsFormat3(mergePaths, mergeOptions) : await mergeShards(mergePaths, mergeOptions);
    const seconds = (performance.now() - started) / 1000;
    log(`Merged: ${report.papers} papers from ${report.shards} shard${report.shards === 1 ? '' : 's'} (read ${report.seconds.read.toFixed(1)} s, indexes ${report.seconds.index.toFixed(1)} s, wall ${seconds.toFixed(1)} s)`);
    return 0;
  }

  // Every path checked before anything is read or loaded: a typo costs no wait.
  const badPaths = checkInputPaths(corpusFiles, '--corpus');
  if (badPaths.length > 0) {
    for (const message of badPaths) log(message);
    return 2;
  }
  const corpus: { papers: Paper[]; problems: SourceProblem[] } =
    corpusFiles.length > 0 ? await readPaperPaths(corpusFiles) : seedCorpusWithSeverity();
  const errors = corpus.problems.filter((p) => p.severity === 'error').length;
  const warnings = corpus.problems.length - errors;
  for (const problem of corpus.problems.slice(0, PROBLEMS_SHOWN)) log(formatProblem(problem));
  if (corpus.problems.length > PROBLEMS_SHOWN) log(`… and ${corpus.problems.length - PROBLEMS_SHOWN} more problems (not shown)`);
  const what = corpusFiles.length > 0 ? corpusFiles.map(displayPath).join(', ') : 'the seed pages';
  const readLine = `Read ${corpus.papers.length} papers from ${what}: ${count(errors, 'error')}, ${count(warnings, 'warning')}`;
  log(readLine);
  if (corpus.papers.length === 0) {
    log(`No papers could be read from ${what}${corpus.problems.length > 0 ? ' (the problems are listed above)' : ''}; nothing to build.`);
    return 1;
  }

  const controller = new AbortController();
  const interrupt = () => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C does not wait
    log('\nStopping after the papers being embedded now (they are kept); Ctrl-C again to quit at once.');
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const cacheDir = values['no-cache'] ? null : resolve(values.cache ?? defaultCacheDir());
  try {
    if (values.format === '3') {
      const name = values.name ?? (corpusFiles.length > 0 ? collectionNameFromFiles(corpusFiles) : SEED_COLLECTION_NAME);
      const embed = { kind: 'workers' as const, workers, threadsPerWorker: threads, signal: controller.signal };
      const report = await buildFormat3(corpus.papers, { model, dtype, out, name, cacheDir, embed, createdBy: CREATED_BY, log, vectorChoices });
      log(`Built format 3: ${report.papers} papers in ${((performance.now() - started) / 1000).toFixed(1)} s; index ${displayPath(out)} (${(report.bytes / 1e6).toFixed(2)} MB)`);
      return 0;
    }
    if (shard) {
      const report = await buildShard(corpus.papers, {
        shard,
        model,
        dtype,
        out,
        cacheDir,
        embed: { kind: 'workers', workers, threadsPerWorker: threads, signal: controller.signal },
        createdBy: CREATED_BY,
        log,
      });
      const rate = report.embedded > 0 ? ` (${(report.embedded / report.embedSeconds).toFixed(1)} papers/s on ${count(workers, 'worker')} × ${count(threads, 'thread')})` : '';
      log(`Shard ${shard.index}/${shard.count}: ${report.rows} papers, embedded ${report.embedded}${rate}, reused ${report.reused}`);
      log(`Wrote ${displayPath(report.header)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      return 0;
    }
    const result = await buildIndexDir({
      papers: corpus.papers,
      modelId: values.model,
      dtype: values.dtype as Dtype | undefined,
      out,
      collectionName: values.name ?? (corpusFiles.length > 0 ? collectionNameFromFiles(corpusFiles) : SEED_COLLECTION_NAME),
      nameGiven: values.name !== undefined,
      force: values.force,
      cacheDir,
      embed: { kind: 'workers', workers, threadsPerWorker: threads, signal: controller.signal },
      log,
    });
    const seconds = (performance.now() - started) / 1000;
    const m = result.manifest;
    const state = { built: 'Built', reused: 'Up to date', renamed: 'Up to date (collection name updated)' }[result.action];
    const embedRate = result.embedded > 0 ? ` (${(result.embedded / result.embedSeconds).toFixed(1)} papers/s on ${count(workers, 'worker')} × ${count(threads, 'thread')})` : '';
    const reusedFrom =
      result.action !== 'built' ? 'the index already there' : cacheDir === null ? 'no cache' : `cache ${displayPath(cacheDir)}`;
    const name = m.collection ? `"${m.collection.name}", ` : '';
    log(`${state}: ${name}${m.count} papers, ${m.model.id} ${m.model.dtype}, graphs at ${m.indexDims.join('/')} dims`);
    log(readLine);
    log(`Embedded ${result.embedded}${embedRate}, reused ${result.reused} (${reusedFrom})`);
    log(`Wall time ${seconds.toFixed(1)} s, ${(corpus.papers.length / seconds).toFixed(1)} papers/s overall`);
    log(`Index: ${displayPath(out)} (${(artifactsSize(out) / 1e6).toFixed(2)} MB)`);
    return 0;
  } catch (e) {
    if (isPapersiftError(e, 'interrupted')) {
      const where = cacheDir === null ? 'not kept (--no-cache)' : `kept in ${displayPath(cacheDir)}`;
      log(`\nInterrupted: ${describeError(e)}; the embeddings are ${where}. Run the same command again to resume.`);
      return 130;
    }
    throw e;
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`build-index failed: ${describeError(e)}\n`);
    process.exit(1);
  },
);
