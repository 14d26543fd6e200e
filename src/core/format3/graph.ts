/**
 * One HNSW graph (Malkov & Yashunin) over the low-dimensional prefix, built and walked by our own code. Not
 * hnswlib-wasm: its graph file carries a float32 copy of every vector (for a 1M × 48-d prefix that alone is
 * 192 MB, and it must sit in wasm memory), while this one stores only neighbour ids, delta-coded, and walks
 * them over the int8 prefix codes the reader already holds. Same input, same params → same bytes: levels come
 * from a seeded PRNG, points are inserted in row order, heap ties break by id.
 *
 * File layout (little-endian), `graph.bin`, version 2:
 *   magic "PSG1", u32 version (2), u32 count, u32 m, u32 maxLevel, u32 entry, u32 level0Bytes, u32 lengthBytes
 *   lengths[count]                bytes of each node's level-0 list, `lengthBytes` (1 or 2) each; padded to 4
 *   u8 level0[level0Bytes]        per node: its neighbours ascending, LEB128 varints of
 *                                 zigzag(first − node), then (next − previous − 1); padded to 4 bytes
 *   per level L = 1..maxLevel:    u32 nodes, u32 bytes, then `bytes` (padded to 4) of: the level's node ids
 *                                 ascending (varints: the first, then next − previous − 1), u8 counts[nodes],
 *                                 and each node's neighbours coded as on level 0
 * Rows in cluster order (see `bfsOrder`) keep most deltas under 128: one byte per neighbour. Version 1 kept u32
 * offsets and plain u32 upper levels: 8.7 of a 1M set's 42.9 MB, read before its first hybrid result.
 */
import { PapersiftError } from '../errors';
import { mulberry32 } from '../random';
import { ScoreHeap } from './heap';

export interface GraphParams {
  /** Links per node on the upper levels; level 0 keeps up to 2m. */
  m: number;
  efConstruction: number;
  seed: number;
}

/** What a walk needs of a graph: its entry and each node's neighbours at a level. */
export interface Walkable {
  readonly count: number;
  readonly maxLevel: number;
  readonly entry: number;
  /** Writes node's neighbours at `level` into `out` (room for 2m), returns how many. */
  neighbours(node: number, level: number, out: Int32Array): number;
}

/** Marks of visited nodes, cleared in O(1) by bumping an epoch. */
export class Visited {
  private marks: Uint32Array;
  private epoch = 0;
  constructor(count: number) {
    this.marks = new Uint32Array(count);
  }
  next(): void {
    if (++this.epoch === 0xffffffff) {
      this.marks.fill(0);
      this.epoch = 1;
    }
  }
  /** True the first time a node is seen in this epoch. */
  visit(node: number): boolean {
    if (this.marks[node] === this.epoch) return false;
    this.marks[node] = this.epoch;
    return true;
  }
}

/** Greedy descent from the entry through levels above `toLevel`: the node to start the wide search from. */
export function descend(graph: Walkable, score: (node: number) => number, toLevel: number, scratch: Int32Array): number {
  let current = graph.entry;
  let best = score(current);
  for (let level = graph.maxLevel; level > toLevel; level--) {
    for (let moved = true; moved; ) {
      moved = false;
      const n = graph.neighbours(current, level, scratch);
      for (let i = 0; i < n; i++) {
        const s = score(scratch[i]);
        if (s > best || (s === best && scratch[i] < current)) {
          best = s;
          current = scratch[i];
          moved = true;
        }
      }
    }
  }
  return current;
}

/**
 * Best-first search at one level from `start`, keeping the `ef` best seen. Returns them in a min-heap (worst on
 * top), in `results`. Higher score is nearer.
 */
