/**
 * 8-bit codes with a per-dimension range: component d of a row is stored as the byte
 * round((x_d − min_d) / step_d), step_d = (max_d − min_d) / 255 over the rows, so nothing clips and the error
 * of a component is at most step_d / 2. Per dimension and with an offset (not one symmetric int8 scale)
 * because PCA-rotated vectors are lopsided: the leading axis of an uncentred PCA is nearly constant and far
 * from 0, and trailing axes are narrow. Measured on synthetic 20k (bench/format3.ts): re-ranking the exact
 * top 100 at 384 dims keeps recall@10 0.990 with these codes, 0.982 with symmetric int8 max-scaling.
 */

/** Per-dimension offsets and steps: the file `scales.f32` holds them in this order for the prefix, then the rows. */
export interface Scales {
  min: Float32Array;
  step: Float32Array;
}

/** Scales over rows (count × stride floats, the first `dims` of each taken). A constant dimension gets step 1. */
export function fitScales(rows: Float32Array, dims: number, stride = dims): Scales {
  const min = new Float32Array(dims).fill(Infinity);
  const max = new Float32Array(dims).fill(-Infinity);
  for (let base = 0; base < rows.length; base += stride) {
    for (let d = 0; d < dims; d++) {
      const x = rows[base + d];
      if (x < min[d]) min[d] = x;
      if (x > max[d]) max[d] = x;
    }
  }
  const step = new Float32Array(dims);
  for (let d = 0; d < dims; d++) {
    if (!Number.isFinite(min[d])) min[d] = 0;
    step[d] = max[d] > min[d] ? (max[d] - min[d]) / 255 : 1;
  }
  return { min, step };
}

/** One row (from `row` at `rowOffset`) → its codes in `out` at `outOffset`; values outside the range clip. */
export function quantiseRow(row: Float32Array, rowOffset: number, scales: Scales, out: Uint8Array, outOffset: number): void {
  const { min, step } = scales;
  for (let d = 0; d < min.length; d++) {
    const q = Math.round((row[rowOffset + d] - min[d]) / step[d]);
    out[outOffset + d] = q > 255 ? 255 : q < 0 ? 0 : q;
  }
}

/** Rows (count × stride floats) → count × dims codes. */
export function quantiseRows(rows: Float32Array, scales: Scales, stride = scales.min.length): Uint8Array {
  const dims = scales.min.length;
  const count = rows.length / stride;
  const out = new Uint8Array(count * dims);
  for (let r = 0; r < count; r++) quantiseRow(rows, r * stride, scales, out, r * dims);
  return out;
}

export function dequantiseRow(codes: Uint8Array, offset: number, scales: Scales, out = new Float32Array(scales.min.length)): Float32Array {
  const { min, step } = scales;
  for (let d = 0; d < min.length; d++) out[d] = min[d] + codes[offset + d] * step[d];
  return out;
}

/** A query prepared for dot products with codes: q · row = base + Σ weights_d · code_d. */
export interface CodeQuery {
  weights: Float32Array;
  base: number;
}

export function codeQuery(query: Float32Array, scales: Scales): CodeQuery {
  const { min, step } = scales;
  const weights = new Float32Array(min.length);
  let base = 0;
  for (let d = 0; d < min.length; d++) {
    weights[d] = query[d] * step[d];
    base += query[d] * min[d];
  }
  return { weights, base };
}

/**
 * q · dequantised row, without dequantising. Unrolled by four with one sum, so the additions happen in the
 * same order as a plain loop (the same result to the bit) with a quarter of the loop's overhead: the graph walk
 * and the re-rank spend most of a search here.
 */
export function codeDot(q: CodeQuery, codes: Uint8Array, offset: number): number {
  const w = q.weights;
  const n = w.length;
  let s = q.base;
  let d = 0;
  for (; d + 4 <= n; d += 4) {
    const at = offset + d;
    s += w[d] * codes[at];
    s += w[d + 1] * codes[at + 1];
    s += w[d + 2] * codes[at + 2];
    s += w[d + 3] * codes[at + 3];
  }
  for (; d < n; d++) s += w[d] * codes[offset + d];
  return s;
}

