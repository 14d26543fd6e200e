import { EigenvalueDecomposition, Matrix as MlMatrix } from 'ml-matrix';
import { PapersiftError } from '../errors';
import { mulberry32 } from '../random';

/**
 * Rows a rotation is fitted on. The second moment of 50k unit vectors already pins the leading axes (its
 * error shrinks as 1/sqrt(rows)), and fitting on every row of a million costs ~75 G multiply-adds.
 */
export const ROTATION_SAMPLE_ROWS = 50_000;

/**
 * Up to `maxRows` rows picked by a seeded PRNG (all rows, in order, when there are no more than that), so
 * the same row set always gives the same sample and the same rotation.
 */
export function sampleRows(vectors: Float32Array, dims: number, maxRows = ROTATION_SAMPLE_ROWS, seed = 1): Float32Array {
  const rows = vectors.length / dims;
  if (rows <= maxRows) return vectors;
  // Floyd's algorithm: maxRows distinct indices without a rows-long array, then kept in row order.
  const random = mulberry32(seed);
  const picked = new Set<number>();
  for (let j = rows - maxRows; j < rows; j++) {
    const t = Math.floor(random() * (j + 1));
    picked.add(picked.has(t) ? j : t);
  }
  const order = [...picked].sort((a, b) => a - b);
  const out = new Float32Array(maxRows * dims);
  order.forEach((r, i) => out.set(vectors.subarray(r * dims, (r + 1) * dims), i * dims));
  return out;
}

/**
 * An orthogonal rotation whose first output components carry the most energy of the corpus vectors.
 * It is the eigenbasis of the uncentred second-moment matrix XᵀX/N (PCA without centring): centring
 * would shift the vectors and change their cosines, a pure rotation keeps every full-dim cosine.
 * Stored row-major D×D: row i is the i-th principal axis, so rotated = R · v.
 */
export interface Rotation {
  dims: number;
  matrix: Float32Array;
  /** Eigenvalues, descending: the share of energy each rotated component carries. */
  energy: Float32Array;
}

export function fitRotation(vectors: Float32Array, dims: number): Rotation {
  const rows = vectors.length / dims;
  if (!Number.isInteger(rows) || rows < 2) {
    throw new PapersiftError('invalid-option', `A rotation needs at least 2 vectors of ${dims} dims; got ${vectors.length} values`);
  }
  // Second-moment matrix in float64: summing hundreds of thousands of products in float32 drifts.
  const moment = new Float64Array(dims * dims);
  for (let r = 0; r < rows; r++) {
    const base = r * dims;
    for (let i = 0; i < dims; i++) {
      const vi = vectors[base + i];
      if (vi === 0) continue;
      const rowOffset = i * dims;
      for (let j = i; j < dims; j++) moment[rowOffset + j] += vi * vectors[base + j];
    }
  }
  const m = new MlMatrix(dims, dims);
  for (let i = 0; i < dims; i++) {
    for (let j = i; j < dims; j++) {
      const value = moment[i * dims + j] / rows;
      m.set(i, j, value);
      m.set(j, i, value);
    }
  }
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = evd.realEigenvalues;
  const vectorsMatrix = evd.eigenvectorMatrix; // columns are eigenvectors
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a]);
  const matrix = new Float32Array(dims * dims);
  const energy = new Float32Array(dims);
  order.forEach((column, outRow) => {
    energy[outRow] = values[column];
    // Fix each axis's sign (largest component positive) so rebuilds give the same rotation.
    let maxAbs = 0;
    let sign = 1;
    for (let i = 0; i < dims; i++) {
      const x = vectorsMatrix.get(i, column);
      if (Math.abs(x) > maxAbs) {
        maxAbs = Math.abs(x);
        sign = x < 0 ? -1 : 1;
      }
    }
    for (let i = 0; i < dims; i++) matrix[outRow * dims + i] = sign * vectorsMatrix.get(i, column);
  });
  return { dims, matrix, energy };
}

/** R · v for one vector. */
export function rotateVector(rotation: Float32Array, dims: number, v: Float32Array): Float32Array {
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    let s = 0;
    const base = i * dims;
    for (let j = 0; j < dims; j++) s += rotation[base + j] * v[j];
    out[i] = s;
  }
  return out;
}

/** R · v for every row of a row-major matrix. */
export function rotateRows(rotation: Float32Array, dims: number, vectors: Float32Array): Float32Array {
  const rows = vectors.length / dims;
  const out = new Float32Array(vectors.length);
  for (let r = 0; r < rows; r++) {
    out.set(rotateVector(rotation, dims, vectors.subarray(r * dims, (r + 1) * dims)), r * dims);
  }
  return out;
}

/** Rᵀ · v for every row: undoes `rotateRows` (R is orthogonal), back to the model's space. */
export function unrotateRows(rotation: Float32Array, dims: number, rotated: Float32Array): Float32Array {
  const rows = rotated.length / dims;
  const out = new Float32Array(rotated.length);
  for (let i = 0; i < rows; i++) {
    for (let r = 0; r < dims; r++) {
      const value = rotated[i * dims + r];
      for (let c = 0; c < dims; c++) out[i * dims + c] += rotation[r * dims + c] * value;
    }
  }
  return out;
}
