/**
 * One HNSW graph (Malkov & Yashunin) over the low-dimensional prefix, built and walked by our own code. Not
 * hnswlib-wasm: its graph file carries a float32 copy of every vector (for a 1M × 48-d prefix that alone is
 * 192 MB, and it must sit in wasm memory), while this one stores only neighbour ids, delta-coded, and walks
 * them over the int8 prefix codes the reader already holds. Same input, same params → same bytes: levels come
 * from a seeded PRNG, points are inserted in row order, heap ties break by id.
 *
 * File layout (little-endian), `graph.bin`:
 *   magic "PSG1", u32 version (1), u32 count, u32 m, u32 maxLevel, u32 entry, u32 level0Bytes
 *   u32 offsets[count + 1]        byte offset of each node's level-0 list in the stream below
 *   u8 level0[level0Bytes]        per node: its neighbours ascending, LEB128 varints of
 *                                 zigzag(first − node), then (next − previous − 1); padded to 4 bytes
 *   per level L = 1..maxLevel:    u32 nodes, u32 total, u32 ids[nodes] (ascending),
 *                                 u32 offsets[nodes + 1], u32 neighbours[total]
 * Rows in cluster order (see `bfsOrder`) keep most deltas under 128: one byte per neighbour.
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

/** `order[newRow] = oldRow` → the graph encoded with new row numbers. */
export function encodeGraph(graph: Walkable & { levels: Uint8Array; params: GraphParams }, order: Int32Array): Uint8Array {
  const count = graph.count;
  const newOf = new Int32Array(count);
  for (let i = 0; i < count; i++) newOf[order[i]] = i;
  const scratch = new Int32Array(256);
  const offsets = new Uint32Array(count + 1);
  const stream = new ByteWriter(count * 24);
  const list = (node: number, level: number): number[] => {
    const n = graph.neighbours(node, level, scratch);
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(newOf[scratch[i]]);
    return ids.sort((a, b) => a - b);
  };
  for (let row = 0; row < count; row++) {
    offsets[row] = stream.length;
    const ids = list(order[row], 0);
    for (let i = 0; i < ids.length; i++) {
      const delta = i === 0 ? ids[0] - row : ids[i] - ids[i - 1] - 1;
      stream.varint(i === 0 ? (delta >= 0 ? delta * 2 : -delta * 2 - 1) : delta);
    }
  }
  offsets[count] = stream.length;
  while (stream.length % 4 !== 0) stream.byte(0);
  const words: number[] = [0x31475350, 1, count, graph.params.m, Math.max(0, graph.maxLevel), count > 0 ? newOf[graph.entry] : 0, stream.length];
  const upperWords: number[] = [];
  for (let level = 1; level <= graph.maxLevel; level++) {
    const nodes: number[] = [];
    for (let row = 0; row < count; row++) if (graph.levels[order[row]] >= level) nodes.push(row);
    const lists = nodes.map((row) => list(order[row], level));
    const total = lists.reduce((sum, l) => sum + l.length, 0);
    upperWords.push(nodes.length, total, ...nodes);
    let at = 0;
    for (const l of lists) {
      upperWords.push(at);
      at += l.length;
    }
    upperWords.push(at);
    for (const l of lists) upperWords.push(...l);
  }
  const out = new Uint8Array(words.length * 4 + offsets.byteLength + stream.length + upperWords.length * 4);
  const view = new DataView(out.buffer);
  let p = 0;
  for (const w of words) view.setUint32((p += 4) - 4, w, true);
  for (let i = 0; i <= count; i++) view.setUint32((p += 4) - 4, offsets[i], true);
  out.set(stream.bytes(), p);
  p += stream.length;
  for (const w of upperWords) view.setUint32((p += 4) - 4, w, true);
  return out;
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
    if (bytes.byteLength < 28) fail('too short');
    // Copy when unaligned: a Uint32Array view needs a byte offset that is a multiple of 4.
    const data = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    const words = (at: number, n: number) => {
      if (at + n * 4 > data.byteLength) fail('truncated');
      return new Uint32Array(data.buffer, data.byteOffset + at, n);
    };
    const head = words(0, 7);
    if (head[0] !== 0x31475350) fail('bad magic');
    if (head[1] !== 1) fail(`version ${head[1]}, this build reads 1`);
    [, , this.count, this.m, this.maxLevel, this.entry] = head;
    const streamBytes = head[6];
    let p = 28;
    this.offsets = words(p, this.count + 1);
    p += (this.count + 1) * 4;
    if (p + streamBytes > data.byteLength) fail('truncated');
    this.stream = data.subarray(p, p + streamBytes);
    p += streamBytes;
    for (let level = 1; level <= this.maxLevel; level++) {
      const [nodes, total] = words(p, 2);
      p += 8;
      const ids = words(p, nodes);
      p += nodes * 4;
      const offsets = words(p, nodes + 1);
      p += (nodes + 1) * 4;
      const neighbours = words(p, total);
      p += total * 4;
      const index = new Map<number, number>();
      ids.forEach((id, i) => index.set(id, i));
      this.upper.push({ index, offsets, neighbours });
    }
    if (p !== data.byteLength) fail(`${data.byteLength - p} bytes past the last level`);
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