export function searchLevel(
  graph: Walkable,
  score: (node: number) => number,
  start: number,
  ef: number,
  level: number,
  visited: Visited,
  candidates: ScoreHeap,
  results: ScoreHeap,
  scratch: Int32Array,
): ScoreHeap {
  visited.next();
  candidates.clear();
  results.clear();
  const s0 = score(start);
  visited.visit(start);
  candidates.push(start, s0);
  results.push(start, s0);
  while (candidates.size > 0) {
    const node = candidates.topId();
    const nodeScore = candidates.topScore();
    if (results.size >= ef && nodeScore < results.topScore()) break;
    candidates.pop();
    const n = graph.neighbours(node, level, scratch);
    for (let i = 0; i < n; i++) {
      const next = scratch[i];
      if (!visited.visit(next)) continue;
      const s = score(next);
      if (results.size < ef || s > results.topScore()) {
        candidates.push(next, s);
        results.push(next, s);
        if (results.size > ef) results.pop();
      }
    }
  }
  return results;
}

/** The graph as it is built: fixed-size neighbour slots, ids in row order. */
export class GraphBuilder implements Walkable {
  readonly count: number;
  maxLevel = -1;
  entry = -1;
  readonly levels: Uint8Array;
  private readonly m0: number;
  private readonly level0: Int32Array;
  private readonly level0Size: Uint8Array;
  /** Per node with level ≥ 1: for each level 1..its level, m slots. */
  private readonly upper = new Map<number, { ids: Int32Array; sizes: Uint8Array }>();
  private readonly visited: Visited;
  private readonly candidates = new ScoreHeap(true);
  private readonly results = new ScoreHeap(false);
  private readonly scratch: Int32Array;

  /** `vectors`: count × dims, the metric is the dot product (unit rows: cosine). */
  constructor(
    private readonly vectors: Float32Array,
    private readonly dims: number,
    readonly params: GraphParams,
  ) {
    this.count = vectors.length / dims;
    this.m0 = 2 * params.m;
    if (params.m < 2 || this.m0 > 255) throw new PapersiftError('invalid-option', `Graph m must be in 2..127, not ${params.m}`);
    this.level0 = new Int32Array(this.count * this.m0);
    this.level0Size = new Uint8Array(this.count);
    this.levels = new Uint8Array(this.count);
    const random = mulberry32(params.seed);
    const mult = 1 / Math.log(params.m);
    for (let i = 0; i < this.count; i++) this.levels[i] = Math.min(15, Math.floor(-Math.log(1 - random()) * mult));
    this.visited = new Visited(this.count);
    this.scratch = new Int32Array(this.m0 + 1);
  }

  neighbours(node: number, level: number, out: Int32Array): number {
    if (level === 0) {
      const n = this.level0Size[node];
      out.set(this.level0.subarray(node * this.m0, node * this.m0 + n));
      return n;
    }
    const u = this.upper.get(node);
    if (!u || level > this.levels[node]) return 0;
    const n = u.sizes[level - 1];
    const base = (level - 1) * this.params.m;
    out.set(u.ids.subarray(base, base + n));
    return n;
  }

  private setNeighbours(node: number, level: number, ids: ArrayLike<number>, n: number): void {
    if (level === 0) {
      for (let i = 0; i < n; i++) this.level0[node * this.m0 + i] = ids[i];
      this.level0Size[node] = n;
      return;
    }
    const u = this.upper.get(node) as { ids: Int32Array; sizes: Uint8Array };
    const base = (level - 1) * this.params.m;
    for (let i = 0; i < n; i++) u.ids[base + i] = ids[i];
    u.sizes[level - 1] = n;
  }

  private sim(a: number, b: number): number {
    const v = this.vectors;
    const dims = this.dims;
    let s = 0;
    const ao = a * dims;
    const bo = b * dims;
    for (let d = 0; d < dims; d++) s += v[ao + d] * v[bo + d];
    return s;
  }

  /**
   * hnswlib's neighbour heuristic: walk candidates nearest first, keep one only if it is nearer to the base than
   * to every one kept; that keeps links into other clusters, which is what lets the walk leave a cluster.
   */
  private select(ids: Int32Array, scores: Float64Array, n: number, limit: number, out: Int32Array): number {
    let kept = 0;
    for (let i = 0; i < n && kept < limit; i++) {
      const c = ids[i];
      let good = true;
      for (let j = 0; j < kept; j++) {
        if (this.sim(c, out[j]) > scores[i]) {
          good = false;
          break;
        }
      }
      if (good) out[kept++] = c;
    }
    return kept;
  }

