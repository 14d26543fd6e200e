/**
 * A format-3 vector set built and opened in memory (no files): what the format-3 benches search. Row shards
 * are made on first read and kept, so a second query's re-rank reads none again.
 */
import { getModel } from '../src/core/models';
import { DEFAULT_VECTOR_PARAMS, encodeVectors, type VectorSetParams } from '../src/core/format3/build';
import type { Format3Manifest } from '../src/core/format3/manifest';
import { openFormat3 } from '../src/core/format3/reader';

/** `rotated`: unit rows already rotated by `rotation` (row-major D × D). rowOf[input index] = the set's row. */
export async function openFormat3InMemory(rotated: Float32Array, dims: number, rotation: Float32Array, params: Partial<VectorSetParams> = {}) {
  const size = rotated.length / dims;
  const model = getModel('bge-small-en-v1.5');
  const encoded = encodeVectors(rotated, dims, rotation, { ...DEFAULT_VECTOR_PARAMS, ...params });
  const rowOf = new Int32Array(size);
  encoded.order.forEach((input, row) => (rowOf[input] = row));
  const shards = new Map<string, Uint8Array>();
  const manifest = {
    formatVersion: 3,
    count: size,
    ...encoded.manifest,
    model: { id: model.id, dims, pooling: model.pooling, dtype: 'fp32', sha256: '' },
  } as Format3Manifest;
  const set = await openFormat3(
    manifest,
    async (name) => {
      const eager = encoded.files.get(name);
      if (eager) return eager;
      let bytes = shards.get(name);
      if (!bytes) {
        for (const [file, made] of encoded.shardFiles(Number(/\d+/.exec(name)?.[0]))) shards.set(file, made);
        bytes = shards.get(name) as Uint8Array;
      }
      return bytes;
    },
    { cachedBytes: Number.MAX_SAFE_INTEGER },
  );
  return { set, rowOf, seconds: encoded.seconds };
}
