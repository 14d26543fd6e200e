/**
 * Format 3, the text side (issue #13): the papers section and the chunked keyword index written from a
 * synthetic corpus, then read cold per query the way the site would, counting bytes.
 *
 *   npm run generate-corpus -- --papers 100000 --out .cache/gen100k
 *   npx tsx bench/format3-text.ts --corpus .cache/gen100k/corpus.jsonl --sizes 10000,100000 [--write]
 *   npx tsx bench/format3-text.ts --corpus .cache/gen1m/corpus.jsonl --sizes 1000000 --discard   (writer only)
 *
 * A size n reads the corpus's first n papers. Per size:
 * - the writers' time and the process's peak RSS while writing (--discard: files are hashed and dropped,
 *   so the figure is the writers' own memory, not the files');
 * - files and bytes per part, and the eager bytes (what opening the two readers fetches);
 * - per query (bench/queries.ts and the judged keyword queries), from a cold reader: bytes of the keyword
 *   index fetched and bytes of the paper shards of its first 10 results, hence bytes before the first
 *   keyword result (the sections' JSON counted as the manifest's share; the vector side is not);
 * - bytes per screen of 10 results for other rows-per-shard choices, from the same results;
 * - the cost of re-hashing stored files on read (sha256 of the buckets, WebCrypto);
 * - format 2's lexical.json and papers.json for the same papers, for comparison (sizes ≤ 100k).
 * Bytes are uncompressed (a host that gzips sends fewer). Times are CPU-bound on a shared machine.
 */
import '../src/cli/node-env';
import { createReadStream, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { PapersReader, PapersWriter, type PapersSection } from '../src/core/format3/papers';
import { verifiedSource } from '../src/core/format3/sharded-files';
import { sha256Hex } from '../src/core/hash';
import { ChunkedLexicalIndex, ChunkedLexicalWriter, type LexicalSection } from '../src/core/lexical/chunked';
import { buildLexicalIndex, searchLexical, serialiseLexical } from '../src/core/lexical';
import type { Paper } from '../src/core/types';
import { writeDocSection } from './doc-section';
import { QUERIES } from './queries';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string', default: '.cache/gen100k/corpus.jsonl' },
    sizes: { type: 'string', default: '10000,100000' },
    discard: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const sizes = values.sizes.split(',').map(Number);
const SCREEN = 10;
const ROWS_PER_SHARD_CHOICES = [1, 4, 8, 16, 32, 64];
const BUDGET: Record<number, number> = { 10000: 3e6, 100000: 12e6, 1000000: 40e6 };
const judged = (JSON.parse(readFileSync('test/eval/queries.json', 'utf8')) as { queries: { kind: string; text?: string }[] }).queries
  .filter((q) => q.kind === 'keyword' && q.text)
  .map((q) => q.text!);
const queries = [...QUERIES, ...judged];

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1)} MB`;
const kb = (bytes: number) => `${(bytes / 1e3).toFixed(0)} kB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const max = (xs: number[]) => Math.max(...xs);

async function* readPapers(path: string, n: number): AsyncGenerator<Paper> {
  let count = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (!line.trim()) continue;
    const record = JSON.parse(line) as Partial<Paper> & { date?: string };
    yield {
      id: record.id!,
      title: record.title ?? '',
      abstract: record.abstract ?? '',
      authors: record.authors ?? null,
      date: record.date ?? null,
      sources: [`corpus.jsonl:${count + 1}`],
      ...(record.date ? { published: record.date } : {}),
      ...(record.categories ? { categories: record.categories } : {}),
    };
    if (++count === n) return;
  }
  if (count < n) throw new Error(`${path} has ${count} papers, fewer than ${n}`);
}

interface Written {
  papers: PapersSection;
  lexical: LexicalSection;
  files: Map<string, Uint8Array>;
  sizes: Map<string, number>;
  rowBytes: number[];
  writeSeconds: number;
  peakRss: number;
  format2?: { lexical: number; papers: number };
}