  /** Inserts every row, in row order. */
  build(onProgress?: (done: number) => void): this {
    for (let i = 0; i < this.count; i++) {
      this.insert(i);
      if (onProgress && (i & 0x3fff) === 0x3fff) onProgress(i + 1);
    }
    return this;
  }

  private insert(node: number): void {
    const level = this.levels[node];
    if (level > 0) this.upper.set(node, { ids: new Int32Array(level * this.params.m), sizes: new Uint8Array(level) });
    if (this.entry < 0) {
      this.entry = node;
      this.maxLevel = level;
      return;
    }
    const score = (other: number) => this.sim(node, other);
    let start = descend(this, score, level, this.scratch);
    const sortedIds = new Int32Array(this.params.efConstruction);
    const sortedScores = new Float64Array(this.params.efConstruction);
    const chosen = new Int32Array(this.m0 + 1);
    for (let l = Math.min(level, this.maxLevel); l >= 0; l--) {
      const found = searchLevel(this, score, start, this.params.efConstruction, l, this.visited, this.candidates, this.results, this.scratch);
      const n = found.size;
      for (let i = n - 1; i >= 0; i--) {
        sortedIds[i] = found.topId();
        sortedScores[i] = found.topScore();
        found.pop();
      }
      start = sortedIds[0];
      const kept = this.select(sortedIds, sortedScores, n, this.params.m, chosen);
      this.setNeighbours(node, l, chosen, kept);
      for (let i = 0; i < kept; i++) this.link(chosen[i], node, l);
    }
    if (level > this.maxLevel) {
      this.maxLevel = level;
      this.entry = node;
    }
  }

  /** Adds `node` to `from`'s list at `level`; a full list is re-pruned with the heuristic. */
  private link(from: number, node: number, level: number): void {
    const cap = level === 0 ? this.m0 : this.params.m;
    const n = this.neighbours(from, level, this.scratch);
    if (n < cap) {
      this.scratch[n] = node;
      this.setNeighbours(from, level, this.scratch, n + 1);
      return;
    }
    this.scratch[n] = node;
    const order = Array.from({ length: n + 1 }, (_, i) => ({ id: this.scratch[i], s: this.sim(from, this.scratch[i]) }));
    order.sort((a, b) => b.s - a.s || a.id - b.id);
    const ids = Int32Array.from(order, (o) => o.id);
    const scores = Float64Array.from(order, (o) => o.s);
    const out = new Int32Array(cap);
    const kept = this.select(ids, scores, n + 1, cap, out);
    this.setNeighbours(from, level, out, kept);
  }
}

/**
 * A row order in which neighbours sit near each other: breadth-first over level 0 from the entry, nodes the
 * walk never reaches appended in row order. Row shards of this order are mostly single topics, so the
 * re-rank of one shortlist reads few of them.
 */
export function bfsOrder(graph: Walkable): Int32Array {
  const order = new Int32Array(graph.count);
  const seen = new Uint8Array(graph.count);
  const scratch = new Int32Array(256);
  let head = 0;
  let tail = 0;
  const visit = (node: number) => {
    seen[node] = 1;
    order[tail++] = node;
  };
  if (graph.count > 0) visit(graph.entry);
  for (let next = 0; tail < graph.count; ) {
    if (head === tail) {
      while (seen[next]) next++;
      visit(next);
    }
    const node = order[head++];
    const n = graph.neighbours(node, 0, scratch);
    for (let i = 0; i < n; i++) if (!seen[scratch[i]]) visit(scratch[i]);
  }
  return order;
}

/** What `encodeGraph` reads of a graph: its neighbour lists, each node's top level and m. */
export type EncodableGraph = Walkable & { levels: Uint8Array; params: Pick<GraphParams, 'm'> };

