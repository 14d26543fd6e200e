import { describe, expect, it } from 'vitest';
import { clusteredUnitVectors } from '../../../test/helpers/random';
import { dot } from '../vectors';
import { fitRotation, rotateRows, rotateVector, sampleRows, unrotateRows } from './rotation';

const DIMS = 48;
const vectors = clusteredUnitVectors(400, DIMS, 12, 7);
const rotation = fitRotation(vectors, DIMS);

describe('fitRotation', () => {
  it('is orthogonal: R·Rᵀ = I', () => {
    const { matrix } = rotation;
    for (let i = 0; i < DIMS; i++) {
      for (let j = 0; j < DIMS; j++) {
        const d = dot(matrix.subarray(i * DIMS, (i + 1) * DIMS), matrix.subarray(j * DIMS, (j + 1) * DIMS));
        expect(Math.abs(d - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
  });

  it('keeps every full-dim cosine within 1e-5', () => {
    const rotated = rotateRows(rotation.matrix, DIMS, vectors);
    for (let a = 0; a < 50; a++) {
      const b = (a * 37 + 11) % 400;
      const before = dot(vectors.subarray(a * DIMS, (a + 1) * DIMS), vectors.subarray(b * DIMS, (b + 1) * DIMS));
      const after = dot(rotated.subarray(a * DIMS, (a + 1) * DIMS), rotated.subarray(b * DIMS, (b + 1) * DIMS));
      expect(Math.abs(before - after)).toBeLessThan(1e-5);
    }
  });

  it('orders components by energy, so a rotated prefix holds more of each vector than a plain one', () => {
    for (let i = 1; i < DIMS; i++) expect(rotation.energy[i]).toBeLessThanOrEqual(rotation.energy[i - 1] + 1e-9);
    const rotated = rotateRows(rotation.matrix, DIMS, vectors);
    const prefixEnergy = (data: Float32Array, d: number) => {
      let s = 0;
      for (let r = 0; r < 400; r++) for (let j = 0; j < d; j++) s += data[r * DIMS + j] ** 2;
      return s / 400;
    };
    expect(prefixEnergy(rotated, 8)).toBeGreaterThan(prefixEnergy(vectors, 8) * 1.2);
    // The energy of the first components equals their eigenvalues (mean squared projection).
    expect(prefixEnergy(rotated, 1)).toBeCloseTo(rotation.energy[0], 4);
  });

  it('is deterministic: the same vectors give the same rotation, signs included', () => {
    const again = fitRotation(vectors, DIMS);
    expect(Array.from(again.matrix)).toEqual(Array.from(rotation.matrix));
  });

  it('rotateVector matches rotateRows for a single row', () => {
    const one = rotateVector(rotation.matrix, DIMS, vectors.subarray(0, DIMS));
    expect(Array.from(one)).toEqual(Array.from(rotateRows(rotation.matrix, DIMS, vectors.subarray(0, DIMS))));
  });

  it('unrotateRows undoes rotateRows', () => {
    const back = unrotateRows(rotation.matrix, DIMS, rotateRows(rotation.matrix, DIMS, vectors));
    back.forEach((x, i) => expect(x).toBeCloseTo(vectors[i], 5));
  });

  it('refuses fewer than two vectors', () => {
    expect(() => fitRotation(new Float32Array(DIMS), DIMS)).toThrow(/at least 2 vectors/);
  });

  it('fits on a seeded sample of large row sets: the same rows give the same sample, small sets are kept whole', () => {
    const dims = 4;
    const rows = 1000;
    const data = new Float32Array(rows * dims).map((_, i) => Math.sin(i));
    expect(sampleRows(data, dims, 2000)).toBe(data);
    const a = sampleRows(data, dims, 100, 3);
    expect(a.length).toBe(100 * dims);
    expect(sampleRows(data, dims, 100, 3)).toEqual(a);
    expect(sampleRows(data, dims, 100, 4)).not.toEqual(a);
    // Distinct rows of the input, in input order.
    const index = (row: Float32Array) => {
      for (let r = 0; r < rows; r++) if (data[r * dims] === row[0] && data[r * dims + 1] === row[1]) return r;
      return -1;
    };
    const picked = Array.from({ length: 100 }, (_, i) => index(a.subarray(i * dims, (i + 1) * dims)));
    expect(picked.every((r, i) => r >= 0 && (i === 0 || r > picked[i - 1]))).toBe(true);
  });
});
