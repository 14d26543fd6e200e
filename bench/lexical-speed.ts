/**
 * The format-3 keyword index alone (ChunkedLexicalIndex.search), in Node, with the index's files in memory: this
 * checkout against another checkout's reader in one process, taking turns, and their answers compared.
 *
 *   npx tsx bench/lexical-speed.ts --set .cache/scale/100000/artifacts-f3-v2 [--against /work/main] [--k 100] [--rounds 3]
 *     [--cache-mb M] (the readers' cache budget, default LEXICAL_CACHE_BYTES)
 *
 * Queries: bench/queries.ts and the judged text queries of test/eval/queries.json (55), searched with k = 100
 * (the engine's FUSION_DEPTH). Per round each reader's index is opened afresh, the queries are searched once
 * (cold: each word's bucket and postings decoded for the first time in that index, the files already in memory),
 * then again (warm); the readers take turns query by query. Every answer of this checkout is checked against the other's: the same rows in the same
 * order, the same scores to the bit, the same terms, coverage and match counts.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { ChunkedLexicalIndex, type ChunkedSearchResult, type LexicalSection } from '../src/core/lexical/chunked';
import type { FileSource } from '../src/core/format3/sharded-files';
import { QUERIES } from './queries';
import { readSetFiles } from './set-files';

const { values } = parseArgs({
  options: {
    set: { type: 'string' },
    against: { type: 'string' },
    k: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    queries: { type: 'string' },
    'cache-mb': { type: 'string' },
  },
});
if (!values.set) throw new Error('--set DIR is required');
const k = Number(values.k);
const rounds = Number(values.rounds);
const manifest = JSON.parse(readFileSync(join(values.set, 'manifest.json'), 'utf8')) as { lexical: LexicalSection };
const section = manifest.lexical;
const files = readSetFiles(join(values.set, 'lexical'));
const source: FileSource = async (name) => {
  const bytes = files.get(name.replace(/^lexical\//, ''));
  if (!bytes) throw new Error(`no file ${name}`);
  return bytes;
};
const texts = values.queries
  ? values.queries.split('|')
  : [...QUERIES, ...parseJudgedQueries(JSON.parse(readFileSync('test/eval/queries.json', 'utf8'))).flatMap((q) => (q.kind === 'similar' ? [] : [q.text]))];

interface Reader {
  search(query: string, k: number): Promise<ChunkedSearchResult>;
}
type Open = () => Promise<Reader>;
// A cache budget is a reader's only below its hold budget (LEXICAL_HOLD_BYTES): asked for, the index is not held.
const cache = values['cache-mb'] ? { cacheBytes: Number(values['cache-mb']) * 1024 * 1024, holdBytes: 0 } : {};
const readers: [string, Open][] = [['this checkout', () => ChunkedLexicalIndex.open(section, source, cache)]];
if (values.against) {
  const other = (await import(resolve(values.against, 'src/core/lexical/chunked.ts'))) as { ChunkedLexicalIndex: typeof ChunkedLexicalIndex };
  readers.unshift([values.against, () => other.ChunkedLexicalIndex.open(section, source, cache)]);
}

const times = readers.map(() => ({ cold: [] as number[], warm: [] as number[] }));
const answers = readers.map(() => new Map<string, ChunkedSearchResult>());
const load = [loadavg()[0]];
// Taking turns query by query (the first reader alternating), so that the machine's load falls on both alike.
for (let round = 0; round < rounds; round++) {
  const indexes = await Promise.all(readers.map(([, open]) => open()));
  for (const pass of ['cold', 'warm'] as const) {
    for (const [q, text] of texts.entries()) {
      for (let turn = 0; turn < readers.length; turn++) {
        const r = (turn + q + round) % readers.length;
        const started = performance.now();
        const result = await indexes[r].search(text, k);
        times[r][pass].push(performance.now() - started);
        answers[r].set(text, result);
      }
    }
  }
}
load.push(loadavg()[0]);

let differ = 0;
if (readers.length === 2) {
  for (const text of texts) {
    const [a, b] = [answers[0].get(text), answers[1].get(text)];
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      differ++;
      console.log(`answers differ: ${text}`);
    }
  }
}

const p50 = (list: number[]) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)];
const mean = (list: number[]) => list.reduce((s, x) => s + x, 0) / list.length;
console.log(`${section.documentCount} papers (${values.set}), ${texts.length} queries, k ${k}, ${rounds} rounds, cache ${values['cache-mb'] ?? 'default'} MB; load ${load.map((l) => l.toFixed(1)).join(' → ')}`);
console.log('| reader | cold p50 | cold mean | warm p50 | warm mean |\n|---|---:|---:|---:|---:|');
readers.forEach(([name], r) => {
  const { cold, warm } = times[r];
  console.log(`| ${name} | ${p50(cold).toFixed(2)} | ${mean(cold).toFixed(2)} | ${p50(warm).toFixed(2)} | ${mean(warm).toFixed(2)} |`);
});
if (readers.length === 2) {
  const ratio = (pass: 'cold' | 'warm', f: (l: number[]) => number) => (f(times[1][pass]) / f(times[0][pass])).toFixed(2);
  // The median of the per-search ratios (the same query, same round, searched back to back).
  const paired = (pass: 'cold' | 'warm') => p50(times[1][pass].map((t, i) => t / times[0][pass][i])).toFixed(2);
  console.log(`| ratio | ${ratio('cold', p50)} | ${ratio('cold', mean)} | ${ratio('warm', p50)} | ${ratio('warm', mean)} |`);
  console.log(`median of per-search ratios: cold ${paired('cold')}, warm ${paired('warm')}`);
  console.log(differ === 0 ? `answers identical (${texts.length} queries: rows, order, scores to the bit, terms, coverage, counts)` : `${differ} answers differ`);
}