async function write(n: number): Promise<Written> {
  const files = new Map<string, Uint8Array>();
  const sizesByName = new Map<string, number>();
  const sink = (name: string, bytes: Uint8Array) => {
    sizesByName.set(name, bytes.byteLength);
    if (!values.discard) files.set(name, bytes);
  };
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const started = performance.now();
  const paperWriter = new PapersWriter(sink);
  const lexicalWriter = new ChunkedLexicalWriter();
  const rowBytes: number[] = [];
  const keep: Paper[] = [];
  for await (const paper of readPapers(values.corpus, n)) {
    await paperWriter.add(paper);
    lexicalWriter.add(paper);
    if (!values.discard) rowBytes.push(Buffer.byteLength(JSON.stringify(paper)));
    if (n <= 100_000 && !values.discard) keep.push(paper);
  }
  const papers = await paperWriter.finish();
  const lexical = await lexicalWriter.finish(sink);
  const writeSeconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  let format2: Written['format2'];
  if (keep.length > 0) {
    format2 = { lexical: serialiseLexical(buildLexicalIndex(keep)).byteLength, papers: Buffer.byteLength(JSON.stringify(keep)) };
  }
  return { papers, lexical, files, sizes: sizesByName, rowBytes, writeSeconds, peakRss, format2 };
}

function partBytes(w: Written, prefix: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const [name, size] of w.sizes) if (name.startsWith(prefix)) (files++, (bytes += size));
  return { files, bytes };
}

