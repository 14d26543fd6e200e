/**
 * A built format-3 folder against exact float32 search over the embeddings shards it was merged from:
 * recall@10 and search time p50 per shortlist size, and the row shards a query reads. For sets too large to
 * rebuild per configuration (1M): the graph and codes are the folder's own.
 *
 *   npx tsx bench/format3-set.ts --set .cache/f3-1m --embeddings .cache/gen1m/embeddings [--queries 100] [--shortlists 400,1000,2000] [--text]
 *
 * Queries: papers of the set with fresh noise (the generator's 0.03 per component, renormalised), a stand-in
 * for held-out papers of the same topics (generating the held-out stream past 1M papers takes minutes).
 * --text: typed queries instead, as the site searches them: bench/queries.ts and the judged text queries of
 * test/eval/queries.json, embedded by the set's model (--queries is then ignored).
 * Time: the second run of each query (its row shards cached), so it is the search, not the disk.
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { modelsDir } from '../src/cli/node-env';
import { createEmbedder } from '../src/core/embed';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { QUERIES } from './queries';
import { openFormat3Dir } from '../src/cli/format3-search';
import { findShardHeaders, readShardHeader, readShardLines, readShardVectors } from '../src/cli/shard-files';
import { ScoreHeap } from '../src/core/format3/heap';
import { mulberry32 } from '../src/core/random';

const { values } = parseArgs({
  options: {
    set: { type: 'string' },
    embeddings: { type: 'string' },
    queries: { type: 'string', default: '100' },
    shortlists: { type: 'string', default: '400,1000,2000' },
    text: { type: 'boolean', default: false },
  },
});
if (!values.set || !values.embeddings) throw new Error('--set DIR and --embeddings DIR are required');
const { vectors: set, papers, manifest } = await openFormat3Dir(values.set);
const dims = set.dims;
const ids: string[] = [];
const parts: Float32Array[] = [];
for (const header of findShardHeaders([values.embeddings])) {
  const shard = readShardHeader(header);
  for await (const id of readShardLines(shard, shard.header.ids)) ids.push(String(id));
  parts.push(readShardVectors(shard));
}
const count = ids.length;
const random = mulberry32(5);
const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rowOf = (i: number): [Float32Array, number] => {
  let k = 0;
  while (i >= parts[k].length / dims) i -= parts[k++].length / dims;
  return [parts[k], i * dims];
};
const queries = values.text ? await typedQueries() : noisyCopies(Number(values.queries));
const queryCount = queries.length;

function noisyCopies(n: number): Float32Array[] {
  const out: Float32Array[] = [];
  for (let q = 0; q < n; q++) {
    const [part, offset] = rowOf(Math.floor(random() * count));
    const v = Float32Array.from({ length: dims }, (_, d) => part[offset + d] + 0.03 * gaussian());
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    out.push(v.map((x) => x / norm));
  }
  return out;
}

async function typedQueries(): Promise<Float32Array[]> {
  const judged = parseJudgedQueries(JSON.parse(readFileSync('test/eval/queries.json', 'utf8')));
  const texts = [...QUERIES, ...judged.flatMap((q) => (q.kind === 'similar' ? [] : [q.text]))];
  const embedder = await createEmbedder({ modelId: manifest.model.id, dtype: manifest.model.dtype, localModelPath: modelsDir() });
  try {
    const out: Float32Array[] = [];
    for (const text of texts) out.push(await embedder.embedQuery(text));
    return out;
  } finally {
    await embedder.dispose();
  }
}
const exactMs: number[] = [];
const truth: Set<string>[] = [];
const heap = new ScoreHeap(false);
for (const query of queries) {
  const started = performance.now();
  heap.clear();
  let i = 0;
  for (const part of parts) {
    for (let o = 0; o < part.length; o += dims, i++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += query[d] * part[o + d];
      if (heap.size < 10) heap.push(i, s);
      else if (s > heap.topScore()) {
        heap.pop();
        heap.push(i, s);
      }
    }
  }
  const top = new Set<string>();
  while (heap.size > 0) {
    top.add(ids[heap.topId()]);
    heap.pop();
  }
  exactMs.push(performance.now() - started);
  truth.push(top);
}
process.stdout.write(`${count} papers (${values.set}), ${queryCount} ${values.text ? 'typed' : 'noisy-copy'} queries; exact float32 scan p50 ${median(exactMs).toFixed(0)} ms/query\n\n`);
process.stdout.write(
  '| shortlist (= ef) | recall@10 | search p50 (ms, shards cached) | vs exact scan | row shards read p50 (first run) | row shards the re-rank touches p50 (cold cache, MB) |\n|---:|---:|---:|---:|---:|---:|\n',
);
const perShard = manifest.rows.rowsPerShard;
for (const shortlist of values.shortlists.split(',').map(Number)) {
  let hits = 0;
  const ms: number[] = [];
  const shards: number[] = [];
  const touched: number[] = [];
  for (const [q, query] of queries.entries()) {
    const rotated = set.rotate(query);
    touched.push(new Set(set.shortlist(rotated, shortlist, shortlist).map((row) => Math.floor(row / perShard))).size);
    const before = set.shardsFetched;
    await set.search(rotated, 10, { shortlist, ef: shortlist });
    shards.push(set.shardsFetched - before);
    const started = performance.now();
    const found = await set.search(rotated, 10, { shortlist, ef: shortlist });
    ms.push(performance.now() - started);
    const foundIds = (await papers.papers(found.map((h) => h.row))).map((p) => p.id);
    hits += foundIds.filter((id) => truth[q].has(id)).length;
  }
  process.stdout.write(
    `| ${shortlist} | ${(hits / (queryCount * 10)).toFixed(4)} | ${median(ms).toFixed(1)} | ${(median(ms) / median(exactMs)).toFixed(4)} | ${median(shards)} | ${median(touched)} (${((median(touched) * perShard * dims) / 1e6).toFixed(1)}) |\n`,
  );
}
