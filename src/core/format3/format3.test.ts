import { describe, expect, it } from 'vitest';
import { bytesToFloats, checkManifest, type Manifest } from '../artifacts';
import { isPapersiftError } from '../errors';
import { sha256Hex } from '../hash';
import { fitRotation, rotateRows } from '../matryoshka/rotation';
import { getModel } from '../models';
import { mulberry32 } from '../random';
import { generatePapers, type SourcePaper } from '../synthetic/generate';
import { DEFAULT_VECTOR_PARAMS, encodeVectors, rowsPerShardFor, searchDefaultsFor, splitRowShard, storedPrefix, vectorParamsFor, type VectorSetParams } from './build';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, roundToFloat16, toFloat16Bits } from './float16';
import { CompactGraph, GraphBuilder, encodeGraph } from './graph';
import { FORMAT3_FILES, FORMAT3_VECTORS_VERSION, FORMAT3_VERSION, parseFormat3Manifest, type Format3Manifest } from './manifest';
import { codeDot, codeNormSquared, codeQuery, dequantiseRow, fitScales, fourBitScales, packFourBit, quantiseRows, refinedRow, refineRow, refineRowBytes, unpackFourBit } from './quantize';
import { checkedFetch, openFormat3, withoutSparseShards } from './reader';

const DIMS = 96;
const PARAMS: VectorSetParams = { ...DEFAULT_VECTOR_PARAMS, prefixDims: 32, rowsPerShard: 64, headDims: 40, shortlist: 100, ef: 100, headKeep: 50 };

/** 120 topics at random directions; papers are the generator's noisy mixtures of a topic and its neighbours. */
function clustered(count: number, queries: number): { rotated: Float32Array; queries: Float32Array; rotation: Float32Array } {
  const random = mulberry32(11);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const sources: SourcePaper[] = Array.from({ length: 120 }, (_, i) => ({
    title: `Topic ${i} paper: a study of subject ${i}`,
    abstract: `This is the first sentence about subject ${i} and its methods. The second sentence describes results on subject ${i}. A third sentence compares subject ${i} with others.`,
  }));
  const vectors = new Float32Array(sources.length * DIMS);
  for (let i = 0; i < vectors.length; i++) vectors[i] = gaussian();
  for (let r = 0; r < sources.length; r++) {
    let n = 0;
    for (let d = 0; d < DIMS; d++) n += vectors[r * DIMS + d] ** 2;
    for (let d = 0; d < DIMS; d++) vectors[r * DIMS + d] /= Math.sqrt(n);
  }
  const all = new Float32Array((count + queries) * DIMS);
  let n = 0;
  for (const p of generatePapers(sources, vectors, DIMS, { seed: 3, noise: 0.05 })) {
    if (n === count + queries) break;
    all.set(p.vector, n++ * DIMS);
  }
  // As the merge: the rows rotated by the float16 values the set stores.
  const rotation = roundToFloat16(fitRotation(all.subarray(0, count * DIMS), DIMS).matrix);
  const rotated = rotateRows(rotation, DIMS, all);
  return { rotated: rotated.slice(0, count * DIMS), queries: rotated.slice(count * DIMS), rotation };
}

async function manifestFor(files: Map<string, Uint8Array>, encoded: ReturnType<typeof encodeVectors>, count: number): Promise<Format3Manifest> {
  const listed: Format3Manifest['files'] = {};
  for (const [name, bytes] of files) listed[name] = { bytes: bytes.byteLength, sha256: await sha256Hex(bytes) };
  const model = getModel('bge-small-en-v1.5');
  return {
    formatVersion: 3,
    model: { id: model.id, dims: DIMS, pooling: model.pooling, dtype: 'fp32', sha256: '' },
    corpusHash: '0',
    count,
    ...encoded.manifest,
    files: listed,
    createdBy: 'test',
    createdAt: '2026-01-01T00:00:00Z',
  };
}

function allFiles(encoded: ReturnType<typeof encodeVectors>): Map<string, Uint8Array> {
  const files = new Map(encoded.files);
  for (let i = 0; i < encoded.shardCount; i++) for (const [name, bytes] of encoded.shardFiles(i)) files.set(name, bytes);
  return files;
}

const COUNT = 3000;
const data = clustered(COUNT, 60);

describe('8-bit codes with per-dimension ranges', () => {
  it('round-trips every component within half a step', () => {
    const random = mulberry32(5);
    const rows = Float32Array.from({ length: 500 * 24 }, (_, i) => (random() - 0.5) * (1 + (i % 24)) + (i % 24 === 0 ? 3 : 0));
    const scales = fitScales(rows, 24);
    const codes = quantiseRows(rows, scales);
    for (let r = 0; r < 500; r++) {
      const back = dequantiseRow(codes, r * 24, scales);
      for (let d = 0; d < 24; d++) expect(Math.abs(back[d] - rows[r * 24 + d])).toBeLessThanOrEqual(scales.step[d] / 2 + 1e-6);
    }
    // The dot product through the codes is the dot product with the dequantised row.
    const q = Float32Array.from({ length: 24 }, (_, d) => Math.sin(d));
    const back = dequantiseRow(codes, 7 * 24, scales);
    expect(codeDot(codeQuery(q, scales), codes, 7 * 24)).toBeCloseTo(q.reduce((s, x, d) => s + x * back[d], 0), 4);
  });
});

