import type { VectorReader } from '../../src/core/format3/engine';
import { rotateVector } from '../../src/core/matryoshka/rotation';
import { dot } from '../../src/core/vectors';

/**
 * An exact vector reader over rotated rows: the test double for format3/reader.ts's VectorSet. With exact
 * search on both sides, the format-3 engine must rank as SearchEngine does over the same rows. `rowsRead`
 * lists the rows whose full vectors were asked for.
 */
export function exactVectors(rows: Float32Array, dims: number, rotation: Float32Array): VectorReader & { rowsRead: number[] } {
  const count = rows.length / dims;
  const rowsRead: number[] = [];
  return {
    count,
    dims,
    prefixDims: 64,
    rowsRead,
    rotate: (embedding) => rotateVector(rotation, dims, embedding),
    async search(query, k, options = {}) {
      const hits: { row: number; score: number }[] = [];
      for (let row = 0; row < count; row++) if (options.keep?.(row) ?? true) hits.push({ row, score: dot(query, rows, dims, row * dims) });
      return hits.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
    },
    async vector(row) {
      rowsRead.push(row);
      return rows.slice(row * dims, (row + 1) * dims);
    },
  };
}
