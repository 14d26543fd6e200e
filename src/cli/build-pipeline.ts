/**
 * The build behind `npm run build-index` (and the CLI's rebuild of stale artifacts): corpus → vectors (from the
 * embedding cache, the rest embedded in worker threads) → artifacts → a folder. Each step says what it did, so
 * the build's last lines can report papers read, problems, embedded and reused counts, time and size.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { FILES, decodeArtifacts, parseManifest, type Artifacts, type Manifest } from '../core/artifacts';
import { artifactsFromVectors } from '../core/build';
import { corpusHash } from '../core/corpus';
import type { Embedder } from '../core/embed/types';
import { PapersiftError, describeError, isPapersiftError } from '../core/errors';
import { DEFAULT_MODEL_ID, getModel, paperText, resolveDtype, type Dtype, type ModelSpec } from '../core/models';
import type { Paper } from '../core/types';
import { DEFAULT_CHUNK_SIZE, chunkRows, embedInWorkers } from './embed-pool';
import { EmbeddingCache } from './embedding-cache';
import { REPO_ROOT, modelsDir } from './node-env';
import { embedProgressBar } from './progress';

export const CREATED_BY = 'papersift build-index 0.1.0';

/** Where embeddings are kept between builds unless --cache or PAPERSIFT_EMBED_CACHE says otherwise. */
export const DEFAULT_EMBED_CACHE_DIR = join(REPO_ROOT, '.cache', 'embeddings');

export function defaultCacheDir(): string {
  return process.env.PAPERSIFT_EMBED_CACHE || DEFAULT_EMBED_CACHE_DIR;
}