describe('refine codes: 4-bit residuals under the 8-bit codes', () => {
  it('give every component back within a 32nd of its step (8-bit codes alone: half a step)', () => {
    const rows = data.rotated.subarray(0, 500 * DIMS);
    const scales = fitScales(rows, DIMS);
    const codes = quantiseRows(rows, scales);
    const width = refineRowBytes(DIMS);
    const refine = new Uint8Array(500 * width);
    for (let r = 0; r < 500; r++) refineRow(rows, r * DIMS, scales, codes, r * DIMS, refine, r * width);
    let worst8 = 0;
    let worst12 = 0;
    for (let r = 0; r < 500; r++) {
      const coarse = dequantiseRow(codes, r * DIMS, scales);
      const fine = refinedRow(codes, r * DIMS, refine, r * width, scales);
      for (let d = 0; d < DIMS; d++) {
        const x = rows[r * DIMS + d];
        expect(Math.abs(fine[d] - x)).toBeLessThanOrEqual(scales.step[d] / 32 + 1e-6);
        worst8 = Math.max(worst8, Math.abs(coarse[d] - x) / scales.step[d]);
        worst12 = Math.max(worst12, Math.abs(fine[d] - x) / scales.step[d]);
      }
    }
    // The bound is met with room, not by accident: the 8-bit error reaches near half a step, the refined one a 32nd.
    expect(worst8).toBeGreaterThan(0.45);
    expect(worst12).toBeLessThan(worst8 / 14);
  });

  it('pack an odd number of components, the last high nibble left zero', () => {
    const row = Float32Array.from([0.1, -0.2, 0.3]);
    const scales = fitScales(Float32Array.from([0, -1, 0, 1, 1, 1]), 3);
    const codes = quantiseRows(row, scales);
    const out = new Uint8Array(refineRowBytes(3));
    expect(out.length).toBe(2);
    refineRow(row, 0, scales, codes, 0, out, 0);
    expect(out[1] >> 4).toBe(0);
    const back = refinedRow(codes, 0, out, 0, scales);
    for (let d = 0; d < 3; d++) expect(Math.abs(back[d] - row[d])).toBeLessThanOrEqual(scales.step[d] / 32 + 1e-7);
  });
});

describe('4-bit prefix codes', () => {
  it('pack two a byte and unpack to the 8-bit codes rounded to multiples of 17, an odd last component too', () => {
    const random = mulberry32(9);
    for (const dims of [8, 7]) {
      const codes = Uint8Array.from({ length: 50 * dims }, () => Math.floor(random() * 256));
      const packed = packFourBit(codes, dims);
      expect(packed.byteLength).toBe(50 * Math.ceil(dims / 2));
      const back = unpackFourBit(packed, dims);
      for (let i = 0; i < codes.length; i++) expect(Math.abs(back[i] * 17 - codes[i])).toBeLessThanOrEqual(8);
      expect(back.every((n) => n <= 15)).toBe(true);
    }
    const scales = fourBitScales({ min: Float32Array.of(-1, 0), step: Float32Array.of(0.01, 0.02) });
    expect(Array.from(scales.step)).toEqual([Math.fround(0.17), Math.fround(0.34)]);
  });
});

describe('float16', () => {
  it('keeps what float16 holds exactly, rounds the rest to nearest (ties to even), within 2^-11 relative', () => {
    for (const x of [0, 1, -2, 0.5, 65504, -65504, 2 ** -14, 2 ** -24, 1 + 2 ** -10]) expect(fromFloat16Bits(toFloat16Bits(x))).toBe(x);
    expect(fromFloat16Bits(toFloat16Bits(1 + 2 ** -11))).toBe(1); // tie: to the even mantissa
    expect(fromFloat16Bits(toFloat16Bits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie: up to the even one
    expect(fromFloat16Bits(toFloat16Bits(70000))).toBe(Infinity);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
    const random = mulberry32(4);
    const values = Float32Array.from({ length: 10_000 }, () => (random() - 0.5) * 2 ** Math.floor(random() * 20 - 10));
    const back = decodeFloat16(encodeFloat16(values));
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]) >= 2 ** -14) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11);
      else expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(2 ** -25);
    }
    expect(Array.from(roundToFloat16(back))).toEqual(Array.from(back));
  });

  it('rotates queries as the float32 rotation does: cosine ≥ 0.9999 (bge-small: 384 dims)', () => {
    const random = mulberry32(9);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    const dims = 384;
    const rows = Float32Array.from({ length: 1000 * dims }, gaussian);
    const exact = fitRotation(rows, dims).matrix;
    const half = roundToFloat16(exact);
    expect(encodeFloat16(exact).byteLength).toBe(dims * dims * 2);
    for (let q = 0; q < 20; q++) {
      const query = rows.subarray(q * dims, (q + 1) * dims);
      const [a, b] = [rotateRows(exact, dims, query), rotateRows(half, dims, query)];
      let ab = 0;
      let aa = 0;
      let bb = 0;
      for (let d = 0; d < dims; d++) {
        ab += a[d] * b[d];
        aa += a[d] * a[d];
        bb += b[d] * b[d];
      }
      expect(ab / Math.sqrt(aa * bb)).toBeGreaterThanOrEqual(0.9999);
    }
  });
});

