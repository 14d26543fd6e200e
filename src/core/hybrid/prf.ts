/**
 * Pseudo-relevance feedback in vector space (Rocchio without negatives): move the query vector toward
 * the centroid of the papers a first pass ranked highest, then search again. It helps when the top
 * of the first pass is right and the query words are not the papers' words; it hurts when the first
 * pass drifted, which is why the harness measures it before anything uses it.
 */
import { normaliseInPlace } from '../vectors';

/**
 * q' = normalise(q + weight · mean(rows)), over row-major unit vectors of `dims` components.
 * With no feedback rows the query comes back unchanged (as a copy).
 */
export function rocchio(query: Float32Array, vectors: Float32Array, dims: number, rows: readonly number[], weight: number): Float32Array {
  const out = query.slice();
  if (rows.length === 0) return out;
  const scale = weight / rows.length;
  for (const row of rows) {
    const base = row * dims;
    for (let i = 0; i < dims; i++) out[i] += scale * vectors[base + i];
  }
  normaliseInPlace(out);
  return out;
}
