/**
 * Which text shards a search still has to read after fusion, when text is read ahead (Node, the set's files in
 * memory, bench/scale.ts's 20 searches: the ten queries with " 1", then again with " 2", a refined query):
 *
 * - `after`: once a search has answered, the text of its fused ranks 11..N (what a query refined by one more word
 *   mostly draws from), as the engine does in idle time (Format3Engine.readAhead);
 * - `early`: within a search, the text of each side's best E as soon as that side answers (before fusion).
 *
 * For each policy: new shards a search waits for after fusion (p50 of each half), searches needing none, and the
 * text bytes read in all (hits, early reads and read-ahead) against reading the hits alone.
 *
 * `--refine words`: the first ten searches are the queries less their last word, the last ten the whole queries (a
 * visitor adding a word), instead of the bench's " 1" / " 2".
 *
 *   npx tsx bench/text-readahead.ts --set .cache/scale/10000/artifacts-f3-v2 [--after 10,20,30] [--early 0,5,10] [--refine bench|words]
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';


import { parseFormat3Manifest } from '../src/core/format3/manifest';
import { openFormat3Engine } from '../src/core/format3/open';
import type { PapersSection } from '../src/core/format3/papers';
import { shardName } from '../src/core/format3/sharded-files';
import { QUERIES } from './queries';
import { cachedQueryEmbeddings, memorySource, readSetFiles } from './set-files';

const { values } = parseArgs({
  options: {
    set: { type: 'string' },
    after: { type: 'string', default: '10,20,30,50' },
    early: { type: 'string', default: '0,5,10' },
    /** 'bench': the ten queries with " 1", then with " 2" (bench/scale.ts); 'words': each query less its last word, then whole. */
    refine: { type: 'string', default: 'bench' },
  },
});
if (!values.set) throw new Error('--set DIR is required');
const dir = values.set;
const manifest = parseFormat3Manifest(readFileSync(join(dir, 'manifest.json')));
const papers = manifest.papers as PapersSection;
const R = papers.rowsPerShard;
const files = readSetFiles(dir);
const shardBytes = (shard: number) => files.get(shardName(papers.shards, shard))?.byteLength ?? 0;
{
  // The shard file names: checked once, so that the byte counts are not silently zero.
  if (shardBytes(0) === 0) throw new Error(`no text shard named ${shardName(papers.shards, 0)}; see the set's files`);
}

const texts =
  values.refine === 'words'
    ? [...QUERIES.map((q) => q.split(' ').slice(0, -1).join(' ')), ...QUERIES]
    : [...QUERIES.map((q) => `${q} 1`), ...QUERIES.map((q) => `${q} 2`)];
const embedded = await cachedQueryEmbeddings(manifest.model, texts, 'text-shards-');
const cached = Object.fromEntries(texts.map((t, i) => [t, embedded[i]]));

const { engine } = await openFormat3Engine(manifest, memorySource(files));
const MAX_AFTER = Math.max(10, ...values.after.split(',').map(Number));
const MAX_EARLY = Math.max(...values.early.split(',').map(Number));
const searches: { fused: number[]; keyword: number[]; semantic: number[] }[] = [];
for (const text of texts) {
  const embedding = Float32Array.from(cached[text]);
  const fused = (await engine.searchText(text, embedding, { mode: 'hybrid', k: MAX_AFTER })).hits.map((h) => h.row);
  const keyword = MAX_EARLY ? (await engine.searchText(text, embedding, { mode: 'lexical', k: MAX_EARLY })).hits.map((h) => h.row) : [];
  const semantic = MAX_EARLY ? (await engine.searchText(text, embedding, { mode: 'semantic', k: MAX_EARLY })).hits.map((h) => h.row) : [];
  searches.push({ fused, keyword, semantic });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const shardsOf = (rows: number[]) => new Set(rows.map((row) => Math.floor(row / R)));
let baseBytes = 0;
{
  const held = new Set<number>();
  for (const { fused } of searches) for (const s of shardsOf(fused.slice(0, 10))) if (!held.has(s)) (held.add(s), (baseBytes += shardBytes(s)));
}
console.log(`${manifest.count} papers (${dir}), ${R} rows a shard, 20 searches (${values.refine === 'words' ? 'a word added' : 'the bench\'s'}); text of the hits alone: ${(baseBytes / 1024).toFixed(0)} KB\n`);
console.log('| read ahead after an answer | early, each side | new shards after fusion, first 10 (p50 / max) | last 10 (p50 / max) | searches needing none (first / last) | text KB read | × hits alone |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const after of values.after.split(',').map(Number)) {
  for (const early of values.early.split(',').map(Number)) {
    const held = new Set<number>();
    let bytes = 0;
    const read = (shards: Iterable<number>) => {
      for (const s of shards) if (!held.has(s)) (held.add(s), (bytes += shardBytes(s)));
    };
    const waited: number[] = [];
    for (const { fused, keyword, semantic } of searches) {
      read(shardsOf([...keyword.slice(0, early), ...semantic.slice(0, early)]));
      const hits = shardsOf(fused.slice(0, 10));
      waited.push([...hits].filter((s) => !held.has(s)).length);
      read(hits);
      if (after > 10) read(shardsOf(fused.slice(10, after)));
    }
    const first = waited.slice(0, 10);
    const last = waited.slice(10);
    console.log(
      `| ${after > 10 ? `ranks 11–${after}` : 'none'} | ${early || 'none'} | ${median(first)} / ${Math.max(...first)} | ${median(last)} / ${Math.max(...last)} | ${first.filter((n) => n === 0).length} / ${last.filter((n) => n === 0).length} | ${(bytes / 1024).toFixed(0)} | ${(bytes / baseBytes).toFixed(2)} |`,
    );
  }
}