describe('code products, unrolled', () => {
  it('give the sums of a plain loop to the bit, at any length (a tail past the last four too)', () => {
    const random = mulberry32(9);
    for (const dims of [1, 3, 4, 7, 64, 383, 384]) {
      const rows = Float32Array.from({ length: 20 * dims }, () => random() - 0.5);
      const scales = fitScales(rows, dims);
      const codes = quantiseRows(rows, scales);
      const q = codeQuery(Float32Array.from({ length: dims }, () => random() - 0.5), scales);
      for (let r = 0; r < 20; r++) {
        let dot = q.base;
        let norm = 0;
        for (let d = 0; d < dims; d++) {
          dot += q.weights[d] * codes[r * dims + d];
          const x = scales.min[d] + codes[r * dims + d] * scales.step[d];
          norm += x * x;
        }
        expect(codeDot(q, codes, r * dims)).toBe(dot);
        expect(codeNormSquared(codes, r * dims, scales)).toBe(norm);
      }
    }
  });
});

describe('the prefix graph', () => {
  it('reads back from its compact file with the same neighbours, renumbered', () => {
    const prefix = data.rotated.slice(0, 400 * DIMS);
    const builder = new GraphBuilder(prefix, DIMS, { m: 6, efConstruction: 40, seed: 1 }).build();
    const order = Int32Array.from({ length: 400 }, (_, i) => 399 - i);
    const graph = new CompactGraph(encodeGraph(builder, order));
    expect([graph.count, graph.maxLevel, graph.entry]).toEqual([400, builder.maxLevel, 399 - builder.entry]);
    const a = new Int32Array(16);
    const b = new Int32Array(16);
    for (const node of [0, 17, 399]) {
      for (let level = 0; level <= builder.levels[node]; level++) {
        const n = builder.neighbours(node, level, a);
        const m = graph.neighbours(399 - node, level, b);
        expect(Array.from(b.subarray(0, m)).sort((x, y) => x - y)).toEqual(Array.from(a.subarray(0, n), (x) => 399 - x).sort((x, y) => x - y));
      }
    }
  });

  it('decodes neighbours one to four bytes away, before and after the node', () => {
    const count = 3_000_000;
    const lists = new Map<number, number[]>([
      [0, [1, 127, 128, 16_383, 16_384, 2_999_999]],
      [2_999_999, [0, 5, 2_097_151, 2_097_152, 2_999_998]],
      [1_500_000, [0, 1_499_999, 1_500_001, 2_999_999]],
    ]);
    const walkable = {
      count,
      maxLevel: 0,
      entry: 0,
      levels: new Uint8Array(count),
      params: { m: 6, efConstruction: 10, seed: 1 },
      neighbours: (node: number, level: number, out: Int32Array) => {
        const list = level === 0 ? (lists.get(node) ?? []) : [];
        out.set(list);
        return list.length;
      },
    };
    const graph = new CompactGraph(encodeGraph(walkable, Int32Array.from({ length: count }, (_, i) => i)));
    const out = new Int32Array(16);
    for (const [node, list] of lists) expect(Array.from(out.subarray(0, graph.neighbours(node, 0, out)))).toEqual(list);
    expect(graph.neighbours(7, 0, out)).toBe(0);
  });

  it('keeps a level-0 list longer than 255 bytes (2-byte lengths), upper levels coded as level 0, and refuses a version-1 file', () => {
    const count = 2_000_000;
    const far = Array.from({ length: 80 }, (_, i) => 300_000 + i * 20_000);
    const levels = new Uint8Array(count);
    levels[5] = 2;
    levels[1_000_000] = 1;
    const walkable = {
      count,
      maxLevel: 2,
      entry: 5,
      levels,
      params: { m: 6 },
      neighbours: (node: number, level: number, out: Int32Array) => {
        const list = level === 0 ? (node === 0 ? far : []) : node === 5 ? (level === 1 ? [1_000_000] : []) : node === 1_000_000 && level === 1 ? [5] : [];
        out.set(list);
        return list.length;
      },
    };
    const bytes = encodeGraph(walkable, Int32Array.from({ length: count }, (_, i) => i));
    const graph = new CompactGraph(bytes);
    const out = new Int32Array(128);
    expect(Array.from(out.subarray(0, graph.neighbours(0, 0, out)))).toEqual(far);
    expect(Array.from(out.subarray(0, graph.neighbours(5, 1, out)))).toEqual([1_000_000]);
    expect(Array.from(out.subarray(0, graph.neighbours(1_000_000, 1, out)))).toEqual([5]);
    expect(graph.neighbours(5, 2, out)).toBe(0);
    expect([graph.maxLevel, graph.entry]).toEqual([2, 5]);
    const v1 = bytes.slice();
    v1[4] = 1;
    expect(() => new CompactGraph(v1, 'graph.bin')).toThrow(/graph.bin is not a papersift graph: version 1, this build reads 2/);
    expect(() => new CompactGraph(bytes.subarray(0, bytes.length - 8))).toThrow(/not a papersift graph/);
  });
});

