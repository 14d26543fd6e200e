/**
 * Opens the engine for the command line: reuse artifacts on disk when they match the corpus and the
 * model, rebuild them when they don't, and say which happened. `index` opens a built folder as it is.
 */
import { type Artifacts, decodeArtifacts } from '../core/artifacts';
import { createEmbedder } from '../core/embed';
import type { Embedder } from '../core/embed/types';
import { PapersiftError, describeError, isPapersiftError } from '../core/errors';
import { DEFAULT_MODEL_ID, getModel, resolveDtype, type Dtype } from '../core/models';
import { SearchEngine } from '../core/search';
import type { Paper } from '../core/types';
import { artifactsDirReader, buildIndexDir, defaultCacheDir, displayPath, readManifestIn } from './build-pipeline';
import { readSeedCorpus } from './corpus-files';
import { CACHE_ARTIFACTS_DIR, SITE_ARTIFACTS_DIR, modelsDir } from './node-env';
import { join } from 'node:path';

/** The collection name of the seed corpus, written into the manifest when its artifacts are rebuilt. */
export const SEED_COLLECTION_NAME = 'Seed papers';

export interface OpenOptions {
  modelId?: string;
  dtype?: Dtype;
  /** Where to read and write artifacts; default: the site's for the default model, a cache dir otherwise. */
  dir?: string;
  /**
   * A built index to open as it is (`search --index DIR`): it is the only copy of its corpus, so it is not
   * compared with any corpus and never rebuilt; the model is the one its manifest names.
   */
  index?: string;
  /** Rebuild even when the artifacts on disk match. */
  rebuild?: boolean;
  /** The corpus to serve; default: the seed files. */
  corpus?: { papers: Paper[]; problems: { source: string; line: number; message: string }[] };
  /** Embedding cache folder for rebuilds; null: none. Default: .cache/embeddings (or PAPERSIFT_EMBED_CACHE). */
  cacheDir?: string | null;
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
  return decodeArtifacts(artifactsDirReader(dir), expected);
}

export async function openEngine(options: OpenOptions = {}): Promise<OpenedEngine> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (options.index !== undefined) return openIndex(options.index, options, log);
  const model = getModel(options.modelId ?? DEFAULT_MODEL_ID);
  const dtype = resolveDtype(model, options.dtype);
  const dir = options.dir ?? defaultArtifactsDir(model.id, dtype);
  const corpus = options.corpus ?? readSeedCorpus();
  for (const problem of corpus.problems) log(`warning: ${problem.source}:${problem.line}: ${problem.message}`);
  const embedder = await createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir() });
  try {
    const built = await buildIndexDir({
      papers: corpus.papers,
      modelId: model.id,
      dtype,
      out: dir,
      collectionName: options.corpus ? undefined : SEED_COLLECTION_NAME,
      force: options.rebuild,
      cacheDir: options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir,
      embed: { kind: 'embedder', embedder },
      log,
    });
    const artifacts = built.artifacts as Artifacts;
    if (built.action === 'built') {
      log(`Wrote artifacts to ${displayPath(dir)} (${built.embedded} papers embedded, ${built.reused} reused from the embedding cache)`);
    } else {
      log(`Reusing artifacts in ${displayPath(dir)} (${artifacts.papers.length} papers, ${model.id} ${dtype})`);
    }
    return { engine: await SearchEngine.open(artifacts), embedder, artifacts, action: built.action === 'built' ? 'built' : 'reused', dir };
  } catch (e) {
    await embedder.dispose();
    throw e;
  }
}

async function openIndex(dir: string, options: OpenOptions, log: (line: string) => void): Promise<OpenedEngine> {
  const manifest = readManifestIn(dir);
  if (!manifest) {
    throw new PapersiftError(
      'artifacts-missing',
      `No index in ${dir}: it has no readable manifest.json (build one with npm run build-index -- --corpus FILE --out ${dir})`,
      { dir },
    );
  }
  let artifacts: Artifacts;
  const model = getModel(options.modelId ?? manifest.model.id);
  const dtype = resolveDtype(model, options.dtype ?? manifest.model.dtype);
  try {
    artifacts = await readArtifactsDir(dir, { model, dtype });
  } catch (e) {
    if (!isPapersiftError(e)) throw e;
    throw new PapersiftError(e.code, `Cannot search the index in ${dir}: ${describeError(e)}`, { ...e.details, dir }, { cause: e });
  }
  const name = manifest.collection?.name;
  log(`Searching ${name ? `"${name}" in ` : ''}${displayPath(dir)} (${artifacts.papers.length} papers, ${model.id} ${dtype})`);
  const embedder = await createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir() });
  return { engine: await SearchEngine.open(artifacts), embedder, artifacts, action: 'reused', dir };
}