/** `order[newRow] = oldRow` → the graph encoded with new row numbers. */
export function encodeGraph(graph: EncodableGraph, order: Int32Array): Uint8Array {
  const count = graph.count;
  const newOf = new Int32Array(count);
  for (let i = 0; i < count; i++) newOf[order[i]] = i;
  const scratch = new Int32Array(256);
  const list = (node: number, level: number): number[] => {
    const n = graph.neighbours(node, level, scratch);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(newOf[scratch[i]]);
    return ids.sort((a, b) => a - b);
  };
  const lengths = new Uint32Array(count);
  const stream = new ByteWriter(count * 24);
  for (let row = 0; row < count; row++) {
    const start = stream.length;
    writeList(stream, row, list(order[row], 0));
    lengths[row] = stream.length - start;
  }
  let longest = 0;
  for (const length of lengths) longest = Math.max(longest, length);
  const lengthBytes = longest < 256 ? 1 : 2;
  if (longest >= 65536) throw new PapersiftError('invalid-option', `A level-0 list of ${longest} bytes does not fit the graph file`);
  const out = new ByteWriter(28 + 4 + count * lengthBytes + stream.length + count * 4);
  for (const word of [0x31475350, 2, count, graph.params.m, Math.max(0, graph.maxLevel), count > 0 ? newOf[graph.entry] : 0, stream.length, lengthBytes]) out.u32(word);
  for (const length of lengths) {
    if (lengthBytes === 1) out.byte(length);
    else out.u16(length);
  }
  out.pad(4);
  out.append(stream.bytes());
  out.pad(4);
  for (let level = 1; level <= graph.maxLevel; level++) {
    const nodes: number[] = [];
    for (let row = 0; row < count; row++) if (graph.levels[order[row]] >= level) nodes.push(row);
    const section = new ByteWriter(nodes.length * 16);
    nodes.forEach((row, i) => section.varint(i === 0 ? row : row - nodes[i - 1] - 1));
    const lists = nodes.map((row) => list(order[row], level));
    for (const l of lists) section.byte(l.length);
    nodes.forEach((row, i) => writeList(section, row, lists[i]));
    section.pad(4);
    out.u32(nodes.length);
    out.u32(section.length);
    out.append(section.bytes());
  }
  return out.bytes().slice();
}

/** A node's neighbours (ascending) as varints: zigzag(first − node), then (next − previous − 1). */
function writeList(out: ByteWriter, node: number, ids: readonly number[]): void {
  for (let i = 0; i < ids.length; i++) {
    const delta = i === 0 ? ids[0] - node : ids[i] - ids[i - 1] - 1;
    out.varint(i === 0 ? (delta >= 0 ? delta * 2 : -delta * 2 - 1) : delta);
  }
}