/** A path as the user would type it from the repository: relative when inside it. */
export function displayPath(path: string): string {
  const rel = relative(REPO_ROOT, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** How the texts the cache lacks get embedded: worker threads (build-index) or an embedder already loaded. */
export type EmbedMissing =
  | { kind: 'workers'; workers?: number; threadsPerWorker?: number; signal?: AbortSignal }
  | { kind: 'embedder'; embedder: Embedder };

export interface EmbedPapersOptions {
  model: ModelSpec;
  dtype: Dtype;
  /** Left out: no cache (every text is embedded, nothing is kept). */
  cache?: EmbeddingCache;
  embed: EmbedMissing;
  /** Progress of the texts being embedded (not the reused ones); default: a bar on stderr. */
  progress?: { update(done: number): void; stop(): void };
}

export interface EmbedReport {
  /** Unrotated unit vectors, one row per paper, in paper order. */
  vectors: Float32Array;
  /** Texts embedded by this run. */
  embedded: number;
  /** Papers whose vector came from the cache. */
  reused: number;
  /** Seconds spent embedding (model load included), 0 when nothing was. */
  embedSeconds: number;
  /** Damaged cache records that were skipped (their texts were embedded again). */
  damaged: number;
}

/**
 * Vectors for every paper: cached ones read back, the others embedded once per distinct text and appended to
 * the cache as each chunk finishes, so an interrupted run keeps all but the chunks in flight. With everything
 * cached no model is loaded at all.
 */
export async function embedPapers(papers: readonly Paper[], options: EmbedPapersOptions): Promise<EmbedReport> {
  const { model, dtype, cache } = options;
  const dims = model.dims;
  const texts = papers.map(paperText);
  const keys = cache ? texts.map((text) => cache.key(text)) : [];
  const lookup = cache?.lookup(keys);
  const vectors = lookup?.vectors ?? new Float32Array(papers.length * dims);
  // One embedding per distinct missing text; rowsOfText lists the papers that share it.
  const rowsOfText = new Map<string, number[]>();
  texts.forEach((text, row) => {
    if (lookup?.found[row]) return;
    const rows = rowsOfText.get(text);
    if (rows) rows.push(row);
    else rowsOfText.set(text, [row]);
  });
  const missing = [...rowsOfText.keys()];
  const missingRows = [...rowsOfText.values()];
  const reused = lookup?.hits ?? 0;
  if (missing.length === 0) return { vectors, embedded: 0, reused, embedSeconds: 0, damaged: lookup?.damaged ?? 0 };

  const started = performance.now();
  const progress = options.progress ?? embedProgressBar(missing.length);
  const keep = (missingIndices: number[], chunk: Float32Array) => {
    missingIndices.forEach((m, i) => {
      for (const row of missingRows[m]) vectors.set(chunk.subarray(i * dims, (i + 1) * dims), row * dims);
    });
    cache?.append(
      missingIndices.map((m) => keys[missingRows[m][0]]),
      chunk,
    );
  };
  try {
    if (options.embed.kind === 'workers') {
      await embedInWorkers(missing, {
        modelId: model.id,
        dtype,
        localModelPath: modelsDir(),
        dims,
        workers: options.embed.workers,
        threadsPerWorker: options.embed.threadsPerWorker,
        signal: options.embed.signal,
        onChunk: keep,
        onProgress: (done) => progress.update(done),
      });
    } else {
      const embedder = options.embed.embedder;
      // Chunks so the cache keeps what is done if the process stops; same chunking rule as the workers'.
      let done = 0;
      for (const chunk of chunkRows(missing, DEFAULT_CHUNK_SIZE)) {
        keep(chunk, await embedder.embedDocuments(chunk.map((m) => missing[m])));
        done += chunk.length;
        progress.update(done);
      }
    }
  } finally {
    progress.stop();
  }
  return { vectors, embedded: missing.length, reused, embedSeconds: (performance.now() - started) / 1000, damaged: lookup?.damaged ?? 0 };
}

/** Reads an artifact folder file by file, undefined for a file that is not there. */
export function artifactsDirReader(dir: string): (name: string) => Promise<Uint8Array | undefined> {
  return async (name) => {
    const path = join(dir, name);
    return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined;
  };
}

/** The manifest in a folder, or undefined when there is none or it cannot be parsed. */
export function readManifestIn(dir: string): Manifest | undefined {
  const path = join(dir, FILES.manifest);
  if (!existsSync(path)) return undefined;
  try {
    return parseManifest(readFileSync(path));
  } catch {
    return undefined;
  }
}

/**
 * Writes an artifact set so that no moment on disk looks like a complete set that is not: the old manifest goes
 * first, each file is written beside its final name and renamed, the new manifest last. Files the old manifest
 * listed and the new set lacks are removed; nothing else in the folder is touched.
 */
export function writeArtifactsDir(dir: string, files: Map<string, Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  const previous = readManifestIn(dir);
  rmSync(join(dir, FILES.manifest), { force: true });
  const write = (name: string, bytes: Uint8Array) => {
    const temporary = join(dir, `.${name}.partial`);
    writeFileSync(temporary, bytes);
    renameSync(temporary, join(dir, name));
  };
  for (const [name, bytes] of files) if (name !== FILES.manifest) write(name, bytes);
  for (const name of Object.keys(previous?.files ?? {})) {
    if (!files.has(name) && !name.includes('/') && !name.includes('\\')) rmSync(join(dir, name), { force: true });
  }
  const manifest = files.get(FILES.manifest);
  if (manifest) write(FILES.manifest, manifest);
}

/** Total bytes of the files a manifest lists, the manifest included. */
export function artifactsSize(dir: string): number {
  const manifest = readManifestIn(dir);
  if (!manifest) return 0;
  const listed = Object.values(manifest.files).reduce((sum, f) => sum + f.bytes, 0);
  return listed + statSync(join(dir, FILES.manifest)).size;
}

/** Fails early, before any model loads, when the output folder cannot be made or written. */
export function checkWritableDir(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new Error('it is a file, not a folder');
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new PapersiftError('invalid-option', `Cannot write the index to ${dir}: ${describeError(e)}`, { dir });
  }
}

export interface BuildRequest {
  papers: Paper[];
  modelId?: string;
  dtype?: Dtype;
  out: string;
  /** The collection's name for the manifest; undefined writes none. */
  collectionName?: string;
  /** Whether the name was asked for (--name): only then does a differing name rewrite an up-to-date manifest. */
  nameGiven?: boolean;
  force?: boolean;
  /** Embedding cache folder; null: no cache. */
  cacheDir: string | null;
  embed: EmbedMissing;
  log: (line: string) => void;
}

export interface BuildResult {
  action: 'reused' | 'renamed' | 'built';
  artifacts?: Artifacts;
  manifest: Manifest;
  embedded: number;
  reused: number;
  embedSeconds: number;
  model: ModelSpec;
  dtype: Dtype;
  cacheDir?: string;
}

/**
 * Builds `out` from papers unless it already holds artifacts of exactly this corpus and model (checked file by
 * file against the manifest); a new collection name alone rewrites only the manifest.
 */
export async function buildIndexDir(request: BuildRequest): Promise<BuildResult> {
  const model = getModel(request.modelId ?? DEFAULT_MODEL_ID);
  const dtype = resolveDtype(model, request.dtype);
  if (request.papers.length === 0) {
    throw new PapersiftError('parse', 'No papers to index: every record was unreadable or the corpus is empty');
  }
  checkWritableDir(request.out);
  const hash = corpusHash(request.papers);
  const base = { embedded: 0, reused: 0, embedSeconds: 0, model, dtype };

  if (!request.force) {
    try {
      const artifacts = await decodeArtifacts(artifactsDirReader(request.out), { model, dtype, corpusHash: hash });
      const name = request.collectionName;
      if (request.nameGiven && name !== undefined && artifacts.manifest.collection?.name !== name) {
        const manifest: Manifest = { ...artifacts.manifest, collection: { name } };
        writeFileSync(join(request.out, FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
        return { ...base, action: 'renamed', artifacts: { ...artifacts, manifest }, manifest, reused: request.papers.length };
      }
      return { ...base, action: 'reused', artifacts, manifest: artifacts.manifest, reused: request.papers.length };
    } catch (e) {
      if (!isPapersiftError(e)) throw e;
      const verb = isPapersiftError(e, 'artifacts-missing') ? 'Building' : 'Rebuilding';
      request.log(`${verb} artifacts in ${displayPath(request.out)}: ${describeError(e)}`);
    }
  }

  const cache = request.cacheDir === null ? undefined : new EmbeddingCache(request.cacheDir, model, dtype);
  let embedded: EmbedReport;
  try {
    embedded = await embedPapers(request.papers, { model, dtype, cache, embed: request.embed });
  } finally {
    cache?.close();
  }
  if (embedded.damaged > 0) request.log(`warning: ${embedded.damaged} damaged records in the embedding cache were skipped and embedded again`);
  request.log(`Building the rotation, the graphs and the keyword index for ${request.papers.length} papers…`);
  const { artifacts, files } = await artifactsFromVectors(request.papers, embedded.vectors, { model, dtype }, {
    corpusHash: hash,
    createdBy: CREATED_BY,
    collectionName: request.collectionName,
  });
  writeArtifactsDir(request.out, files);
  return {
    action: 'built',
    artifacts,
    manifest: artifacts.manifest,
    embedded: embedded.embedded,
    reused: embedded.reused,
    embedSeconds: embedded.embedSeconds,
    model,
    dtype,
    cacheDir: cache?.dir,
  };
}
