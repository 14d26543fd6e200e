/**
 * Opens the engine for the command line: reuse artifacts on disk when they match the corpus and the
 * model, rebuild them when they don't, and say which happened.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { decodeArtifacts, type Artifacts } from '../core/artifacts';
import { buildArtifacts } from '../core/build';
import { corpusHash } from '../core/corpus';
import { createEmbedder } from '../core/embed';
import type { Embedder } from '../core/embed/types';
import { describeError, isPapersiftError } from '../core/errors';
import { DEFAULT_MODEL_ID, getModel, resolveDtype, type Dtype } from '../core/models';
import { SearchEngine } from '../core/search';
import type { Paper } from '../core/types';
import { readSeedCorpus } from './corpus-files';
import { CACHE_ARTIFACTS_DIR, REPO_ROOT, SITE_ARTIFACTS_DIR, modelsDir } from './node-env';
import { embedProgressBar } from './progress';

export const CREATED_BY = 'papersift build-index 0.1.0';

export interface OpenOptions {
  modelId?: string;
  dtype?: Dtype;
  /** Where to read and write artifacts; default: the site's for the default model, a cache dir otherwise. */
  dir?: string;
  /** Rebuild even when the artifacts on disk match. */
  rebuild?: boolean;
  /** The corpus to serve; default: the seed files. */
  corpus?: { papers: Paper[]; problems: { source: string; line: number; message: string }[] };
  /** Progress and decisions go here (stderr), never to stdout, which carries results. */
  log?: (line: string) => void;
}

export interface OpenedEngine {
  engine: SearchEngine;
  embedder: Embedder;
  artifacts: Artifacts;
  action: 'reused' | 'built';
  dir: string;
}

export function defaultArtifactsDir(modelId: string, dtype: Dtype): string {
  const spec = getModel(modelId);
  return modelId === DEFAULT_MODEL_ID && dtype === spec.defaultDtype ? SITE_ARTIFACTS_DIR : join(CACHE_ARTIFACTS_DIR, `${modelId}-${dtype}`);
}

export async function readArtifactsDir(dir: string, expected: Parameters<typeof decodeArtifacts>[1]): Promise<Artifacts> {
  return decodeArtifacts(async (name) => {
    const path = join(dir, name);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  }, expected);
}

export function writeArtifactsDir(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
}

export async function openEngine(options: OpenOptions = {}): Promise<OpenedEngine> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const model = getModel(options.modelId ?? DEFAULT_MODEL_ID);
  const dtype = resolveDtype(model, options.dtype);
  const dir = options.dir ?? defaultArtifactsDir(model.id, dtype);
  const corpus = options.corpus ?? readSeedCorpus();
  for (const problem of corpus.problems) log(`warning: ${problem.source}:${problem.line}: ${problem.message}`);
  const hash = corpusHash(corpus.papers);
  const embedder = await createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir() });

  if (!options.rebuild) {
    try {
      const artifacts = await readArtifactsDir(dir, { model, dtype, corpusHash: hash });
      log(`Reusing artifacts in ${relative(REPO_ROOT, dir) || dir} (${artifacts.papers.length} papers, ${model.id} ${dtype})`);
      return { engine: await SearchEngine.open(artifacts), embedder, artifacts, action: 'reused', dir };
    } catch (e) {
      if (!isPapersiftError(e)) throw e;
      log(`Rebuilding artifacts in ${relative(REPO_ROOT, dir) || dir}: ${describeError(e)}`);
    }
  }
  const artifacts = await buildAndWrite(corpus.papers, hash, embedder, dir, log);
  return { engine: await SearchEngine.open(artifacts), embedder, artifacts, action: 'built', dir };
}

export async function buildAndWrite(
  papers: Paper[],
  hash: string,
  embedder: Embedder,
  dir: string,
  log: (line: string) => void,
): Promise<Artifacts> {
  const bar = embedProgressBar(papers.length);
  const { artifacts, files } = await buildArtifacts(papers, embedder, {
    corpusHash: hash,
    createdBy: CREATED_BY,
    onProgress: (p) => {
      if (p.stage === 'embed') bar.update(p.done);
    },
  });
  bar.stop();
  writeArtifactsDir(dir, files);
  const bytes = [...files.values()].reduce((sum, b) => sum + b.byteLength, 0);
  log(`Wrote ${files.size} artifact files (${(bytes / 1e6).toFixed(2)} MB) to ${relative(REPO_ROOT, dir) || dir}`);
  return artifacts;
}
