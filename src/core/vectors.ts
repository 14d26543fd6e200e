/** Small dense-vector helpers over Float32Array rows. Hot loops stay plain for speed. */

export function dot(a: Float32Array, b: Float32Array, length = a.length, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < length; i++) s += a[i] * b[bOffset + i];
  return s;
}

/** L2-normalises in place; a zero vector stays zero. */
export function normaliseInPlace(v: Float32Array, offset = 0, length = v.length - offset): void {
  let s = 0;
  for (let i = offset; i < offset + length; i++) s += v[i] * v[i];
  if (s === 0) return;
  const inv = 1 / Math.sqrt(s);
  for (let i = offset; i < offset + length; i++) v[i] *= inv;
}

export function row(data: Float32Array, dims: number, index: number): Float32Array {
  return data.subarray(index * dims, (index + 1) * dims);
}

/** The first `prefix` components of every row, each re-normalised to unit length. */
export function prefixRows(data: Float32Array, dims: number, prefix: number): Float32Array {
  const rows = data.length / dims;
  const out = new Float32Array(rows * prefix);
  for (let r = 0; r < rows; r++) {
    out.set(data.subarray(r * dims, r * dims + prefix), r * prefix);
    normaliseInPlace(out, r * prefix, prefix);
  }
  return out;
}

export function prefixVector(v: Float32Array, prefix: number): Float32Array {
  const out = v.slice(0, prefix);
  normaliseInPlace(out);
  return out;
}
