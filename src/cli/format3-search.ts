/**
 * `npm run search -- --index DIR ...` on a format-3 set: the format-3 engine (src/core/format3/engine.ts) over
 * the folder's files, each checked against the manifest or its section's table when read. Hybrid, semantic
 * or keyword queries, "similar" by id, related to a pasted paper, year/category filters and the date sort work
 * as on format 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbedder } from '../core/embed';
import type { Format3Engine } from '../core/format3/engine';
import { FORMAT3_FILES, parseFormat3Manifest, type Format3Manifest } from '../core/format3/manifest';
import { openFormat3Engine } from '../core/format3/open';
import type { PapersReader } from '../core/format3/papers';
import type { VectorSet } from '../core/format3/reader';
import { verifiedSource } from '../core/format3/sharded-files';
import { PapersiftError } from '../core/errors';
import { getModel, resolveDtype } from '../core/models';
import type { PastedPaper } from '../core/pasted-paper';
import type { SearchOptions, SearchResult } from '../core/search';
import { artifactsDirReader, displayPath } from './build-pipeline';
import { modelsDir } from './node-env';

/** The format version a folder's manifest declares, or undefined when it has none or it is not JSON. */
export function manifestVersionIn(dir: string): number | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, FORMAT3_FILES.manifest), 'utf8')) as { formatVersion?: number }).formatVersion;
  } catch {
    return undefined;
  }
}

export interface OpenedFormat3 {
  manifest: Format3Manifest;
  vectors: VectorSet;
  papers: PapersReader;
  engine: Format3Engine;
}

/** Opens a format-3 folder: reads its eager parts (vectors' prefix and graph, the papers' catalog, keyword lengths). */
export async function openFormat3Dir(dir: string): Promise<OpenedFormat3> {
  const manifest = parseFormat3Manifest(readFileSync(join(dir, FORMAT3_FILES.manifest)), join(dir, FORMAT3_FILES.manifest));
  if (!manifest.papers || !manifest.lexical) {
    throw new PapersiftError('artifacts-format', `${displayPath(dir)} has no papers or keyword section: rebuild it with build-index --merge ... --format 3`);
  }
  const { vectors, papers, engine } = await openFormat3Engine(manifest, verifiedSource(artifactsDirReader(dir)));
  return { manifest, vectors, papers, engine };
}

export interface Format3SearchRequest {
  dir: string;
  query: string;
  similar?: string;
  /** A pasted title and abstract (--related): its neighbours, as similar ranks a held paper's. */
  related?: PastedPaper;
  options: SearchOptions;
  json: boolean;
  /** The table format-2 searches print (search.ts). */
  formatTable: (result: SearchResult) => string;
}

/** What `search --index` on a format-3 folder does; returns the exit code. */
export async function searchFormat3(request: Format3SearchRequest, log: (line: string) => void): Promise<number> {
  const opened = performance.now();
  const { manifest, vectors, engine } = await openFormat3Dir(request.dir);
  const model = getModel(manifest.model.id);
  const dtype = resolveDtype(model, manifest.model.dtype);
  log(
    `Searching ${manifest.collection ? `"${manifest.collection.name}" in ` : ''}${displayPath(request.dir)} (format 3, ${manifest.count} papers, ` +
      `opened in ${(performance.now() - opened).toFixed(0)} ms, ${model.id} ${dtype})`,
  );
  const needsModel = request.similar === undefined && request.options.mode !== 'lexical';
  const embedder = needsModel ? await createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir() }) : undefined;
  try {
    const { related } = request;
    // A pasted paper is embedded as the set's papers were (a document); with --mode lexical, not at all.
    const relatedEmbedding = related && (embedder ? (await embedder.embedDocuments([related.text])).slice() : new Float32Array(vectors.dims));
    const embedding = embedder && !related ? await embedder.embedQuery(request.query) : null;
    const started = performance.now();
    const result = related
      ? await engine.related(related, relatedEmbedding as Float32Array, request.options)
      : request.similar !== undefined
        ? await engine.similar(request.similar, request.options)
        : await engine.searchText(request.query, embedding, request.options);
    const ms = performance.now() - started;
    if (request.json) {
      const results = result.hits.map((h) => ({ id: h.paper.id, title: h.paper.title, score: Math.round(h.score * 1e4) / 1e4 }));
      process.stdout.write(`${JSON.stringify({ query: related?.title ?? request.similar ?? request.query, results })}\n`);
    } else {
      const what = related ? `Related to "${related.title}"` : request.similar !== undefined ? `Similar to ${request.similar}` : `"${request.query}"`;
      process.stdout.write(
        `${what} — ${result.mode}, format 3 (graph over ${vectors.prefixDims} dims, re-ranked at ${vectors.dims}; ${vectors.shardsFetched} row shards read), ${ms.toFixed(0)} ms\n` +
          `${request.formatTable(result)}\n`,
      );
    }
    return 0;
  } finally {
    await embedder?.dispose();
  }
}