/** |dequantised row|²: a quantised unit row is not exactly unit length, and cosines divide by it. */
export function codeNormSquared(codes: Uint8Array, offset: number, scales: Scales): number {
  const { min, step } = scales;
  const n = min.length;
  let s = 0;
  let d = 0;
  // Unrolled as codeDot is, the sum in the same order.
  for (; d + 4 <= n; d += 4) {
    const at = offset + d;
    const x0 = min[d] + codes[at] * step[d];
    s += x0 * x0;
    const x1 = min[d + 1] + codes[at + 1] * step[d + 1];
    s += x1 * x1;
    const x2 = min[d + 2] + codes[at + 2] * step[d + 2];
    s += x2 * x2;
    const x3 = min[d + 3] + codes[at + 3] * step[d + 3];
    s += x3 * x3;
  }
  for (; d < n; d++) {
    const x = min[d] + codes[offset + d] * step[d];
    s += x * x;
  }
  return s;
}

/** Bytes a row takes in a refine file: two 4-bit residuals a byte. */
export const refineRowBytes = (dims: number) => Math.ceil(dims / 2);

/**
 * One row's refine codes: each component's error under its 8-bit code (`codes`, as quantiseRow made them), at
 * step/16, as the nibble n with error ≈ (n − 7.5)·step/16. An error is at most step/2, so the 12-bit value is off by
 * at most step/32 (clipped to the range's ends like the code).
 */
export function refineRow(row: Float32Array, rowOffset: number, scales: Scales, codes: Uint8Array, codeOffset: number, out: Uint8Array, outOffset: number): void {
  const { min, step } = scales;
  const dims = min.length;
  out.fill(0, outOffset, outOffset + refineRowBytes(dims));
  for (let d = 0; d < dims; d++) {
    const error = row[rowOffset + d] - (min[d] + codes[codeOffset + d] * step[d]);
    const n = Math.round((error / step[d]) * 16 + 7.5);
    const nibble = n > 15 ? 15 : n < 0 ? 0 : n;
    out[outOffset + (d >> 1)] |= d & 1 ? nibble << 4 : nibble;
  }
}

/** A row from its 8-bit codes and its refine codes: min + code·step + (nibble − 7.5)·step/16. */
export function refinedRow(codes: Uint8Array, codeOffset: number, refine: Uint8Array, refineOffset: number, scales: Scales, out = new Float32Array(scales.min.length)): Float32Array {
  const { min, step } = scales;
  for (let d = 0; d < min.length; d++) {
    const byte = refine[refineOffset + (d >> 1)];
    const nibble = d & 1 ? byte >> 4 : byte & 15;
    out[d] = min[d] + (codes[codeOffset + d] + (nibble - 7.5) / 16) * step[d];
  }
  return out;
}

/** Bytes a row's prefix takes under an encoding. */
export const prefixRowBytes = (dims: number, encoding: 'u8-range' | 'u4-range') => (encoding === 'u4-range' ? Math.ceil(dims / 2) : dims);

/**
 * 8-bit prefix codes (count × dims) → 4-bit ones, two a byte (the even component in the low nibble): each code
 * rounded to the nearest multiple of 17, so 0 and 255 stay the range's ends and the step is 17 × the 8-bit step
 * (`fourBitScales`). From the 8-bit codes, not the floats: the graph and the row order are built over the 8-bit
 * values, and a set's 8-bit codes are enough to make its 4-bit ones.
 */
export function packFourBit(codes: Uint8Array, dims: number): Uint8Array {
  const count = codes.length / dims;
  const width = Math.ceil(dims / 2);
  const out = new Uint8Array(count * width);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < dims; d++) {
      const nibble = Math.round(codes[r * dims + d] / 17);
      out[r * width + (d >> 1)] |= d & 1 ? nibble << 4 : nibble;
    }
  }
  return out;
}

/** 4-bit codes as `packFourBit` wrote them → one byte a component (0..15), what codeDot scores. */
export function unpackFourBit(packed: Uint8Array, dims: number): Uint8Array {
  const width = Math.ceil(dims / 2);
  const count = packed.length / width;
  const out = new Uint8Array(count * dims);
  for (let r = 0; r < count; r++) {
    for (let d = 0; d < dims; d++) {
      const byte = packed[r * width + (d >> 1)];
      out[r * dims + d] = d & 1 ? byte >> 4 : byte & 15;
    }
  }
  return out;
}

/** The scales of 4-bit codes made by `packFourBit` from 8-bit codes with these. */
export function fourBitScales(scales: Scales): Scales {
  return { min: scales.min.slice(), step: scales.step.map((s) => s * 17) };
}
