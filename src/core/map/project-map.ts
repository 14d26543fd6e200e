/**
 * A 2-D map of the papers: UMAP over their (rotated) vectors, so papers on one topic land together.
 *
 * Library: umap-js (Google PAIR): the standard JavaScript UMAP, pure TypeScript with one small
 * dependency, runs in a worker and in Node, and takes its random source as a parameter, which makes a
 * seeded map reproducible. It starts from a random layout (no spectral init) and, by default, spends
 * 500 epochs below 2,500 points, 400 to 5k, 300 to 7.5k, 200 above; times are in
 * docs/BENCHMARKS.md.
 */
import { UMAP } from 'umap-js';
import { PapersiftError } from '../errors';
import { mulberry32 } from '../random';

export interface ProjectMapOptions {
  /** Same seed, same vectors → the same map. Default 1. */
  seed?: number;
  /**
   * Leading components compared (vectors are PCA-rotated, so a prefix keeps most of the geometry and
   * makes the neighbour search cheaper). Default: all `dims`.
   */
  prefixDims?: number;
  /** UMAP's neighbourhood size: larger keeps more global structure. Default 15. */
  nNeighbors?: number;
  /** How tightly points may pack. Default 0.1. */
  minDist?: number;
  /** Optimisation epochs; default: umap-js's choice by size (see above). */
  nEpochs?: number;
  /** Called after each epoch. The layout yields to the event loop between epochs, so a worker stays responsive. */
  onProgress?: (epoch: number, epochs: number) => void;
}

/** Epochs between progress reports (and turns of the event loop): an epoch at 10k points takes ~0.1 s. */
const YIELD_EVERY = 5;

/** Rows of `vectors` (N × dims, row-major, unit length) → N × 2 coordinates, row-major. */
export async function projectMap(vectors: Float32Array, dims: number, options: ProjectMapOptions = {}): Promise<Float32Array> {
  const prefix = options.prefixDims ?? dims;
  if (!Number.isInteger(dims) || dims < 1 || vectors.length % dims !== 0) {
    throw new PapersiftError('invalid-option', `vectors hold ${vectors.length} numbers, not whole ${dims}-d rows`);
  }
  if (!Number.isInteger(prefix) || prefix < 2 || prefix > dims) {
    throw new PapersiftError('invalid-option', `prefixDims must be a whole number from 2 to ${dims}; got ${options.prefixDims}`);
  }
  const rows = vectors.length / dims;
  const out = new Float32Array(rows * 2);
  // UMAP needs more points than neighbours; below that a map says nothing, so lay the few points on a line.
  const nNeighbors = options.nNeighbors ?? 15;
  if (rows <= nNeighbors) {
    for (let i = 0; i < rows; i++) out[i * 2] = i;
    return out;
  }
  const points = Array.from({ length: rows }, (_, r) => Array.from(vectors.subarray(r * dims, r * dims + prefix)));
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: options.minDist ?? 0.1,
    nEpochs: options.nEpochs,
    random: mulberry32(options.seed ?? 1),
  });
  const epochs = umap.initializeFit(points);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    umap.step();
    if (epoch % YIELD_EVERY === 0 || epoch === epochs) {
      options.onProgress?.(epoch, epochs);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }
  umap.getEmbedding().forEach(([x, y], r) => {
    out[r * 2] = x;
    out[r * 2 + 1] = y;
  });
  return out;
}
