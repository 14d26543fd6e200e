/**
 * Sharded builds. `build-index --merge DIR... --out DIR`: embeddings shards (from `--shard I/N` processes, the generator, or
 * another engine running the same model) → one artifact set. The rows are ordered by paper id, so a build
 * merged from 1 shard and from 16 is the same set of bytes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactsFromVectors } from '../core/build';
import { corpusHash } from '../core/corpus';
import { PAPER_TEXT_FORM, type Dtype, type ModelSpec } from '../core/models';
import { SHARD_FILES, shardOfId, shardStem } from '../core/shards/format';
import type { Paper } from '../core/types';
import { EmbeddingCache } from './embedding-cache';
import { checkWritableDir, displayPath, embedPapers, writeArtifactsDir, type EmbedMissing, type EmbedReport } from './build-pipeline';
import { mergeShardsFormat3, type Format3MergeOptions } from './format3-merge';
import { openShardSet, readShardSet, ShardWriter } from './shard-files';

export interface MergeOptions {
  model: ModelSpec;
  dtype: Dtype;
  out: string;
  name?: string;
  createdBy: string;
  log: (line: string) => void;
}

export interface MergeReport {
  papers: number;
  shards: number;
  bytes: number;
  seconds: { read: number; index: number };
}

export async function mergeShards(paths: readonly string[], options: MergeOptions): Promise<MergeReport> {
  const opened = openShardSet(paths, options.model, options.dtype);
  checkWritableDir(options.out);
  const started = performance.now();
  const { papers, vectors, shards } = await readShardSet(opened, options.model, options.log);
  const read = (performance.now() - started) / 1000;
  options.log(`Merging ${papers.length} papers from ${shards.length} shard${shards.length > 1 ? 's' : ''}; building the indexes`);
  const indexStarted = performance.now();
  const { files } = await artifactsFromVectors(
    papers,
    vectors,
    { model: options.model, dtype: options.dtype },
    { corpusHash: corpusHash(papers), createdBy: options.createdBy, collectionName: options.name },
  );
  writeArtifactsDir(options.out, files);
  const bytes = [...files.values()].reduce((sum, b) => sum + b.byteLength, 0);
  const index = (performance.now() - indexStarted) / 1000;
  options.log(`Wrote ${files.size} artifact files (${(bytes / 1e6).toFixed(2)} MB) to ${displayPath(options.out)}`);
  return { papers: papers.length, shards: shards.length, bytes, seconds: { read, index } };
}

export interface ShardBuildOptions {
  shard: { index: number; count: number };
  model: ModelSpec;
  dtype: Dtype;
  out: string;
  cacheDir: string | null;
  embed: EmbedMissing;
  createdBy: string;
  log: (line: string) => void;
}

export interface ShardBuildReport {
  rows: number;
  embedded: number;
  reused: number;
  embedSeconds: number;
  header: string;
}

/**
 * `build-index --corpus FILE... --shard I/N --out DIR`: embeds the papers whose id falls in shard I of N (the
 * cache first, as any build) and writes them, with their papers, as one embeddings shard in DIR.
 */
export async function buildShard(papers: readonly Paper[], options: ShardBuildOptions): Promise<ShardBuildReport> {
  const { index, count } = options.shard;
  checkWritableDir(options.out);
  const slice = papers.filter((paper) => shardOfId(paper.id, count) === index);
  options.log(`Shard ${index}/${count}: ${slice.length} of ${papers.length} papers`);
  const cache = options.cacheDir === null ? undefined : new EmbeddingCache(options.cacheDir, options.model, options.dtype);
  let embedded: EmbedReport;
  try {
    embedded = await embedPapers(slice, { model: options.model, dtype: options.dtype, cache, embed: options.embed });
  } finally {
    cache?.close();
  }
  const weights = options.model.weights[options.dtype];
  const stem = shardStem(index, count);
  const writer = new ShardWriter(
    options.out,
    stem,
    {
      model: { id: options.model.id, dims: options.model.dims, pooling: options.model.pooling, dtype: options.dtype, sha256: weights?.sha256 ?? '' },
      textForm: PAPER_TEXT_FORM,
      shard: { index, count },
      createdBy: options.createdBy,
    },
    { withPapers: true },
  );
  const dims = options.model.dims;
  for (const [row, paper] of slice.entries()) await writer.add(paper.id, embedded.vectors.subarray(row * dims, (row + 1) * dims), paper);
  await writer.close();
  return { rows: slice.length, embedded: embedded.embedded, reused: embedded.reused, embedSeconds: embedded.embedSeconds, header: join(options.out, SHARD_FILES.header(stem)) };
}

export type Format3BuildOptions = Format3MergeOptions & Pick<ShardBuildOptions, 'cacheDir' | 'embed'>;

/**
 * `build-index [--corpus FILE...] --out DIR --format 3`: a corpus straight to a format-3 set, through the one
 * path format 3 is written by: the papers embedded as a single shard (the cache first) in a scratch folder,
 * then merged. The same corpus merged from N shards gives the same set.
 */
export async function buildFormat3(papers: readonly Paper[], options: Format3BuildOptions): Promise<MergeReport> {
  const scratch = mkdtempSync(join(tmpdir(), 'papersift-format3-'));
  try {
    const shard = await buildShard(papers, { ...options, shard: { index: 0, count: 1 }, out: scratch });
    options.log(`Embedded ${shard.embedded}, reused ${shard.reused}`);
    return await mergeShardsFormat3([scratch], options);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
