/**
 * WebGPU against WASM in headless Chromium, with the app's own Embedder in one module worker: batched
 * corpus embedding (seed papers, several batch sizes) and single-query embedding, on WASM q8, WASM fp32
 * and WebGPU fp32, interleaved so that all three see the same machine load.
 *
 *   npx tsx bench/browser-webgpu.ts [--papers 2,16,32] [--batches 1,8,32] [--webgpu-papers 2] [--webgpu-batches 2]
 *       [--rounds 1] [--queries 5] [--query-rounds 1] [--write]
 *
 * Batch sizes above a row's paper count become that count. WebGPU runs only the rows named by --webgpu-papers and
 * --webgpu-batches: on SwiftShader one abstract takes minutes.
 *
 * Builds the site plus bench/browser-webgpu.html into .cache/bench-webgpu, serves it with `vite preview`,
 * and starts Chromium with --enable-unsafe-webgpu. Here that gives SwiftShader, a CPU emulation of a GPU:
 * its figures say what a browser without a GPU would get from WebGPU, not what a GPU would give.
 * --write puts the tables into docs/BENCHMARKS.md, between its markers.
 */
import { readFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QUERIES } from './queries';
import { DEFAULT_MODEL_ID, getModel, paperText, type Dtype } from '../src/core/models';
import type { Paper } from '../src/core/types';
import { launchProfile, WEBGPU_ARGS } from '../test/e2e/browser';
import { REPO_ROOT, startSite } from '../test/e2e/site-server';
import type { BenchReply, BenchRequest } from './browser-webgpu.worker';
import { writeDocSection } from './doc-section';

