/**
 * Corpus → artifacts: embed every paper, fit the rotation, build one HNSW graph per prefix length and
 * the lexical index.
 * Runs in Node (`npm run build-index`) and in the browser worker when shipped artifacts are stale.
 */
import { FORMAT_VERSION, decodeArtifacts, encodeArtifacts, type Artifacts } from './artifacts';
import type { EmbedProgress, Embedder } from './embed/types';
import { HnswIndex, type HnswParams } from './index/hnsw';
import { buildLexicalIndex } from './lexical';
import { fitRotation, rotateRows } from './matryoshka/rotation';
import { paperText } from './models';
import type { Paper } from './types';
import { prefixRows } from './vectors';

/** Prefix lengths that get a graph: the UI's choices, full dims last. */
export const INDEX_PREFIXES = [32, 64, 128, 256];
export const DEFAULT_HNSW: Required<Pick<HnswParams, 'm' | 'efConstruction'>> = { m: 16, efConstruction: 200 };

export interface BuildOptions {
  corpusHash: string;
  createdBy: string;
  batchSize?: number;
  onProgress?: (p: EmbedProgress & { stage: 'embed' | 'index' }) => void;
}

export interface BuildOutput {
  artifacts: Artifacts;
  /** The same set as named files, ready to write or store. */
  files: Map<string, Uint8Array>;
}

export async function buildArtifacts(papers: Paper[], embedder: Embedder, options: BuildOptions): Promise<BuildOutput> {
  const dims = embedder.model.dims;
  const raw = await embedder.embedDocuments(papers.map(paperText), {
    batchSize: options.batchSize,
    onProgress: (p) => options.onProgress?.({ ...p, stage: 'embed' }),
  });
  const rotation = fitRotation(raw, dims);
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
  const weights = embedder.model.weights[embedder.dtype];
  const files = await encodeArtifacts({
    manifest: {
      formatVersion: FORMAT_VERSION,
      model: { id: embedder.model.id, dims, pooling: embedder.model.pooling, dtype: embedder.dtype, sha256: weights?.sha256 ?? '' },
      corpusHash: options.corpusHash,
      count: papers.length,
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
  const artifacts = await decodeArtifacts(async (name) => files.get(name), {
    model: embedder.model,
    dtype: embedder.dtype,
    corpusHash: options.corpusHash,
  });
  return { artifacts, files };
}
