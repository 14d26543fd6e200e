/**
 * Corpus → artifacts in two separable steps: embed every paper (`buildArtifacts` does it with an Embedder;
 * the CLI uses a cache and a worker pool; a shard merge reads rows made elsewhere), then `artifactsFromVectors`
 * fits the rotation, builds one HNSW graph per prefix length and the lexical index, without any model.
 * Runs in Node (`npm run build-index`) and in the browser worker when shipped artifacts are stale.
 */
import { FORMAT_VERSION, decodeArtifacts, encodeArtifacts, type Artifacts } from './artifacts';
import { PapersiftError } from './errors';
import type { EmbedProgress, Embedder } from './embed/types';
import { HnswIndex, type HnswParams } from './index/hnsw';
import { buildLexicalIndex } from './lexical';
import { fitRotation, rotateRows, sampleRows } from './matryoshka/rotation';
import { paperText, type Dtype, type ModelSpec } from './models';
import type { Paper } from './types';
import { prefixRows } from './vectors';

/** Prefix lengths that get a graph: the UI's choices, full dims last. */
export const INDEX_PREFIXES = [32, 64, 128, 256];
export const DEFAULT_HNSW: Required<Pick<HnswParams, 'm' | 'efConstruction'>> = { m: 16, efConstruction: 200 };

export type BuildStage = 'embed' | 'index';

export interface AssembleOptions {
  corpusHash: string;
  createdBy: string;
  /** What the collection is called; left out, the manifest has no collection field (as the shipped seed set). */
  collectionName?: string;
  onProgress?: (p: EmbedProgress & { stage: BuildStage }) => void;
}

export interface BuildOptions extends AssembleOptions {
  batchSize?: number;
}

export interface BuildOutput {
  artifacts: Artifacts;
  /** The same set as named files, ready to write or store. */
  files: Map<string, Uint8Array>;
}

/** Which model made the vectors: the manifest records it, and a reader checks it against the one it runs. */
export interface VectorSource {
  model: ModelSpec;
  dtype: Dtype;
}

export async function buildArtifacts(papers: Paper[], embedder: Embedder, options: BuildOptions): Promise<BuildOutput> {
  const raw = await embedder.embedDocuments(papers.map(paperText), {
    batchSize: options.batchSize,
    onProgress: (p) => options.onProgress?.({ ...p, stage: 'embed' }),
  });
  return artifactsFromVectors(papers, raw, embedder, options);
}

/**
 * Vectors + papers → artifacts. `raw` holds one unit-length, unrotated embedding of paperText(paper) per paper,
 * row-major in paper order. Needs no embedder: the vectors may come from a cache, workers or merged shards.
 */
export async function artifactsFromVectors(
  papers: Paper[],
  raw: Float32Array,
  source: VectorSource,
  options: AssembleOptions,
): Promise<BuildOutput> {
  const { model, dtype } = source;
  const dims = model.dims;
  if (raw.length !== papers.length * dims) {
    throw new PapersiftError('invalid-option', `${raw.length / dims} vectors of ${dims} dims for ${papers.length} papers`, {
      vectors: raw.length / dims,
      papers: papers.length,
    });
  }
  // Fitted on a seeded sample: the same rows give the same rotation, and a million rows cost what 50k do.
  const rotation = fitRotation(sampleRows(raw, dims), dims);
  const vectors = rotateRows(rotation.matrix, dims, raw);
  const indexDims = [...INDEX_PREFIXES.filter((d) => d < dims), dims];
  const hnsw = new Map<number, Uint8Array>();
  for (const [i, d] of indexDims.entries()) {
    options.onProgress?.({ stage: 'index', done: i, total: indexDims.length });
    const graph = await HnswIndex.create(d, papers.length, DEFAULT_HNSW);
    graph.add(d === dims ? vectors : prefixRows(vectors, dims, d));
    hnsw.set(d, await graph.toBytes());
  }
  options.onProgress?.({ stage: 'index', done: indexDims.length, total: indexDims.length });
  const weights = model.weights[dtype];
  const files = await encodeArtifacts({
    manifest: {
      formatVersion: FORMAT_VERSION,
      model: { id: model.id, dims, pooling: model.pooling, dtype, sha256: weights?.sha256 ?? '' },
      corpusHash: options.corpusHash,
      count: papers.length,
      ...(options.collectionName !== undefined ? { collection: { name: options.collectionName } } : {}),
      vectors: { file: 'vectors.f32', rotated: true },
      rotation: { file: 'rotation.f32', method: 'pca-uncentred' },
      indexDims,
      hnsw: { ...DEFAULT_HNSW },
      createdBy: options.createdBy,
      createdAt: new Date().toISOString(),
    },
    papers,
    vectors,
    rotation: rotation.matrix,
    hnsw,
    lexical: buildLexicalIndex(papers),
  });
  const artifacts = await decodeArtifacts(async (name) => files.get(name), { model, dtype, corpusHash: options.corpusHash });
  return { artifacts, files };
}
