/**
 * How many text shards a search's hits need, at several rows per shard, over bench/scale.ts's 20 searches (each of
 * the ten queries with " 1", then again with " 2": a refined query, the bench's second half): the hybrid top 10 of
 * each (Node, the set's files in memory), and for each size the shards not needed by an earlier search of the run
 * (what a page holding every shard it read would fetch), and the text bytes that costs. The rows are the set's own
 * (locality order), regrouped by arithmetic: no set is rebuilt.
 *
 *   npx tsx bench/text-shards.ts --set .cache/scale/10000/artifacts-f3 [--sizes 1,4,8,16,32,64,128]
 */
import '../src/cli/node-env';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';


import { parseFormat3Manifest } from '../src/core/format3/manifest';
import { openFormat3Engine } from '../src/core/format3/open';
import type { PapersSection } from '../src/core/format3/papers';
import { QUERIES } from './queries';
import { cachedQueryEmbeddings, memorySource, readSetFiles } from './set-files';

const { values } = parseArgs({ options: { set: { type: 'string' }, sizes: { type: 'string', default: '1,4,8,16,32,64,128' } } });
if (!values.set) throw new Error('--set DIR is required');
const dir = values.set;
const manifest = parseFormat3Manifest(readFileSync(join(dir, 'manifest.json')));
const papers = manifest.papers as PapersSection;
const files = readSetFiles(dir);
let textBytes = 0;
for (const [name, bytes] of files) if (name.startsWith(papers.shards.prefix)) textBytes += bytes.byteLength;
const perPaper = textBytes / manifest.count;

const texts = [...QUERIES.map((q) => `${q} 1`), ...QUERIES.map((q) => `${q} 2`)];
const embedded = await cachedQueryEmbeddings(manifest.model, texts, 'text-shards-');
const cached = Object.fromEntries(texts.map((t, i) => [t, embedded[i]]));

const { engine } = await openFormat3Engine(manifest, memorySource(files));
const hits: number[][] = [];
for (const text of texts) hits.push((await engine.searchText(text, Float32Array.from(cached[text]), { mode: 'hybrid', k: 10 })).hits.map((h) => h.row));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
console.log(`${manifest.count} papers (${dir}), ${(perPaper / 1024).toFixed(2)} KB of text a paper; the set has ${papers.rowsPerShard} rows a shard\n`);
console.log('| rows a shard | new shards a search, first 10 (p50) | last 10 (p50 / max) | last 10 needing none | text KB a first-10 search (p50) |');
console.log('|---:|---:|---:|---:|---:|');
for (const rows of values.sizes.split(',').map(Number)) {
  const seen = new Set<number>();
  const fresh = hits.map((found) => {
    let count = 0;
    for (const shard of new Set(found.map((row) => Math.floor(row / rows)))) {
      if (!seen.has(shard)) count++;
      seen.add(shard);
    }
    return count;
  });
  const first = fresh.slice(0, 10);
  const last = fresh.slice(10);
  console.log(
    `| ${rows} | ${median(first)} | ${median(last)} / ${Math.max(...last)} | ${last.filter((n) => n === 0).length} of 10 | ${((median(first) * rows * perPaper) / 1024).toFixed(0)} |`,
  );
}