class ByteWriter {
  private buffer: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.buffer = new Uint8Array(Math.max(16, capacity));
  }
  byte(b: number): void {
    if (this.length === this.buffer.length) {
      const grown = new Uint8Array(this.buffer.length * 2);
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.length++] = b;
  }
  varint(value: number): void {
    while (value >= 0x80) {
      this.byte((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    this.byte(value);
  }
  u16(value: number): void {
    this.byte(value & 0xff);
    this.byte(value >>> 8);
  }
  u32(value: number): void {
    for (let shift = 0; shift < 32; shift += 8) this.byte((value >>> shift) & 0xff);
  }
  pad(to: number): void {
    while (this.length % to !== 0) this.byte(0);
  }
  append(bytes: Uint8Array): void {
    for (const b of bytes) this.byte(b);
  }
  bytes(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** A graph file read back: level-0 lists decoded on demand, upper levels as plain arrays. */
export class CompactGraph implements Walkable {
  readonly count: number;
  readonly m: number;
  readonly maxLevel: number;
  readonly entry: number;
  private readonly offsets: Uint32Array;
  private readonly stream: Uint8Array;
  private readonly upper: { index: Map<number, number>; offsets: Uint32Array; neighbours: Uint32Array }[] = [];

  constructor(bytes: Uint8Array, file = 'graph.bin') {
    const fail = (why: string): never => {
      throw new PapersiftError('artifacts-format', `${file} is not a papersift graph: ${why}`, { file });
    };
    if (bytes.byteLength < 32) fail('too short');
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const word = (at: number) => {
      if (at + 4 > bytes.byteLength) fail('truncated');
      return view.getUint32(at, true);
    };
    if (word(0) !== 0x31475350) fail('bad magic');
    if (word(4) !== 2) fail(`version ${word(4)}, this build reads 2`);
    this.count = word(8);
    this.m = word(12);
    this.maxLevel = word(16);
    this.entry = word(20);
    const streamBytes = word(24);
    const lengthBytes = word(28);
    if (lengthBytes !== 1 && lengthBytes !== 2) fail(`${lengthBytes}-byte list lengths`);
    let p = 32;
    if (p + this.count * lengthBytes > bytes.byteLength) fail('truncated');
    // Offsets rebuilt from the lengths: 4 bytes a node in memory, not on the wire.
    this.offsets = new Uint32Array(this.count + 1);
    for (let i = 0; i < this.count; i++) {
      const length = lengthBytes === 1 ? bytes[p + i] : view.getUint16(p + 2 * i, true);
      this.offsets[i + 1] = this.offsets[i] + length;
    }
    if (this.offsets[this.count] !== streamBytes) fail('list lengths do not add up to the level-0 stream');
    p = align4(p + this.count * lengthBytes);
    if (p + streamBytes > bytes.byteLength) fail('truncated');
    this.stream = bytes.subarray(p, p + streamBytes);
    p = align4(p + streamBytes);
    for (let level = 1; level <= this.maxLevel; level++) {
      const nodes = word(p);
      const sectionBytes = word(p + 4);
      p += 8;
      if (p + sectionBytes > bytes.byteLength) fail('truncated');
      const section = bytes.subarray(p, p + sectionBytes);
      p += sectionBytes;
      const reader = { at: 0 };
      const index = new Map<number, number>();
      for (let i = 0, id = -1; i < nodes; i++) {
        id = i === 0 ? readVarint(section, reader) : id + readVarint(section, reader) + 1;
        index.set(id, i);
      }
      const offsets = new Uint32Array(nodes + 1);
      for (let i = 0; i < nodes; i++) offsets[i + 1] = offsets[i] + section[reader.at++];
      const neighbours = new Uint32Array(offsets[nodes]);
      for (const [id, i] of index) {
        let previous = 0;
        for (let j = offsets[i]; j < offsets[i + 1]; j++) {
          const value = readVarint(section, reader);
          previous = j === offsets[i] ? id + (value & 1 ? -(value + 1) / 2 : value / 2) : previous + value + 1;
          neighbours[j] = previous;
        }
      }
      if (reader.at > sectionBytes) fail(`level ${level} is truncated`);
      this.upper.push({ index, offsets, neighbours });
    }
    if (p !== bytes.byteLength) fail(`${bytes.byteLength - p} bytes past the last level`);
  }

  neighbours(node: number, level: number, out: Int32Array): number {
    if (level > 0) {
      const u = this.upper[level - 1];
      const i = u?.index.get(node);
      if (i === undefined) return 0;
      const from = u.offsets[i];
      const n = u.offsets[i + 1] - from;
      for (let j = 0; j < n; j++) out[j] = u.neighbours[from + j];
      return n;
    }
    // The walk's inner loop: most deltas are one byte, and no row number needs more than 28 bits (4 bytes),
    // so the varints decode with integer shifts; a longer one (never written by encodeGraph for < 2^27 rows)
    // takes the general path.
    const s = this.stream;
    let p = this.offsets[node];
    const end = this.offsets[node + 1];
    let n = 0;
    let previous = 0;
    while (p < end) {
      let b = s[p++];
      let value = b & 0x7f;
      if (b & 0x80) {
        let shift = 7;
        do {
          b = s[p++];
          value = shift < 28 ? value | ((b & 0x7f) << shift) : value + (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b & 0x80);
      }
      // zigzag(first − node): even → +value/2, odd → −(value+1)/2.
      previous = n === 0 ? node + (value & 1 ? -(value + 1) / 2 : value / 2) : previous + value + 1;
      out[n++] = previous;
    }
    return n;
  }
}

const align4 = (n: number) => (n + 3) & ~3;

/** A LEB128 varint at `reader.at`, which moves past it. */
function readVarint(bytes: Uint8Array, reader: { at: number }): number {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[reader.at++];
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80) || reader.at >= bytes.length) return value;
    shift += 7;
  }
}
