/**
 * Search time of the format-3 engine in Node, by part (src/core/format3/phases.ts), with the set's files in
 * memory: what the site's worker spends in `searchMs` when no read waits on IndexedDB or the network.
 *
 *   npx tsx bench/format3-speed.ts --set .cache/scale/10000/artifacts-f3 [--embeddings .cache/scale/10000/embeddings]
 *     [--source memory|hashed] [--rounds 3] [--mode hybrid]
 *
 * --source memory: files handed over as they are (a reader's cache hit costs the same); hashed: every read is
 * checked against its sha256 first, as the chunk store checks a file read back from IndexedDB.
 * Queries: bench/queries.ts and the judged text queries of test/eval/queries.json, embedded by the set's model
 * (kept in .cache/format3-speed/ for the next run). Per round the engine is opened afresh (cold: every file read
 * for the first time in the round's first pass over the queries) and the queries are searched twice: cold, then
 * warm (the same query again, its files in the readers' caches).
 * --embeddings: also recall@10 of semantic search against exact float32 search over those shards.
 * --ef E, --shortlist S: search with these instead of the manifest's (the walk is at least as wide as the shortlist).
 * --walk-for-feedback: time the engine as it was (Format3EngineOptions.walkForFeedback).
 * --feedback: hybrid top 10 with the feedback query ranked over the first shortlist (the default) and walked for
 * again, each against a reference that walks again with a 4× shortlist (ef as wide), and the time of each.
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findShardHeaders, readShardHeader, readShardLines, readShardVectors } from '../src/cli/shard-files';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { parseFormat3Manifest } from '../src/core/format3/manifest';
import { Format3Engine } from '../src/core/format3/engine';
import { openFormat3Engine } from '../src/core/format3/open';
import { PHASE_ORDER, type Phases } from '../src/core/format3/phases';
import { verifiedSource, type FileSource } from '../src/core/format3/sharded-files';
import type { SearchMode } from '../src/core/search';
import { QUERIES } from './queries';
import { cachedQueryEmbeddings, readSetFiles } from './set-files';

const { values } = parseArgs({
  options: {
    set: { type: 'string' },
    embeddings: { type: 'string' },
    source: { type: 'string', default: 'memory' },
    rounds: { type: 'string', default: '3' },
    mode: { type: 'string', default: 'hybrid' },
    feedback: { type: 'boolean', default: false },
    ef: { type: 'string' },
    shortlist: { type: 'string' },
    'walk-for-feedback': { type: 'boolean', default: false },
  },
});
if (!values.set) throw new Error('--set DIR is required');
const dir = values.set;
const mode = values.mode as SearchMode;
const recorded = parseFormat3Manifest(readFileSync(join(dir, 'manifest.json')));
const manifest = {
  ...recorded,
  search: {
    ...recorded.search,
    ef: values.ef ? Number(values.ef) : recorded.search.ef,
    shortlist: values.shortlist ? Number(values.shortlist) : recorded.search.shortlist,
  },
};

// Every file of the set in memory once: the bench times the engine, not the disk.
const files = readSetFiles(dir);
const source: FileSource =
  values.source === 'hashed'
    ? verifiedSource(async (name) => files.get(name))
    : async (name) => {
        const bytes = files.get(name);
        if (!bytes) throw new Error(`no file ${name}`);
        return bytes;
      };

const texts = [...QUERIES, ...parseJudgedQueries(JSON.parse(readFileSync('test/eval/queries.json', 'utf8'))).flatMap((q) => (q.kind === 'similar' ? [] : [q.text]))];
const embeddings = await cachedQueryEmbeddings(manifest.model, texts);


const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Number.NaN;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

interface Run {
  ms: number;
  phases: Phases;
}
const cold: Run[] = [];
const warm: Run[] = [];
const load = [loadavg()[0]];
let shardsCold = 0;
for (let round = 0; round < Number(values.rounds); round++) {
  const opened = await openFormat3Engine(manifest, source);
  const engine = values['walk-for-feedback']
    ? new Format3Engine({ modelId: manifest.model.id, papers: opened.papers, lexical: opened.lexical, vectors: opened.vectors }, { walkForFeedback: true })
    : opened.engine;
  for (const pass of [cold, warm]) {
    for (let q = 0; q < texts.length; q++) {
      const before = opened.vectors.shardsFetched;
      const started = performance.now();
      const result = await engine.searchText(texts[q], embeddings[q], { mode });
      pass.push({ ms: performance.now() - started, phases: result.phases ?? {} });
      if (pass === cold) shardsCold += opened.vectors.shardsFetched - before;
    }
  }
}
load.push(loadavg()[0]);

const names = [...PHASE_ORDER.filter((n) => [...cold, ...warm].some((r) => r.phases[n] !== undefined))];
const lines = [
  `${manifest.count} papers (${dir}), ${texts.length} typed queries, mode ${mode}, ef ${manifest.search.ef}, shortlist ${manifest.search.shortlist}, source ${values.source}, ${values.rounds} rounds; load ${load.map((l) => l.toFixed(1)).join(' → ')}`,
  `row shards read per cold query: ${(shardsCold / cold.length).toFixed(1)}`,
  '',
  '| part | cold p50 | cold mean | warm p50 | warm mean |',
  '|---|---:|---:|---:|---:|',
  ...names.map((n) => {
    const c = cold.map((r) => r.phases[n] ?? 0);
    const w = warm.map((r) => r.phases[n] ?? 0);
    return `| ${n} | ${median(c).toFixed(2)} | ${mean(c).toFixed(2)} | ${median(w).toFixed(2)} | ${mean(w).toFixed(2)} |`;
  }),
  `| **whole search** | ${median(cold.map((r) => r.ms)).toFixed(2)} | ${mean(cold.map((r) => r.ms)).toFixed(2)} | ${median(warm.map((r) => r.ms)).toFixed(2)} | ${mean(warm.map((r) => r.ms)).toFixed(2)} |`,
];
console.log(lines.join('\n'));

if (values.embeddings) {
  const { engine, papers } = await openFormat3Engine(manifest, source);
  const truth = await exactTop10(values.embeddings, embeddings);
  let found = 0;
  for (let q = 0; q < texts.length; q++) {
    const hits = (await engine.searchText(texts[q], embeddings[q], { mode: 'semantic', k: 10 })).hits;
    const ids = new Set((await papers.papers(hits.map((h) => h.row))).map((p) => p.id));
    found += truth[q].filter((id) => ids.has(id)).length;
  }
  console.log(`\nsemantic recall@10 vs exact float32 full-dim search, ${texts.length} queries: ${(found / (10 * texts.length)).toFixed(4)}`);
}

async function exactTop10(embeddingsDir: string, queries: Float32Array[]): Promise<string[][]> {
  const best = queries.map(() => [] as { id: string; score: number }[]);
  for (const header of findShardHeaders([embeddingsDir])) {
    const shard = readShardHeader(header);
    const ids: string[] = [];
    for await (const id of readShardLines(shard, shard.header.ids)) ids.push(String(id));
    const rows = readShardVectors(shard);
    const dims = rows.length / ids.length;
    queries.forEach((query, q) => {
      const top = best[q];
      for (let r = 0; r < ids.length; r++) {
        let score = 0;
        for (let d = 0; d < dims; d++) score += query[d] * rows[r * dims + d];
        if (top.length === 10 && score <= top[9].score) continue;
        top.push({ id: ids[r], score });
        top.sort((a, b) => b.score - a.score);
        if (top.length > 10) top.pop();
      }
    });
  }
  return best.map((top) => top.map((hit) => hit.id));
}

if (values.feedback) {
  const opened = await openFormat3Engine(manifest, source);
  const readers = { modelId: manifest.model.id, papers: opened.papers, lexical: opened.lexical, vectors: opened.vectors };
  const widest = 4 * manifest.search.shortlist;
  const wide = await openFormat3Engine({ ...manifest, search: { ...manifest.search, ef: widest, shortlist: widest } }, source);
  const reference = new Format3Engine({ ...readers, vectors: wide.vectors }, { walkForFeedback: true });
  const engines = { 'ranked over the first shortlist': opened.engine, 'walked for again': new Format3Engine(readers, { walkForFeedback: true }) };
  const top = async (engine: Format3Engine, q: number) => (await engine.searchText(texts[q], embeddings[q], { mode: 'hybrid', k: 10 })).hits.map((h) => h.paper.id);
  const truth: string[][] = [];
  for (let q = 0; q < texts.length; q++) truth.push(await top(reference, q));
  console.log(`\nHybrid top 10 against a reference that walks again with a shortlist of ${widest}:\n\n| feedback query | overlap@10 with the reference | ms p50 (warm) |\n|---|---:|---:|`);
  for (const [name, engine] of Object.entries(engines)) {
    let same = 0;
    const ms: number[] = [];
    for (let q = 0; q < texts.length; q++) {
      const got = await top(engine, q);
      same += got.filter((id) => truth[q].includes(id)).length;
      const started = performance.now();
      await top(engine, q);
      ms.push(performance.now() - started);
    }
    console.log(`| ${name} | ${(same / (10 * texts.length)).toFixed(4)} | ${median(ms).toFixed(2)} |`);
  }
}