async function measure(n: number): Promise<string> {
  process.stderr.write(`${n}: writing…\n`);
  const w = await write(n);
  const lines = [`### ${n.toLocaleString('en')} papers`, ''];
  const part = (label: string, prefix: string) => {
    const { files, bytes } = partBytes(w, prefix);
    return `| ${label} | ${files.toLocaleString('en')} | ${mb(bytes)} |`;
  };
  lines.push(
    `Writers: ${w.writeSeconds.toFixed(1)} s for both sections, peak RSS ${mb(w.peakRss)} (whole process, corpus read line by line${values.discard ? ', files hashed and dropped' : ', files kept in memory'}).`,
    '',
    '| part | files | bytes |',
    '|---|---|---|',
    part('paper text shards (16 rows each)', 'papers/p-'),
    part('title shards (4096 rows each)', 'papers/titles-'),
    part('id → row buckets', 'papers/ids-'),
    part('catalog (years, categories)', 'papers/catalog'),
    part('keyword buckets', 'lexical/b-'),
    part('big-term postings', 'lexical/t-'),
    part('vocabulary (did you mean)', 'lexical/v-'),
    part('field lengths', 'lexical/lengths'),
  );
  if (w.format2) lines.push(`| format 2 for comparison: lexical.json / papers.json | 1 / 1 | ${mb(w.format2.lexical)} / ${mb(w.format2.papers)} |`);
  lines.push('');
  if (values.discard) return lines.join('\n');

  const sectionsJson = Buffer.byteLength(JSON.stringify({ papers: w.papers, lexical: w.lexical }));
  const counting = () => {
    const tally = { files: 0, bytes: 0 };
    const source = verifiedSource(async (name) => {
      const bytes = w.files.get(name);
      if (bytes) (tally.files++, (tally.bytes += bytes.byteLength));
      return bytes;
    });
    return { tally, source };
  };
  const eager = counting();
  await PapersReader.open(w.papers, eager.source);
  const lexicalReader = await ChunkedLexicalIndex.open(w.lexical, eager.source);
  const eagerBytes = eager.tally.bytes + sectionsJson;

  const perQuery: { lexical: number; lexicalFiles: number; screen: number; total: number; ms: number; rows: number[] }[] = [];
  for (const query of queries) {
    const cold = counting();
    const index = await ChunkedLexicalIndex.open(w.lexical, cold.source);
    const reader = await PapersReader.open(w.papers, cold.source);
    const opened = { ...cold.tally };
    const started = performance.now();
    const { hits } = await index.search(query, SCREEN);
    const ms = performance.now() - started;
    const lexical = cold.tally.bytes - opened.bytes;
    const lexicalFiles = cold.tally.files - opened.files;
    const rows = hits.map((h) => h.row);
    await reader.papers(rows);
    const screen = cold.tally.bytes - opened.bytes - lexical;
    perQuery.push({ lexical, lexicalFiles, screen, total: eagerBytes + lexical + screen, ms, rows });
  }
  // Warm: the same readers, the queries again.
  const warmStart = performance.now();
  for (const query of queries) await lexicalReader.search(query, SCREEN);
  const warmMs = (performance.now() - warmStart) / queries.length;
  let format2Ms: number | undefined;
  if (n <= 10_000) {
    const papersList: Paper[] = [];
    for await (const p of readPapers(values.corpus, n)) papersList.push(p);
    const reference = buildLexicalIndex(papersList);
    // A first pass warms MiniSearch's and searchLexical's caches, as the warm chunked pass had its own.
    for (const query of queries) searchLexical(reference, query, SCREEN);
    const start = performance.now();
    for (const query of queries) searchLexical(reference, query, SCREEN);
    format2Ms = (performance.now() - start) / queries.length;
  }

  const budget = BUDGET[n];
  const firstKeyword = perQuery.map((q) => q.total);
  lines.push(
    `Eager (opening both readers: catalog, field lengths, file tables; plus the two sections' JSON in the manifest, ${kb(sectionsJson)}): **${mb(eagerBytes)}**.`,
    '',
    `Per query, cold readers, ${queries.length} queries (bench/queries.ts and the judged keyword queries), median / max:`,
    '',
    '| | median | max |',
    '|---|---|---|',
    `| keyword index bytes fetched | ${kb(median(perQuery.map((q) => q.lexical)))} | ${kb(max(perQuery.map((q) => q.lexical)))} |`,
    `| keyword index files fetched | ${median(perQuery.map((q) => q.lexicalFiles))} | ${max(perQuery.map((q) => q.lexicalFiles))} |`,
    `| paper shards for the first ${SCREEN} results | ${kb(median(perQuery.map((q) => q.screen)))} | ${kb(max(perQuery.map((q) => q.screen)))} |`,
    `| **bytes before the first keyword result** (eager + query + screen)${budget ? `, budget ${mb(budget)}` : ''} | ${mb(median(firstKeyword))} | ${mb(max(firstKeyword))} |`,
    `| search CPU time, cold (decode included, no network) | ${median(perQuery.map((q) => q.ms)).toFixed(1)} ms | ${max(perQuery.map((q) => q.ms)).toFixed(1)} ms |`,
    '',
    `Warm readers (buckets cached): ${warmMs.toFixed(2)} ms a query${format2Ms !== undefined ? `; format 2's searchLexical (MiniSearch in memory, also warm) in the same process: ${format2Ms.toFixed(2)} ms (ratio ${(warmMs / format2Ms).toFixed(2)})` : ''}.`,
    '',
  );

  // Rows per text shard: bytes of one screen of results for each choice, from the per-row JSON sizes.
  const shardBytes = (R: number, row: number) => {
    const from = Math.floor(row / R) * R;
    const to = Math.min(n, from + R);
    let bytes = 2 + (to - from - 1);
    for (let r = from; r < to; r++) bytes += w.rowBytes[r];
    return bytes;
  };
  lines.push('Rows per paper text shard: a screen of 10 results (the queries above), and files at 1M papers:', '', '| rows per shard | bytes per screen, median | file table at 1M (eager) | files at 1M |', '|---|---|---|---|');
  for (const R of ROWS_PER_SHARD_CHOICES) {
    const screens = perQuery.map((q) => [...new Set(q.rows.map((row) => Math.floor(row / R)))].reduce((sum, shard) => sum + shardBytes(R, shard * R), 0));
    lines.push(`| ${R} | ${kb(median(screens))} | ${mb((1e6 / R) * 36)} | ${Math.ceil(1e6 / R).toLocaleString('en')} |`);
  }
  lines.push('');

  // Re-hashing a stored file on read.
  const buckets = [...w.files].filter(([name]) => name.startsWith('lexical/b-') && !name.endsWith('table.bin')).map(([, bytes]) => bytes);
  for (const bytes of buckets.slice(0, 5)) await sha256Hex(bytes);
  const hashStart = performance.now();
  for (const bytes of buckets) await sha256Hex(bytes);
  const hashMs = performance.now() - hashStart;
  const bucketTotal = buckets.reduce((sum, b) => sum + b.byteLength, 0);
  lines.push(
    `Re-hashing stored files on read (sha256, WebCrypto in Node): ${buckets.length} buckets, ${mb(bucketTotal)} in ${hashMs.toFixed(0)} ms: ${((hashMs / buckets.length) * 1000).toFixed(0)} µs a bucket of ${kb(bucketTotal / buckets.length)} on average (${(bucketTotal / 1e6 / (hashMs / 1000)).toFixed(0)} MB/s).`,
    '',
  );
  return lines.join('\n');
}

const loadBefore = loadavg()[0];
const sections: string[] = [];
for (const n of sizes) sections.push(await measure(n));
const command = `npx tsx bench/format3-text.ts --corpus ${values.corpus} --sizes ${values.sizes}${values.discard ? ' --discard' : ''}`;
const report = ['```', command, '```', '', `Load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end (shared machine).`, '', ...sections].join('\n');
process.stdout.write(`${report}\n`);
if (values.write) await writeDocSection('docs/BENCHMARKS.md', `bench/format3-text.ts${values.discard ? ' --discard' : ''}`, report);