describe('format 3 vectors', () => {
  it('finds the exact float32 top 10 (recall ≥ 0.98) through the prefix graph and the re-rank', async () => {
    const encoded = encodeVectors(data.rotated, DIMS, data.rotation, PARAMS);
    const files = allFiles(encoded);
    const manifest = await manifestFor(files, encoded, COUNT);
    const set = await openFormat3(manifest, checkedFetch(manifest, async (name) => files.get(name)));
    const rowOf = new Int32Array(COUNT);
    encoded.order.forEach((input, row) => (rowOf[input] = row));
    let hits = 0;
    const queries = data.queries.length / DIMS;
    for (let q = 0; q < queries; q++) {
      const query = data.queries.subarray(q * DIMS, (q + 1) * DIMS);
      const exact = Array.from({ length: COUNT }, (_, i) => ({ i, s: query.reduce((sum, x, d) => sum + x * data.rotated[i * DIMS + d], 0) }))
        .sort((a, b) => b.s - a.s)
        .slice(0, 10)
        .map((x) => rowOf[x.i]);
      const found = new Set((await set.search(query, 10)).map((h) => h.row));
      hits += exact.filter((row) => found.has(row)).length;
    }
    expect(hits / (queries * 10)).toBeGreaterThanOrEqual(0.98);
    // A row's own vector finds the row first, and a filter keeps only what it allows.
    const own = await set.vector(123);
    expect((await set.search(own, 1))[0].row).toBe(123);
    const even = await set.search(own, 10, { keep: (row) => row % 2 === 0 });
    expect(even).toHaveLength(10);
    expect(even.every((h) => h.row % 2 === 0)).toBe(true);
  });

  it('ranks the best rows of the re-rank again from refine files: their scores near exact cosines, as the 8-bit ones are not', async () => {
    const encoded = encodeVectors(data.rotated, DIMS, data.rotation, PARAMS);
    const files = allFiles(encoded);
    const manifest = await manifestFor(files, encoded, COUNT);
    expect(manifest.search.refine).toBe(20);
    const set = await openFormat3(manifest, checkedFetch(manifest, async (name) => files.get(name)));
    const exactCosine = (query: Float32Array, row: number) => {
      const at = encoded.order[row] * DIMS;
      let s = 0;
      for (let d = 0; d < DIMS; d++) s += query[d] * data.rotated[at + d];
      return s; // unit rows
    };
    let worstCoarse = 0;
    let worstFine = 0;
    for (let q = 0; q < 20; q++) {
      const query = data.queries.subarray(q * DIMS, (q + 1) * DIMS);
      const coarse = await set.search(query, 10, { refine: 0 });
      const fine = await set.search(query, 10);
      for (const h of coarse) worstCoarse = Math.max(worstCoarse, Math.abs(h.score - exactCosine(query, h.row)));
      for (const h of fine) worstFine = Math.max(worstFine, Math.abs(h.score - exactCosine(query, h.row)));
      // Best first, by the refined scores.
      for (let i = 1; i < fine.length; i++) expect(fine[i - 1].score).toBeGreaterThanOrEqual(fine[i].score);
    }
    expect(set.refineFetched).toBeGreaterThan(0);
    expect(worstFine).toBeLessThan(worstCoarse / 8);
    // At a prefix's dims (format 2's truncated search) nothing is refined.
    const fetched = set.refineFetched;
    await set.search(data.queries.subarray(0, DIMS), 10, { dims: 48 });
    expect(set.refineFetched).toBe(fetched);
  });

  it("scores a shortlist from its rows' heads and reads tails only for the head re-rank's best: the hits of whole rows when it keeps them all", async () => {
    const encoded = encodeVectors(data.rotated, DIMS, data.rotation, PARAMS);
    const files = allFiles(encoded);
    const manifest = await manifestFor(files, encoded, COUNT);
    expect(manifest.rows.tails).toHaveLength(manifest.rows.shards.length);
    expect(files.get(manifest.rows.shards[0])?.byteLength).toBe(PARAMS.rowsPerShard * PARAMS.headDims);
    expect(files.get(manifest.rows.tails[0])?.byteLength).toBe(PARAMS.rowsPerShard * (DIMS - PARAMS.headDims));
    // The same rows in shards that hold every dim: what the re-rank read before heads and tails.
    const wholeEncoded = encodeVectors(data.rotated, DIMS, data.rotation, { ...PARAMS, headDims: DIMS });
    const wholeFiles = allFiles(wholeEncoded);
    const wholeManifest = await manifestFor(wholeFiles, wholeEncoded, COUNT);
    expect(wholeManifest.rows.tails).toEqual([]);
    const split = await openFormat3(manifest, checkedFetch(manifest, async (name) => files.get(name)), { cachedBytes: 1 });
    const whole = await openFormat3(wholeManifest, checkedFetch(wholeManifest, async (name) => wholeFiles.get(name)));
    for (let q = 0; q < 10; q++) {
      const query = data.queries.subarray(q * DIMS, (q + 1) * DIMS);
      const before = { heads: split.shardsFetched, tails: split.tailsFetched };
      let shortlist: readonly number[] = [];
      const kept = await split.search(query, 10, { refine: 0, onShortlist: (rows) => (shortlist = rows) });
      const tailShards = split.tailsFetched - before.tails;
      const shardsOf = (rows: readonly number[]) => new Set(rows.map((row) => Math.floor(row / PARAMS.rowsPerShard))).size;
      expect(split.shardsFetched - before.heads).toBeLessThanOrEqual(shardsOf(shortlist));
      expect(tailShards).toBeGreaterThan(0);
      expect(tailShards).toBeLessThan(shardsOf(shortlist));
      // Keeping the whole shortlist past the heads gives the whole rows' ranking (sums in another order: 1e-6).
      const all = await split.search(query, 10, { refine: 0, headKeep: PARAMS.shortlist });
      const reference = await whole.search(query, 10, { refine: 0 });
      expect(all.map((h) => h.row)).toEqual(reference.map((h) => h.row));
      all.forEach((h, i) => expect(h.score).toBeCloseTo(reference[i].score, 6));
      expect(kept.filter((h) => reference.some((r) => r.row === h.row)).length).toBeGreaterThanOrEqual(9);
      // A prefix within the heads reads no tail.
      const tails = split.tailsFetched;
      await split.search(query, 10, { dims: PARAMS.headDims });
      expect(split.tailsFetched).toBe(tails);
    }
  });

  it('stores the prefix in 4 bits when asked: half the bytes, the same graph, recall near the 8-bit prefix', async () => {
    const eight = encodeVectors(data.rotated, DIMS, data.rotation, PARAMS);
    const four = encodeVectors(data.rotated, DIMS, data.rotation, { ...PARAMS, prefixEncoding: 'u4-range' });
    expect(four.files.get('prefix.u8')?.byteLength).toBe((COUNT * PARAMS.prefixDims) / 2);
    expect(Buffer.from(four.files.get('graph.bin') as Uint8Array).equals(Buffer.from(eight.files.get('graph.bin') as Uint8Array))).toBe(true);
    const recall = async (encoded: ReturnType<typeof encodeVectors>) => {
      const files = allFiles(encoded);
      const manifest = await manifestFor(files, encoded, COUNT);
      const set = await openFormat3(manifest, checkedFetch(manifest, async (name) => files.get(name)));
      const rowOf = new Int32Array(COUNT);
      encoded.order.forEach((input, row) => (rowOf[input] = row));
      let hits = 0;
      for (let q = 0; q < 30; q++) {
        const query = data.queries.subarray(q * DIMS, (q + 1) * DIMS);
        const exact = Array.from({ length: COUNT }, (_, i) => ({ i, s: query.reduce((sum, x, d) => sum + x * data.rotated[i * DIMS + d], 0) }))
          .sort((a, b) => b.s - a.s)
          .slice(0, 10)
          .map((x) => rowOf[x.i]);
        const found = new Set((await set.search(query, 10)).map((h) => h.row));
        hits += exact.filter((row) => found.has(row)).length;
      }
      return { recall: hits / 300, set };
    };
    const [a, b] = await Promise.all([recall(eight), recall(four)]);
    expect(b.recall).toBeGreaterThanOrEqual(a.recall - 0.02);
    // The map's prefix vectors are the 4-bit values: within 17 of the 8-bit steps of them.
    const scales = bytesToFloats(eight.files.get('scales.f32') as Uint8Array);
    for (const row of [0, 77, COUNT - 1]) {
      const x8 = a.set.prefixVector(row);
      const x4 = b.set.prefixVector(row);
      for (let d = 0; d < PARAMS.prefixDims; d++) expect(Math.abs(x4[d] - x8[d])).toBeLessThanOrEqual((17 / 2) * scales[PARAMS.prefixDims + d] + 1e-6);
    }
  });

  it("a set with a 4-bit prefix and tails is a whole-row, 8-bit set's files transformed (what bench/vectors-v3.ts does to an older set)", () => {
    const small = data.rotated.slice(0, 600 * DIMS);
    const plain = allFiles(encodeVectors(small, DIMS, data.rotation, { ...PARAMS, headDims: DIMS }));
    const split = allFiles(encodeVectors(small, DIMS, data.rotation, { ...PARAMS, prefixEncoding: 'u4-range' }));
    const p = PARAMS.prefixDims;
    const scales = bytesToFloats(plain.get('scales.f32') as Uint8Array);
    const prefix = storedPrefix(plain.get('prefix.u8') as Uint8Array, { min: scales.slice(0, p), step: scales.slice(p, 2 * p) }, p, 'u4-range');
    const same = (a: Uint8Array | undefined, b: Uint8Array | undefined) => Buffer.from(a as Uint8Array).equals(Buffer.from(b as Uint8Array));
    expect(same(prefix.bytes, split.get('prefix.u8'))).toBe(true);
    const splitScales = bytesToFloats(split.get('scales.f32') as Uint8Array);
    expect(Array.from(splitScales.subarray(p, 2 * p))).toEqual(Array.from(prefix.scales.step));
    expect(Array.from(splitScales.subarray(2 * p))).toEqual(Array.from(scales.subarray(2 * p)));
    for (const name of ['graph.bin', 'rotation.f16', 'refine-00000.u4']) expect(same(plain.get(name), split.get(name)), name).toBe(true);
    for (let i = 0; i < 600 / PARAMS.rowsPerShard; i++) {
      const { head, tail } = splitRowShard(plain.get(FORMAT3_FILES.rowShard(i)) as Uint8Array, DIMS, PARAMS.headDims);
      expect(same(head, split.get(FORMAT3_FILES.rowShard(i)))).toBe(true);
      expect(same(tail, split.get(FORMAT3_FILES.tailShard(i)))).toBe(true);
    }
  });

  it('records a longer shortlist (= ef) for larger sets, never shorter than the default', () => {
    const sizes = [364, 10_000, 20_000, 20_001, 100_000, 500_000, 1_000_000];
    const shortlists = sizes.map((n) => searchDefaultsFor(n).shortlist);
    expect(shortlists).toEqual([400, 400, 400, 2000, 2000, 2000, 4000]);
    for (const n of sizes) expect(searchDefaultsFor(n).ef).toBe(searchDefaultsFor(n).shortlist);
    // Smaller row shards where the shortlist is a larger share of the set.
    expect(sizes.map(rowsPerShardFor)).toEqual([128, 128, 128, 256, 256, 256, 256]);
    // Where the eager prefix and the re-rank's reads outgrow the bytes budget: a 4-bit prefix, heads and tails.
    expect(sizes.map((n) => vectorParamsFor(n, 384).prefixEncoding)).toEqual(['u8-range', 'u8-range', 'u8-range', 'u8-range', 'u8-range', 'u8-range', 'u4-range']);
    expect(sizes.map((n) => vectorParamsFor(n, 384).headDims)).toEqual([384, 384, 384, 384, 384, 384, 160]);
  });

  it('writes the same bytes from the same input', () => {
    const small = data.rotated.slice(0, 800 * DIMS);
    const a = allFiles(encodeVectors(small, DIMS, data.rotation, PARAMS));
    const b = allFiles(encodeVectors(small, DIMS, data.rotation, PARAMS));
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [name, bytes] of a) expect(Buffer.from(b.get(name) as Uint8Array).equals(Buffer.from(bytes)), name).toBe(true);
  });

  it('names the row shard that is corrupted or missing', async () => {
    const small = data.rotated.slice(0, 800 * DIMS);
    const encoded = encodeVectors(small, DIMS, data.rotation, PARAMS);
    const files = allFiles(encoded);
    const manifest = await manifestFor(files, encoded, 800);
    const query = data.queries.subarray(0, DIMS);
    const corrupted = new Map(files);
    for (const name of manifest.rows.shards) {
      const bytes = (files.get(name) as Uint8Array).slice();
      bytes[5] ^= 0xff;
      corrupted.set(name, bytes);
    }
    const bad = await openFormat3(manifest, checkedFetch(manifest, async (name) => corrupted.get(name)));
    await expect(bad.search(query, 10)).rejects.toThrow(/Artifact file rows-\d{5}\.u8 is corrupted/);
    const missing = await openFormat3(manifest, async (name) => {
      if (name.startsWith('rows-')) throw new Error('404 Not Found');
      return files.get(name) as Uint8Array;
    });
    await expect(missing.search(query, 10)).rejects.toThrow(/Artifact file rows-\d{5}\.u8 could not be read: 404 Not Found/);
    const short = await openFormat3(manifest, async (name) => (name.startsWith('rows-') ? (files.get(name) as Uint8Array).subarray(1) : (files.get(name) as Uint8Array)));
    await expect(short.vector(0)).rejects.toThrow(/Row shard rows-00000\.u8 has \d+ bytes/);
  });

  it('names a corrupted refine file, keeps nothing of it, and reads it again on the next search', async () => {
    const small = data.rotated.slice(0, 800 * DIMS);
    const encoded = encodeVectors(small, DIMS, data.rotation, PARAMS);
    const files = allFiles(encoded);
    const manifest = await manifestFor(files, encoded, 800);
    const query = data.queries.subarray(0, DIMS);
    let corrupt = true;
    const reads = new Map<string, number>();
    const set = await openFormat3(
      manifest,
      checkedFetch(manifest, async (name) => {
        reads.set(name, (reads.get(name) ?? 0) + 1);
        const bytes = files.get(name) as Uint8Array;
        if (!corrupt || !name.startsWith('refine-')) return bytes;
        const bad = bytes.slice();
        bad[0] ^= 0x11;
        return bad;
      }),
    );
    await expect(set.search(query, 10)).rejects.toThrow(/Artifact file refine-\d{5}\.u4 is corrupted/);
    const tried = [...reads].filter(([name]) => name.startsWith('refine-'));
    expect(tried.length).toBeGreaterThan(0);
    corrupt = false;
    const hits = await set.search(query, 10);
    expect(hits).toHaveLength(10);
    // Each refine file the failed search tried was fetched again, not served from a cache of the bad bytes.
    for (const [name] of tried) expect(reads.get(name)).toBe(2);
  });
});