const { values } = parseArgs({
  options: {
    papers: { type: 'string', default: '2,16,32' },
    batches: { type: 'string', default: '1,8,32' },
    'webgpu-papers': { type: 'string', default: '2' },
    'webgpu-batches': { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    queries: { type: 'string', default: '5' },
    'query-rounds': { type: 'string', default: '1' },
    write: { type: 'boolean', default: false },
  },
});
const PAPER_COUNTS = values.papers.split(',').map(Number);
const BATCHES = values.batches.split(',').map(Number);
const WEBGPU_PAPERS = values['webgpu-papers'].split(',').map(Number);
const WEBGPU_BATCHES = values['webgpu-batches'].split(',').map(Number);
const ROUNDS = Number(values.rounds);
const TEXTS = QUERIES.slice(0, Number(values.queries));
const QUERY_ROUNDS = Number(values['query-rounds']);
const COMMAND = `npx tsx bench/browser-webgpu.ts ${process.argv.slice(2).join(' ')}`.trim();

interface Contender {
  key: string;
  label: string;
  dtype: Dtype;
  backend: 'wasm' | 'webgpu';
}

const CONTENDERS: Contender[] = [
  { key: 'wasm-q8', label: 'WASM q8', dtype: 'q8', backend: 'wasm' },
  { key: 'wasm-fp32', label: 'WASM fp32', dtype: 'fp32', backend: 'wasm' },
  { key: 'webgpu-fp32', label: 'WebGPU fp32', dtype: 'fp32', backend: 'webgpu' },
];

type Adapter = Extract<BenchReply, { adapter: unknown }>['adapter'];

interface CorpusRow {
  papers: number;
  batchSize: number;
  /** Milliseconds per round, per contender key (absent: not run, e.g. q8 batches). */
  ms: Record<string, number[]>;
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  const site = await startSite(join(REPO_ROOT, '.cache', 'bench-webgpu'), ['bench/browser-webgpu.html']);
  const profile = await launchProfile(undefined, { extraArgs: WEBGPU_ARGS });
  await profile.context.addInitScript('globalThis.__name = (fn) => fn;'); // tsx's keepNames wrapper
  try {
    const page = profile.page;
    await page.goto(`${site.url}bench/browser-webgpu.html`);
    const ask = (request: BenchRequest) => page.evaluate((r) => window.__bench(r), request) as Promise<Record<string, unknown>>;
    const adapter = (await ask({ adapter: true })).adapter as Adapter;
    if (!adapter.found) throw new Error('No WebGPU adapter in this Chromium (is --enable-unsafe-webgpu honoured?)');
    console.log('adapter', adapter);

    const loadMs: Record<string, number> = {};
    for (const c of CONTENDERS) {
      loadMs[c.key] = (await ask({ load: { key: c.key, modelId: DEFAULT_MODEL_ID, dtype: c.dtype, backend: c.backend, siteRoot: site.url } })).ms as number;
      console.log(`loaded ${c.label} in ${Math.round(loadMs[c.key])} ms`);
    }

    const papers = JSON.parse(await readFile(join(REPO_ROOT, 'public', 'artifacts', 'papers.json'), 'utf8')) as Paper[];
    // Warm-up: the first runs of each session pay for shader compilation (WebGPU) and the wasm's tier-up.
    // Short texts: on SwiftShader a full abstract would take minutes.
    for (const c of CONTENDERS) {
      const first = (await ask({ query: { key: c.key, text: QUERIES[0] } })).ms as number;
      const second = (await ask({ query: { key: c.key, text: QUERIES[0] } })).ms as number;
      const docs = (await ask({ documents: { key: c.key, texts: QUERIES.slice(1, 3), batchSize: 2 } })).ms as number;
      console.log(`warm-up ${c.label}: first query ${first.toFixed(0)} ms, second ${second.toFixed(0)} ms, 2 short texts ${docs.toFixed(0)} ms`);
    }

    const corpus: CorpusRow[] = [];
    for (const count of PAPER_COUNTS) {
      const texts = spread(papers, count).map(paperText);
      for (const batchSize of [...new Set(BATCHES.map((b) => Math.min(b, count)))]) {
        const row: CorpusRow = { papers: count, batchSize, ms: {} };
        // q8 runs one text at a time whatever the batch size (dynamic quantization), so it is timed once per count.
        const contenders = CONTENDERS.filter(
          (c) =>
            (c.dtype !== 'q8' || batchSize === Math.min(BATCHES[0], count)) &&
            (c.backend !== 'webgpu' || (WEBGPU_PAPERS.includes(count) && WEBGPU_BATCHES.includes(batchSize))),
        );
        for (let round = 0; round < ROUNDS; round++) {
          for (const c of rotate(contenders, round)) {
            const ms = (await ask({ documents: { key: c.key, texts, batchSize } })).ms as number;
            (row.ms[c.key] ??= []).push(ms);
            console.log(`${count} papers, batch ${batchSize}, ${c.label}: ${(count / (ms / 1000)).toFixed(2)} papers/s`);
          }
        }
        corpus.push(row);
      }
    }

    const queryMs: Record<string, number[]> = Object.fromEntries(CONTENDERS.map((c) => [c.key, []]));
    let minCosine = 1;
    for (let round = 0; round < QUERY_ROUNDS; round++) {
      for (const [i, text] of TEXTS.entries()) {
        const vectors: Record<string, number[]> = {};
        for (const c of rotate(CONTENDERS, round + i)) {
          const reply = await ask({ query: { key: c.key, text } });
          queryMs[c.key].push(reply.ms as number);
          vectors[c.key] = reply.vectors as number[];
        }
        // Same fp32 weights on both backends: the vectors must agree, or the WebGPU figures mean nothing.
        minCosine = Math.min(minCosine, dot(vectors['webgpu-fp32'], vectors['wasm-fp32']));
      }
      console.log(`query round ${round + 1}: medians ${CONTENDERS.map((c) => `${c.label} ${median(queryMs[c.key]).toFixed(0)} ms`).join(', ')}`);
    }

    const report = formatReport({
      chromium: profile.version,
      adapter,
      loadMs,
      corpus,
      queryMs,
      minCosine,
      load: [loadBefore, loadavg()[0]],
    });
    console.log(report);
    if (values.write) {
      await writeDocSection(join(REPO_ROOT, 'docs', 'BENCHMARKS.md'), 'bench/browser-webgpu.ts', report);
      console.log('wrote docs/BENCHMARKS.md');
    }
  } finally {
    await profile.close();
    await site.close();
  }
}

/** `count` papers evenly spread over the corpus (its order groups topics). */
function spread<T>(items: T[], count: number): T[] {
  return Array.from({ length: Math.min(count, items.length) }, (_, i) => items[Math.floor((i * items.length) / count)]);
}

/** Who goes first changes every round, so no contender always runs right after another. */
function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Two decimals, or two significant digits for the tiny rates SwiftShader gives. */
function rate2(x: number): string {
  return x >= 0.1 ? x.toFixed(2) : x.toPrecision(2);
}

function dot(a: number[], b: number[]): number {
  return a.reduce((sum, x, i) => sum + x * b[i], 0);
}

function formatReport(r: {
  chromium: string;
  adapter: Adapter;
  loadMs: Record<string, number>;
  corpus: CorpusRow[];
  queryMs: Record<string, number[]>;
  minCosine: number;
  load: [number, number];
}): string {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const spec = getModel(DEFAULT_MODEL_ID);
  const adapterName = [r.adapter.vendor, r.adapter.architecture, r.adapter.description].filter(Boolean).join(' / ') || 'unnamed';
  const lines = [
    `Command: \`${COMMAND}\``,
    '',
    `Machine: ${cpus().length} cores (${cpu}), Chromium ${r.chromium} headless with --enable-unsafe-webgpu, ` +
      `load average ${r.load[0].toFixed(1)} at start, ${r.load[1].toFixed(1)} at end. WebGPU adapter: ${adapterName}, ` +
      `isFallbackAdapter ${String(r.adapter.isFallbackAdapter)}. **This is SwiftShader, a CPU emulation of a GPU, not a GPU:** ` +
      'no GPU machine was lent to this task, so no real-GPU figures exist here.',
    '',
    `Model ${spec.id}; the app's Embedder (length-sorted batches, CLS pooling) in one module worker, one WASM thread; ` +
      `each contender warmed up first; contenders take turns, first one rotating each round; ` +
      `${ROUNDS > 1 ? `medians of ${ROUNDS} rounds (min–max in brackets)` : 'one round'}. ` +
      'Papers: title + ". " + abstract, evenly spread over the 364 seed papers.',
    '',
    '### Batched corpus embedding (papers per second)',
    '',
    `| papers | texts per run | ${CONTENDERS.map((c) => c.label).join(' | ')} | WebGPU / WASM fp32 |`,
    `|---|---|${CONTENDERS.map(() => '---|').join('')}---|`,
  ];
  for (const row of r.corpus) {
    const rate = (key: string) => {
      const ms = row.ms[key];
      if (!ms) return '—';
      const rates = ms.map((m) => row.papers / (m / 1000));
      return rates.length > 1 ? `${rate2(median(rates))} (${rate2(Math.min(...rates))}–${rate2(Math.max(...rates))})` : rate2(rates[0]);
    };
    const ratio = row.ms['webgpu-fp32'] ? rate2(median(row.ms['wasm-fp32']) / median(row.ms['webgpu-fp32'])) : '—';
    lines.push(`| ${row.papers} | ${row.batchSize} | ${CONTENDERS.map((c) => rate(c.key)).join(' | ')} | ${ratio} |`);
  }
  lines.push(
    '',
    'q8 is timed at one batch size only: its graph quantises activations per run, so the Embedder runs it one text at a time whatever the batch size.',
    '',
    '### One query (milliseconds per query)',
    '',
    `| | ${CONTENDERS.map((c) => c.label).join(' | ')} |`,
    `|---|${CONTENDERS.map(() => '---|').join('')}`,
    `| median | ${CONTENDERS.map((c) => median(r.queryMs[c.key]).toFixed(0)).join(' | ')} |`,
    `| min–max | ${CONTENDERS.map((c) => `${Math.min(...r.queryMs[c.key]).toFixed(0)}–${Math.max(...r.queryMs[c.key]).toFixed(0)}`).join(' | ')} |`,
    `| model load (ms, once, in this order) | ${CONTENDERS.map((c) => r.loadMs[c.key].toFixed(0)).join(' | ')} |`,
    '',
    'Model loads include the download from the local server; WebGPU loads the fp32 file WASM fp32 has just fetched, from the HTTP cache. ' +
      `${TEXTS.length} queries × ${QUERY_ROUNDS} round${QUERY_ROUNDS > 1 ? 's' : ''} (the first of bench/queries.ts), query prefix included. Lowest cosine between WebGPU fp32 and WASM fp32 ` +
      `vectors of the same query: ${r.minCosine.toFixed(6)}.`,
  );
  return lines.join('\n');
}

await main();
