/**
 * Rewrites the vector side of a format-3 set merged as vector side version 2 into version 3, without merging it
 * again (a 1M set's merge is ~45 minutes of graph building; this is a minute of file copying): each row shard
 * split in its head and tail where the merge would split it, the prefix stored in 4 bits where the merge would
 * (vectorParamsFor), the graph's file re-coded as version 2 (the same lists), the manifest's new fields. The row
 * order, the rotation, the refine files and the papers' and keyword sections are the same bytes a version-3 merge
 * writes, so they are hard-linked from the old set; the result is the set
 * `build-index --merge … --format 3` makes from the same embeddings (checked at 10k: every file's sha256 equal).
 *
 *   npx tsx bench/vectors-v3.ts --from .cache/scale/1000000/artifacts-f3-v2 --to .cache/scale/1000000/artifacts-f3-v3
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bytesToFloats, floatsToBytes } from '../src/core/artifacts';
import { splitRowShard, storedPrefix, vectorParamsFor } from '../src/core/format3/build';
import { encodeGraph, type EncodableGraph } from '../src/core/format3/graph';
import { FORMAT3_FILES, FORMAT3_VECTORS_VERSION, parseFormat3Manifest, type Format3Manifest } from '../src/core/format3/manifest';

const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
if (!values.from || !values.to) throw new Error('--from DIR (a vector side version 2 set) and --to DIR are required');
const from = values.from;
const to = values.to;
const old = JSON.parse(readFileSync(join(from, FORMAT3_FILES.manifest), 'utf8')) as Omit<Format3Manifest, 'vectorsFormat'> & { vectorsFormat: number };
if (old.vectorsFormat !== 2) throw new Error(`${from} is vector side version ${old.vectorsFormat}, not 2`);
if (existsSync(join(to, FORMAT3_FILES.manifest))) throw new Error(`${to} already holds a set`);
const params = vectorParamsFor(old.count, old.rows.dims);
const dims = old.rows.dims;
const p = old.prefix.dims;
const headDims = Math.min(params.headDims, dims);
const started = performance.now();
mkdirSync(to, { recursive: true });

const files: Format3Manifest['files'] = {};
const write = (name: string, bytes: Uint8Array) => {
  const temporary = join(to, `.${name}.partial`);
  writeFileSync(temporary, bytes);
  renameSync(temporary, join(to, name));
  files[name] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') };
};
const rewritten = new Set([FORMAT3_FILES.manifest, old.prefix.file, old.scales.file, old.graph.file, ...old.rows.shards]);
for (const entry of readdirSync(from)) {
  if (rewritten.has(entry) || entry.startsWith('.')) continue;
  const source = join(from, entry);
  if (statSync(source).isDirectory()) execFileSync('cp', ['-al', source, join(to, entry)]);
  else linkSync(source, join(to, entry));
  if (old.files[entry]) files[entry] = old.files[entry];
}

const scales = bytesToFloats(new Uint8Array(readFileSync(join(from, old.scales.file))));
const prefix = storedPrefix(new Uint8Array(readFileSync(join(from, old.prefix.file))), { min: scales.slice(0, p), step: scales.slice(p, 2 * p) }, p, params.prefixEncoding);
const newScales = scales.slice();
newScales.set(prefix.scales.min, 0);
newScales.set(prefix.scales.step, p);
write(FORMAT3_FILES.prefix, prefix.bytes);
write(FORMAT3_FILES.graph, encodeGraph(graphVersion1(new Uint8Array(readFileSync(join(from, old.graph.file)))), Int32Array.from({ length: old.count }, (_, i) => i)));
write(FORMAT3_FILES.scales, floatsToBytes(newScales));
const tails: string[] = [];
old.rows.shards.forEach((name, i) => {
  const { head, tail } = splitRowShard(new Uint8Array(readFileSync(join(from, name))), dims, headDims);
  write(FORMAT3_FILES.rowShard(i), head);
  if (headDims < dims) {
    write(FORMAT3_FILES.tailShard(i), tail);
    tails.push(FORMAT3_FILES.tailShard(i));
  }
});
const manifest: Format3Manifest = {
  ...old,
  vectorsFormat: FORMAT3_VECTORS_VERSION,
  prefix: { ...old.prefix, file: FORMAT3_FILES.prefix, encoding: params.prefixEncoding },
  scales: { file: FORMAT3_FILES.scales },
  rows: { ...old.rows, headDims, shards: old.rows.shards.map((_, i) => FORMAT3_FILES.rowShard(i)), tails },
  search: { ...old.search, headKeep: params.headKeep },
  files,
  createdBy: `${old.createdBy}; vector side 3 by bench/vectors-v3.ts`,
};
const text = `${JSON.stringify(manifest)}\n`;
parseFormat3Manifest(text);
writeFileSync(join(to, FORMAT3_FILES.manifest), text);
rmSync(join(to, `.${FORMAT3_FILES.manifest}.partial`), { force: true });
console.log(`${to}: ${old.count} papers, prefix ${params.prefixEncoding} (${prefix.bytes.byteLength} bytes), ${old.rows.shards.length} row shards${headDims < dims ? ` as heads of ${headDims} dims and tails` : ' whole (no tails)'}, in ${((performance.now() - started) / 1000).toFixed(1)} s`);

/** A version-1 graph file (u32 offsets, plain u32 upper levels) as the lists encodeGraph writes again. */
function graphVersion1(bytes: Uint8Array): EncodableGraph {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => view.getUint32(at, true);
  if (u32(0) !== 0x31475350 || u32(4) !== 1) throw new Error('not a version-1 papersift graph');
  const [count, m, maxLevel, entry, streamBytes] = [u32(8), u32(12), u32(16), u32(20), u32(24)];
  const offsetsAt = 28;
  const streamAt = offsetsAt + (count + 1) * 4;
  const levels = new Uint8Array(count);
  const upper: Map<number, number[]>[] = [];
  let p = streamAt + streamBytes + ((4 - (streamBytes % 4)) % 4);
  for (let level = 1; level <= maxLevel; level++) {
    const [nodes, total] = [u32(p), u32(p + 4)];
    p += 8;
    const ids = Array.from({ length: nodes }, (_, i) => u32(p + 4 * i));
    p += nodes * 4;
    const offsets = Array.from({ length: nodes + 1 }, (_, i) => u32(p + 4 * i));
    p += (nodes + 1) * 4;
    const lists = new Map<number, number[]>();
    ids.forEach((id, i) => {
      levels[id] = level;
      lists.set(id, Array.from({ length: offsets[i + 1] - offsets[i] }, (_, j) => u32(p + 4 * (offsets[i] + j))));
    });
    p += total * 4;
    upper.push(lists);
  }
  return {
    count,
    maxLevel,
    entry,
    levels,
    params: { m },
    neighbours(node, level, out) {
      if (level > 0) {
        const list = upper[level - 1]?.get(node) ?? [];
        out.set(list);
        return list.length;
      }
      let at = streamAt + u32(offsetsAt + 4 * node);
      const end = streamAt + u32(offsetsAt + 4 * node + 4);
      let n = 0;
      let previous = 0;
      while (at < end) {
        let value = 0;
        let shift = 0;
        let b: number;
        do {
          b = bytes[at++];
          value += (b & 0x7f) * 2 ** shift;
          shift += 7;
        } while (b & 0x80);
        previous = n === 0 ? node + (value & 1 ? -(value + 1) / 2 : value / 2) : previous + value + 1;
        out[n++] = previous;
      }
      return n;
    },
  };
}
