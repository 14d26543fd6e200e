/**
 * Format 3's vector side against exact float32 search, in one Node process: recall@10 of the exact full-dim
 * top 10, search time per query (p50; the exact brute-force scan timed in the same process as the baseline),
 * bytes read before a search, and row shards a query's re-rank reads, for the prefix sizes and graph
 * settings tried. Papers and queries are synthetic (src/core/synthetic/generate.ts over the seed set's
 * papers and vectors); the queries are held-out papers of the same generator.
 *
 *   npx tsx bench/format3.ts [--sizes 10000,100000] [--queries 200] [--configs 32:12,48:12,64:12,64:8,64:16]
 *                            [--shortlists 100,200,400] [--write]
 *
 * --configs: prefix dims : graph m. --write puts the tables into docs/BENCHMARKS.md.
 */
import '../src/cli/node-env';
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { readArtifactsDir } from '../src/cli/open-engine';
import { REPO_ROOT, SITE_ARTIFACTS_DIR } from '../src/cli/node-env';
import { getModel } from '../src/core/models';
import { generatePapers } from '../src/core/synthetic/generate';
import { fitRotation, rotateRows, sampleRows, unrotateRows } from '../src/core/matryoshka/rotation';
import { ScoreHeap } from '../src/core/format3/heap';
import { openFormat3InMemory } from './format3-memory';
import { writeDocSection } from './doc-section';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    queries: { type: 'string', default: '200' },
    configs: { type: 'string', default: '32:12,48:12,64:12,64:8,64:16' },
    shortlists: { type: 'string', default: '100,200,400' },
    write: { type: 'boolean', default: false },
  },
});
const SHARD_SIZES = [128, 256, 512, 1024];
const model = getModel('bge-small-en-v1.5');
const seeds = await readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: model.defaultDtype });
const dims = seeds.manifest.model.dims;
// The generator mixes vectors in the model's space: undo the seed set's rotation (raw = Rᵀ · rotated).
const raw = unrotateRows(seeds.rotation, dims, seeds.vectors);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const queryCount = Number(values.queries);
const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stderr.write(`${line}\n`);
};

for (const size of values.sizes.split(',').map(Number)) {
  const all = new Float32Array((size + queryCount) * dims);
  let n = 0;
  for (const p of generatePapers(seeds.papers, raw, dims, { seed: 1 })) {
    if (n === size + queryCount) break;
    all.set(p.vector, n++ * dims);
  }
  const rotation = fitRotation(sampleRows(all.subarray(0, size * dims), dims), dims).matrix;
  const rotated = rotateRows(rotation, dims, all);
  const vectors = rotated.subarray(0, size * dims);
  const queries = rotated.subarray(size * dims);

  // Baseline: exact float32 brute force over every full row.
  const exactMs: number[] = [];
  const truth: number[][] = [];
  const heap = new ScoreHeap(false);
  for (let q = 0; q < queryCount; q++) {
    const started = performance.now();
    heap.clear();
    for (let i = 0; i < size; i++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += queries[q * dims + d] * vectors[i * dims + d];
      if (heap.size < 10) heap.push(i, s);
      else if (s > heap.topScore()) {
        heap.pop();
        heap.push(i, s);
      }
    }
    const ids: number[] = [];
    while (heap.size > 0) {
      ids.push(heap.topId());
      heap.pop();
    }
    exactMs.push(performance.now() - started);
    truth.push(ids);
  }
  const exactP50 = median(exactMs);
  say(`\n### ${size.toLocaleString('en')} synthetic papers, ${queryCount} held-out queries; exact float32 scan p50 ${exactP50.toFixed(1)} ms/query\n`);
  say('| prefix dims | graph m | build (s) | eager B/paper | shortlist (= ef) | recall@10 | search p50 (ms) | vs exact scan | shards read p50 @128/256/512/1024 rows |');
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---|');

  for (const config of values.configs.split(',')) {
    const [prefixDims, m] = config.split(':').map(Number);
    const started = performance.now();
    const { set, rowOf } = await openFormat3InMemory(vectors, dims, rotation, { prefixDims, m });
    const build = (performance.now() - started) / 1000;
    const eagerPerPaper = set.eagerBytes / size;
    for (const shortlist of values.shortlists.split(',').map(Number)) {
      let hits = 0;
      const ms: number[] = [];
      const touched: number[][] = SHARD_SIZES.map(() => []);
      for (let q = 0; q < queryCount; q++) {
        const query = queries.subarray(q * dims, (q + 1) * dims);
        // Every shard is already in the cache after the first config: the time is the search, not a fetch.
        const t = performance.now();
        const found = await set.search(query, 10, { shortlist, ef: shortlist });
        ms.push(performance.now() - t);
        const want = new Set(truth[q].map((i) => rowOf[i]));
        hits += found.filter((h) => want.has(h.row)).length;
        const rows = set.shortlist(query, shortlist, shortlist);
        SHARD_SIZES.forEach((per, k) => touched[k].push(new Set(rows.map((r) => Math.floor(r / per))).size));
      }
      say(
        `| ${prefixDims} | ${m} | ${build.toFixed(1)} | ${eagerPerPaper.toFixed(1)} | ${shortlist} | ${(hits / (queryCount * 10)).toFixed(4)} | ${median(ms).toFixed(2)} | ${(median(ms) / exactP50).toFixed(3)} | ${touched.map(median).join(' / ')} |`,
      );
    }
  }
}

if (values.write) {
  const report = [
    `\`npx tsx bench/format3.ts --sizes ${values.sizes} --configs ${values.configs} --shortlists ${values.shortlists}\`, measured ${new Date().toISOString().slice(0, 10)} on the shared 2-core machine (other engineers' builds and tests running: read times as ratios to the exact scan of the same run).`,
    'Eager bytes are rotation + scales + prefix codes + graph (what a search needs before any row shard); the first search of a session also reads the row shards its shortlist touches.',
    ...lines,
  ].join('\n');
  await writeDocSection(join(REPO_ROOT, 'docs', 'BENCHMARKS.md'), 'bench/format3.ts', report);
}
