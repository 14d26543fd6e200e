/**
 * `npm run search -- --index DIR "query"` on a format-3 set: embed the query, rotate it, walk the prefix graph,
 * re-rank the shortlist from the row shards it touches, and read the hits' papers from their paper shards.
 * Semantic only for now: the keyword side of format 3 comes with its lexical module.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbedder } from '../core/embed';
import { PapersiftError } from '../core/errors';
import { FORMAT3_FILES, parseFormat3Manifest, type Format3Manifest } from '../core/format3/manifest';
import { checkedFetch, openFormat3, type VectorSet } from '../core/format3/reader';
import { getModel, resolveDtype } from '../core/models';
import type { Paper } from '../core/types';
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

export interface Format3Hit {
  row: number;
  score: number;
  paper: Paper;
}

/** An opened format-3 folder: its vectors, and its papers read by row from the interim JSON-lines shards. */
export class Format3Index {
  private constructor(
    readonly dir: string,
    readonly manifest: Format3Manifest,
    readonly vectors: VectorSet,
    private readonly fetchFile: (name: string) => Promise<Uint8Array>,
  ) {}

  static async open(dir: string): Promise<Format3Index> {
    const manifest = parseFormat3Manifest(readFileSync(join(dir, FORMAT3_FILES.manifest)), join(dir, FORMAT3_FILES.manifest));
    const fetchFile = checkedFetch(manifest, artifactsDirReader(dir));
    return new Format3Index(dir, manifest, await openFormat3(manifest, fetchFile), fetchFile);
  }

  async papers(rows: readonly number[]): Promise<Paper[]> {
    const section = this.manifest.papers as { encoding?: string; rowsPerShard?: number; shards?: string[] } | undefined;
    if (section?.encoding !== 'jsonl' || !section.rowsPerShard || !section.shards) {
      throw new PapersiftError('artifacts-format', `${displayPath(this.dir)} has no paper records this build reads (papers section: ${JSON.stringify(section?.encoding)})`);
    }
    const per = section.rowsPerShard;
    const shards = new Map<number, string[]>();
    for (const shard of new Set(rows.map((row) => Math.floor(row / per)))) {
      const name = section.shards[shard];
      shards.set(shard, new TextDecoder().decode(await this.fetchFile(name)).split('\n'));
    }
    return rows.map((row) => JSON.parse((shards.get(Math.floor(row / per)) as string[])[row % per]) as Paper);
  }

  async search(queryEmbedding: Float32Array, k: number, shortlist?: number): Promise<Format3Hit[]> {
    const hits = await this.vectors.search(this.vectors.rotate(queryEmbedding), k, { shortlist });
    const papers = await this.papers(hits.map((h) => h.row));
    return hits.map((h, i) => ({ ...h, paper: papers[i] }));
  }
}

export interface Format3SearchRequest {
  dir: string;
  query: string;
  k: number;
  shortlist?: number;
  json: boolean;
}

/** What `search --index` on a format-3 folder does; returns the exit code. */
export async function searchFormat3(request: Format3SearchRequest, log: (line: string) => void): Promise<number> {
  const opened = performance.now();
  const index = await Format3Index.open(request.dir);
  const { manifest } = index;
  const model = getModel(manifest.model.id);
  const dtype = resolveDtype(model, manifest.model.dtype);
  log(
    `Searching ${manifest.collection ? `"${manifest.collection.name}" in ` : ''}${displayPath(request.dir)} (format 3, ${manifest.count} papers, ` +
      `${(index.vectors.eagerBytes / 1e6).toFixed(1)} MB read to open in ${(performance.now() - opened).toFixed(0)} ms, ${model.id} ${dtype})`,
  );
  const embedder = await createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir() });
  try {
    const embedded = await embedder.embedQuery(request.query);
    const started = performance.now();
    const hits = await index.search(embedded, request.k, request.shortlist);
    const ms = performance.now() - started;
    if (request.json) {
      process.stdout.write(`${JSON.stringify({ query: request.query, results: hits.map((h) => ({ id: h.paper.id, title: h.paper.title, score: Math.round(h.score * 1e4) / 1e4 })) })}\n`);
    } else {
      const rows = hits.map((h, i) => {
        const title = h.paper.title.length > 72 ? `${h.paper.title.slice(0, 71)}…` : h.paper.title;
        const about = [h.paper.id, h.paper.published, h.paper.categories?.join(' ')].filter(Boolean).join(' · ');
        return `${String(i + 1).padStart(4)}  ${h.score.toFixed(4).padStart(6)}  ${title}\n${' '.repeat(14)}${about}`;
      });
      process.stdout.write(
        `"${request.query}" — semantic, format 3 (graph over ${index.vectors.prefixDims} dims, re-ranked at ${index.vectors.dims}; ${index.vectors.shardsFetched} row shards read), ${ms.toFixed(0)} ms\n` +
          `rank   score  title / id\n${rows.join('\n')}\n`,
      );
    }
    return 0;
  } finally {
    await embedder.dispose();
  }
}
