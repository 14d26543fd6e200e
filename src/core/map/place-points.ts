/**
 * Adds points to a map without moving the ones already there: each new row lands at the
 * similarity-weighted mean of its nearest mapped neighbours. A user who imports a few papers keeps the
 * map they have learnt to read; a full UMAP run would lay everything out anew.
 */
import { PapersiftError } from '../errors';
import { dot } from '../vectors';

/** Neighbours averaged per new point. */
const NEIGHBOURS = 5;

/**
 * `mapped`: N × dims unit rows and their N × 2 coordinates; `added`: M × dims unit rows.
 * Returns M × 2 coordinates.
 */
export function placeNewPoints(mapped: { vectors: Float32Array; coords: Float32Array }, added: Float32Array, dims: number): Float32Array {
  const rows = mapped.vectors.length / dims;
  if (mapped.coords.length !== rows * 2 || added.length % dims !== 0) {
    throw new PapersiftError('invalid-option', `Map placement needs whole ${dims}-d rows and one x,y per mapped row`);
  }
  const count = added.length / dims;
  const out = new Float32Array(count * 2);
  if (rows === 0) return out;
  for (let i = 0; i < count; i++) {
    const query = added.subarray(i * dims, (i + 1) * dims);
    const best: { row: number; score: number }[] = [];
    for (let r = 0; r < rows; r++) {
      const score = dot(query, mapped.vectors, dims, r * dims);
      if (best.length < NEIGHBOURS || score > best[best.length - 1].score) {
        best.push({ row: r, score });
        best.sort((a, b) => b.score - a.score);
        if (best.length > NEIGHBOURS) best.pop();
      }
    }
    // Cosines of related papers sit near 0.5–1: weights from the excess over the weakest keep the
    // closest neighbour in charge without ignoring the rest.
    const floor = best[best.length - 1].score - 1e-3;
    let weights = 0;
    for (const { row, score } of best) {
      const w = score - floor;
      out[i * 2] += mapped.coords[row * 2] * w;
      out[i * 2 + 1] += mapped.coords[row * 2 + 1] * w;
      weights += w;
    }
    out[i * 2] /= weights;
    out[i * 2 + 1] /= weights;
  }
  return out;
}