describe("the re-rank's reads", () => {
  const small = data.rotated.slice(0, 1600 * DIMS);
  const encoded = encodeVectors(small, DIMS, data.rotation, PARAMS);
  const files = allFiles(encoded);
  const queries = Array.from({ length: 12 }, (_, q) => data.queries.subarray(q * DIMS, (q + 1) * DIMS));

  it('scores each row shard as it arrives: the same hits and scores, to the bit, whatever order the shards come in', async () => {
    const manifest = await manifestFor(files, encoded, 1600);
    const at = await openFormat3(manifest, async (name) => files.get(name) as Uint8Array);
    // Row shards answered in the opposite order to the one they were asked in, each a little later than the next.
    let asked = 0;
    const reversed = await openFormat3(manifest, async (name) => {
      const bytes = files.get(name) as Uint8Array;
      if (!name.startsWith('rows-')) return bytes;
      const wait = 40 - asked++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
      return bytes;
    });
    for (const query of queries) {
      asked = 0;
      for (const options of [{}, { refine: 0 }, { dims: 48 }]) expect(await reversed.search(query, 20, options)).toEqual(await at.search(query, 20, options));
    }
  });

  it("holds a walk's row shards until the next walk: its shortlist re-ranked again and its rows read again fetch nothing, with a cache of none", async () => {
    const manifest = await manifestFor(files, encoded, 1600);
    const set = await openFormat3(manifest, async (name) => files.get(name) as Uint8Array, { cachedBytes: 1 });
    let shortlist: readonly number[] = [];
    await set.search(queries[0], 10, { refine: 0, onShortlist: (rows) => (shortlist = rows) });
    const fetched = set.shardsFetched;
    expect(fetched).toBeGreaterThan(1);
    await set.search(queries[1], 10, { refine: 0, candidates: shortlist });
    await set.vector(shortlist[shortlist.length - 1]);
    expect(set.shardsFetched).toBe(fetched);
    // The next walk holds its own shards; the first walk's are not kept (the cache holds none).
    let next: readonly number[] = [];
    await set.search(queries[6], 10, { refine: 0, onShortlist: (rows) => (next = rows) });
    const shardOf = (row: number) => Math.floor(row / PARAMS.rowsPerShard);
    const only = shortlist.find((row) => !next.some((other) => shardOf(other) === shardOf(row)));
    expect(only).toBeDefined();
    const before = set.shardsFetched;
    await set.vector(only as number);
    expect(set.shardsFetched).toBe(before + 1);
  });

  it('drops a held shard that failed to load: the next read fetches it again', async () => {
    const manifest = await manifestFor(files, encoded, 1600);
    let fail = true;
    const set = await openFormat3(manifest, async (name) => {
      if (fail && name.startsWith('rows-')) throw new Error('503');
      return files.get(name) as Uint8Array;
    });
    let shortlist: readonly number[] = [];
    await expect(set.search(queries[0], 10, { onShortlist: (rows) => (shortlist = rows) })).rejects.toThrow(/503/);
    fail = false;
    expect((await set.search(queries[0], 10, { candidates: shortlist, refine: 0 })).length).toBe(10);
  });

  it('leaves out the rows whose shard holds fewer than minShardRows of the shortlist, but never its best keepBest', async () => {
    // Rows in shards of 10: shard 0 holds 3 of them, shard 1 one (the second best), shard 2 one, shard 3 two.
    const rows = [0, 11, 1, 25, 2, 30, 31];
    expect(withoutSparseShards(rows, 10, 2, 0)).toEqual([0, 1, 2, 30, 31]);
    expect(withoutSparseShards(rows, 10, 2, 2)).toEqual([0, 11, 1, 2, 30, 31]);
    expect(withoutSparseShards(rows, 10, 3, 0)).toEqual([0, 1, 2]);
    expect(withoutSparseShards(rows, 10, 1, 0)).toEqual(rows);
    const manifest = await manifestFor(files, encoded, 1600);
    const open = () => openFormat3(manifest, async (name) => files.get(name) as Uint8Array);
    const shardsOf = (list: readonly number[]) => new Set(list.map((row) => Math.floor(row / PARAMS.rowsPerShard))).size;
    let same = 0;
    let [readAll, readFewer] = [0, 0];
    for (const query of queries) {
      const [all, fewer] = [await open(), await open()];
      let shortlist: readonly number[] = [];
      let kept: readonly number[] = [];
      const full = await all.search(query, 10, { onShortlist: (r) => (shortlist = r) });
      const cut = await fewer.search(query, 10, { minShardRows: 3, keepBest: 10, onShortlist: (r) => (kept = r) });
      expect(kept).toEqual(withoutSparseShards(shortlist, PARAMS.rowsPerShard, 3, 10));
      // Only the kept rows' shards are read.
      expect(fewer.shardsFetched).toBe(shardsOf(kept));
      readAll += all.shardsFetched;
      readFewer += fewer.shardsFetched;
      same += cut.filter((h) => full.some((f) => f.row === h.row)).length;
    }
    expect(readFewer).toBeLessThan(readAll);
    expect(same / (10 * queries.length)).toBeGreaterThanOrEqual(0.9);
  });
});

