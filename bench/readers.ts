/**
 * How fast the paper readers go, as ratios to a floor timed in the same process: JSON.parse of each line
 * (what any JSON-lines reader must at least do). Two inputs:
 *   - the 2,000-record arXiv sample (../shared/corpora), half its records carrying LaTeX to convert;
 *   - generated JSON lines without LaTeX (--mb megabytes), streamed from disk with the papers dropped as
 *     they come; what stays on the heap is the duplicate check's memory (ids and title hashes), not the file.
 *
 *   npx tsx bench/readers.ts [--rounds 3] [--mb 64]
 *
 * Wall time of this process on a shared machine; rounds interleave the contenders. Tables go to stdout.
 */
import '../src/cli/node-env';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { streamPaperPath } from '../src/cli/paper-files';
import { REPO_ROOT } from '../src/cli/node-env';
import { PaperDeduper, readPaperFile } from '../src/core/sources';
import { hasLatex } from '../src/core/sources/latex';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, mb: { type: 'string', default: '64' } } });
const rounds = Number(values.rounds);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

const sample = readFileSync(join(REPO_ROOT, '..', 'shared', 'corpora', 'arxiv-oai-sample.jsonl'));
const lines = sample.toString('utf8').split('\n').filter(Boolean);
const withLatex = lines.filter((l) => {
  const r = JSON.parse(l);
  return hasLatex(r.title) || hasLatex(r.abstract);
}).length;
const floor: number[] = [];
const reader: number[] = [];
for (let round = 0; round < rounds; round++) {
  floor.push(time(() => lines.forEach((l) => JSON.parse(l))));
  reader.push(time(() => readPaperFile(new Uint8Array(sample), 'sample.jsonl')));
}
const perSecond = (ms: number) => ((lines.length / ms) * 1000).toFixed(0);
console.log(`### arXiv sample: ${lines.length} records, ${withLatex} with LaTeX in title or abstract (${rounds} rounds, medians)\n`);
console.log('| contender | records/s | time vs JSON.parse |');
console.log('|---|---|---|');
console.log(`| JSON.parse of each line (floor) | ${perSecond(median(floor))} | 1.0 |`);
console.log(`| readPaperFile (decode, JSON, arXiv fields, LaTeX, checks, dedupe) | ${perSecond(median(reader))} | ${(median(reader) / median(floor)).toFixed(1)} |`);

// A large file without LaTeX, streamed from disk with papers dropped as they come.
const dir = join(REPO_ROOT, '.cache', 'bench-readers');
mkdirSync(dir, { recursive: true });
const path = join(dir, 'plain.jsonl');
const target = Number(values.mb) * 1024 * 1024;
const chunk: string[] = [];
let bytes = 0;
for (let i = 0; bytes < target; i++) {
  const line = JSON.stringify({ id: `r${i}`, title: `A plain title number ${i} about retrieval`, abstract: `We study plain text number ${i}. `.repeat(25), authors: ['Ada Lovelace', 'Alan Turing'], date: '2024-05-01' });
  chunk.push(line);
  bytes += line.length + 1;
}
writeFileSync(path, `${chunk.join('\n')}\n`);
const count = chunk.length;
chunk.length = 0;
const text = readFileSync(path, 'utf8');
const floorTimes: number[] = [];
const streamTimes: number[] = [];
let streamed = 0;
for (let round = 0; round < rounds; round++) {
  floorTimes.push(time(() => {
    for (const line of text.split('\n')) if (line) JSON.parse(line);
  }));
  const t = performance.now();
  streamed = (await streamPaperPath(path)).count;
  streamTimes.push(performance.now() - t);
}
// What a read keeps besides the papers: the duplicate check (ids and title hashes), measured with it held.
global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const deduper = new PaperDeduper();
await streamPaperPath(path, { deduper });
global.gc?.();
const retained = process.memoryUsage().heapUsed - heapBefore;
const floorMs = median(floorTimes);
const streamMs = median(streamTimes);
console.log(`\n### ${values.mb} MB of JSON lines without LaTeX: ${count} records, streamed from disk in 1 MB chunks, papers dropped as read (${rounds} rounds, medians)\n`);
console.log('| contender | records/s | time vs JSON.parse | heap retained after the read (GC run) |');
console.log('|---|---|---|---|');
console.log(`| JSON.parse of each line, file in memory (floor) | ${((count / floorMs) * 1000).toFixed(0)} | 1.0 | — |`);
console.log(`| streamPaperPath | ${((streamed / streamMs) * 1000).toFixed(0)} | ${(streamMs / floorMs).toFixed(1)} | ${(retained / 1e6).toFixed(1)} MB, ${(retained / deduper.size).toFixed(0)} bytes per record (the duplicate check's ids and title hashes) |`);
