/**
 * A row order in which vectors near each other sit in nearby rows, so that a row shard is mostly one topic
 * and the re-rank of one query's shortlist reads few shards. A PCA tree: split the rows at the median of
 * their projection on their own leading principal direction (a few power iterations, started from the axis
 * of most variance, so the result is deterministic), and recurse into each half down to `leaf` rows.
 */
export function localityOrder(vectors: Float32Array, dims: number, leaf = 16): Int32Array {
  const count = vectors.length / dims;
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const projection = new Float64Array(count);
  const mean = new Float64Array(dims);
  const direction = new Float64Array(dims);
  const next = new Float64Array(dims);
  const stack: [number, number][] = [[0, count]];
  while (stack.length > 0) {
    const [from, to] = stack.pop() as [number, number];
    if (to - from <= leaf) continue;
    const n = to - from;
    mean.fill(0);
    for (let i = from; i < to; i++) {
      const o = order[i] * dims;
      for (let d = 0; d < dims; d++) mean[d] += vectors[o + d];
    }
    for (let d = 0; d < dims; d++) mean[d] /= n;
    // Start from the axis of most variance; three power iterations of the centred covariance.
    const variance = new Float64Array(dims);
    for (let i = from; i < to; i++) {
      const o = order[i] * dims;
      for (let d = 0; d < dims; d++) variance[d] += (vectors[o + d] - mean[d]) ** 2;
    }
    let axis = 0;
    for (let d = 1; d < dims; d++) if (variance[d] > variance[axis]) axis = d;
    direction.fill(0);
    direction[axis] = 1;
    for (let iteration = 0; iteration < 3; iteration++) {
      next.fill(0);
      for (let i = from; i < to; i++) {
        const o = order[i] * dims;
        let p = 0;
        for (let d = 0; d < dims; d++) p += (vectors[o + d] - mean[d]) * direction[d];
        for (let d = 0; d < dims; d++) next[d] += p * (vectors[o + d] - mean[d]);
      }
      let norm = 0;
      for (let d = 0; d < dims; d++) norm += next[d] * next[d];
      if (norm === 0) break;
      norm = Math.sqrt(norm);
      for (let d = 0; d < dims; d++) direction[d] = next[d] / norm;
    }
    for (let i = from; i < to; i++) {
      const o = order[i] * dims;
      let p = 0;
      for (let d = 0; d < dims; d++) p += (vectors[o + d] - mean[d]) * direction[d];
      projection[order[i]] = p;
    }
    const part = Array.from(order.subarray(from, to));
    part.sort((a, b) => projection[a] - projection[b] || a - b);
    order.set(part, from);
    const middle = from + (n >> 1);
    stack.push([middle, to], [from, middle]);
  }
  return order;
}