describe('format versions', () => {
  const model = getModel('bge-small-en-v1.5');
  const expected = { model, dtype: model.defaultDtype };

  it('a format-2 reader refuses a format-3 manifest and says to rebuild', async () => {
    const encoded = encodeVectors(data.rotated.slice(0, 200 * DIMS), DIMS, data.rotation, PARAMS);
    const v3 = await manifestFor(allFiles(encoded), encoded, 200);
    let error: unknown;
    try {
      checkManifest(v3 as unknown as Manifest, expected);
    } catch (e) {
      error = e;
    }
    expect(isPapersiftError(error, 'artifacts-format')).toBe(true);
    expect((error as Error).message).toMatch(/format 3; this build reads format 2: rebuild/);
  });

  it('the format-3 reader refuses a set of the first vector side (float32 rotation, no refine files) and says to rebuild', async () => {
    const encoded = encodeVectors(data.rotated.slice(0, 200 * DIMS), DIMS, data.rotation, PARAMS);
    const current = await manifestFor(allFiles(encoded), encoded, 200);
    expect(parseFormat3Manifest(JSON.stringify(current)).vectorsFormat).toBe(FORMAT3_VECTORS_VERSION);
    // What a set merged before the vector side had a version looked like.
    const { vectorsFormat: _, ...old } = current;
    const v1 = { ...old, rotation: { file: 'rotation.f32', method: 'pca-uncentred' }, files: { ...old.files, 'rotation.f32': { bytes: DIMS * DIMS * 4, sha256: '0' } } };
    let error: unknown;
    try {
      parseFormat3Manifest(JSON.stringify(v1));
    } catch (e) {
      error = e;
    }
    expect(isPapersiftError(error, 'artifacts-format')).toBe(true);
    expect((error as Error).message).toMatch(/vector side of this format-3 index is version 1; this reader reads version 3 .*: rebuild the index with build-index --merge … --format 3/);
    expect(() => parseFormat3Manifest(JSON.stringify({ ...current, vectorsFormat: 2 }))).toThrow(/version 2; this reader reads version 3 \(row shards in heads and tails\): rebuild/);
    expect(() => parseFormat3Manifest(JSON.stringify({ ...current, vectorsFormat: 4 }))).toThrow(/version 4; this reader reads version 3: rebuild/);
  });

  it('the format-3 reader refuses a format-2 manifest and says to rebuild', () => {
    const v2 = JSON.stringify({ formatVersion: 2, model: { id: 'x', dims: 384 }, files: {}, count: 1 });
    expect(() => parseFormat3Manifest(v2)).toThrow(/format 2; this reader reads format 3: rebuild them with build-index --format 3/);
    expect(FORMAT3_VERSION).toBe(3);
  });
});
