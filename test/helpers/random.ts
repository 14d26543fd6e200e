/** Seeded random data for tests and benchmarks: the same seed gives the same vectors everywhere. */
import { mulberry32 } from '../../src/core/random';

export { mulberry32 };
export function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/**
 * Unit vectors around `clusters` random centres, with an anisotropic spread (a few strong directions),
 * like sentence embeddings: most energy in few directions, so a rotation has something to find.
 */
export function clusteredUnitVectors(n: number, dims: number, clusters: number, seed: number, noise = 0.35): Float32Array {
  const rand = mulberry32(seed);
  const centres = new Float32Array(clusters * dims);
  for (let i = 0; i < centres.length; i++) centres[i] = gaussian(rand) / Math.sqrt(1 + (i % dims) / 8);
  const out = new Float32Array(n * dims);
  for (let r = 0; r < n; r++) {
    const c = Math.floor(rand() * clusters);
    let norm = 0;
    for (let j = 0; j < dims; j++) {
      const x = centres[c * dims + j] + (noise * gaussian(rand)) / Math.sqrt(1 + j / 8);
      out[r * dims + j] = x;
      norm += x * x;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let j = 0; j < dims; j++) out[r * dims + j] *= inv;
  }
  return out;
}

/** `n` random bytes from a seed: the "20 KB of random bytes" a hostile-file test feeds the readers. */
export function seededBytes(n: number, seed: number): Uint8Array {
  const rand = mulberry32(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
}
