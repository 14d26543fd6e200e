/**
 * The site in headless Chromium: first visit to first result, repeat visit to first result, warm query
 * latency split into embed / search / render, and the app's query embedding against raw onnxruntime-web.
 *
 *   npx tsx bench/browser.ts [--rounds 40] [--repeats 5] [--dtypes q8,fp32] [--write]
 *
 * Builds the site (plus bench/browser-compare.html) into .cache/bench-site and serves it with
 * `vite preview`. --write puts the tables into docs/BENCHMARKS.md, between its markers.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { QUERIES } from './queries';
import type { CompareResult } from './browser-compare';
import { getModel, DEFAULT_MODEL_ID, MODELS, type Dtype } from '../src/core/models';
import { launchProfile, type Page, type Profile } from '../test/e2e/browser';
import { REPO_ROOT, startSite } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '40' },
    repeats: { type: 'string', default: '5' },
    dtypes: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const REPEATS = Number(values.repeats);
const DTYPES = (values.dtypes?.split(',') ?? Object.keys(getModel(DEFAULT_MODEL_ID).weights)) as Dtype[];


interface ShownTimings {
  queueMs: number;
  embedMs: number;
  searchMs: number;
  renderMs: number;
  totalMs: number;
}

const started = Date.now();
const loadBefore = loadavg()[0];

async function main(): Promise<void> {
  const site = await startSite(join(REPO_ROOT, '.cache', 'bench-site'), ['bench/browser-compare.html']);
  const profile = await launchProfile();
  // tsx compiles with keepNames, which wraps functions in __name(); the copies sent to the page need it too.
  await profile.context.addInitScript('globalThis.__name = (fn) => fn;');
  try {
    const visits = await measureVisits(profile, site.url);
    const warm = await measureWarmQueries(visits.page);
    const comparisons: CompareResult[] = [];
    for (const dtype of DTYPES) comparisons.push(await compareWithRawOrt(visits.page, site.url, dtype));
    const duel = await dtypeDuel(visits.page, site.url);
    const others = await measureOtherModels(visits.page, site.url);
    const report = formatReport(profile.version, visits, warm, comparisons, duel, others);
    console.log(report);
    if (values.write) {
      await writeSection(join(REPO_ROOT, 'docs', 'BENCHMARKS.md'), report);
      console.log('wrote docs/BENCHMARKS.md');
    }
  } finally {
    await profile.close();
    await site.close();
  }
}

/** Records, from the first script on, when the first results (keyword or final) reach the screen. */
const FIRST_RESULTS_PROBE = `
  window.addEventListener('papersift:results', (event) => {
    window.__firstResultsAt ??= performance.now();
    if (!event.detail.modelPending) window.__finalResultsAt ??= performance.now();
  });
`;

interface Visit {
  /** First results of any kind (keyword results while the model loads). */
  anyMs: number;
  /** First results ranked as asked (hybrid: model loaded). */
  finalMs: number;
}

async function visit(page: Page, url: string): Promise<Visit> {
  await page.goto(url);
  const handle = await page.waitForFunction(
    () => {
      const w = window as unknown as { __firstResultsAt?: number; __finalResultsAt?: number };
      return w.__finalResultsAt !== undefined && { anyMs: w.__firstResultsAt!, finalMs: w.__finalResultsAt };
    },
    undefined,
    { timeout: 300_000, polling: 20 },
  );
  return (await handle.jsonValue()) as Visit;
}

/** A fresh profile (nothing cached, empty IndexedDB), then visits of the same profile with new queries. */
async function measureVisits({ context, page }: Profile, siteUrl: string): Promise<{ first: Visit; repeats: Visit[]; page: Page }> {
  await context.addInitScript(FIRST_RESULTS_PROBE);
  const first = await visit(page, `${siteUrl}?q=${encodeURIComponent(QUERIES[0])}`);
  // Let the first visit finish storing the index before the next navigation.
  await page.waitForFunction(() => document.querySelector('papersift-app')?.getAttribute('data-status') === 'ready');
  await page.waitForTimeout(1000);
  const repeats: Visit[] = [];
  for (let i = 1; i <= REPEATS; i++) {
    repeats.push(await visit(page, `${siteUrl}?q=${encodeURIComponent(QUERIES[i % QUERIES.length])}`));
    const info = await page.evaluate(() => window.__papersift.stats());
    if (info.source !== 'indexeddb' || info.counters.documentsEmbedded !== 0) {
      throw new Error(`A repeat visit did not reuse the stored index: ${JSON.stringify(info)}`);
    }
  }
  return { first, repeats, page };
}

/** Types nothing: submits the search form in the page and waits for the cards, as Enter would. */
async function measureWarmQueries(page: Page): Promise<ShownTimings[]> {
  return page.evaluate(
    async ({ queries, rounds, warmup }) => {
      const app = document.querySelector('papersift-app')!;
      const input = app.shadowRoot!.querySelector('ps-search-bar')!.shadowRoot!.querySelector<HTMLInputElement>('input[type="search"]')!;
      const out: ShownTimings[] = [];
      for (let i = 0; i < rounds + warmup; i++) {
        const text = queries[i % queries.length]; // the app caches nothing, so repeats cost a full search
        const shown = new Promise<ShownTimings>((resolve) =>
          window.addEventListener('papersift:results', (e) => resolve((e as CustomEvent).detail.timings), { once: true }),
        );
        const t0 = performance.now();
        input.value = text;
        input.form!.requestSubmit();
        const timings = await shown;
        // Until the frame with the cards has been produced (two animation frames), as a person sees it.
        await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
        const totalMs = performance.now() - t0;
        // The first passes are warm-up: JIT, allocator, and the ORT wasm's tier-up to optimised code, which
        // runs in the background for seconds after a page load on 2 cores.
        if (i >= warmup) out.push({ ...timings, totalMs });
        // A pause like a person's between queries, so painting one answer never overlaps the next search.
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
      return out;
    },
    { queries: QUERIES, rounds: ROUNDS, warmup: 3 * QUERIES.length },
  );
}

async function compareWithRawOrt(page: Page, siteUrl: string, dtype: Dtype): Promise<CompareResult> {
  const compare = await page.context().newPage();
  await compare.goto(`${siteUrl}bench/browser-compare.html`);
  const result = await compare.evaluate(
    ({ texts, rounds, dtype }) => window.__compare({ texts, rounds, dtype }),
    { texts: QUERIES, rounds: Math.max(1, Math.round(ROUNDS / QUERIES.length)), dtype },
  );
  await compare.close();
  return result;
}

async function dtypeDuel(page: Page, siteUrl: string): Promise<Record<string, number[]>> {
  const duel = await page.context().newPage();
  await duel.goto(`${siteUrl}bench/browser-compare.html`);
  const ms = await duel.evaluate((options) => window.__dtypeDuel(options), { texts: QUERIES, rounds: Math.max(2, Math.round(ROUNDS / QUERIES.length)) });
  await duel.close();
  return ms;
}

interface OtherModel {
  modelId: string;
  dtype: Dtype;
  loadMs: number;
  ms: number[];
}

/** Every other registered model and dtype, with raw onnxruntime-web: what switching the site to it would cost. */
async function measureOtherModels(page: Page, siteUrl: string): Promise<OtherModel[]> {
  const out: OtherModel[] = [];
  for (const spec of Object.values(MODELS).filter((m) => m.id !== DEFAULT_MODEL_ID)) {
    for (const dtype of Object.keys(spec.weights) as Dtype[]) {
      const raw = await page.context().newPage();
      await raw.goto(`${siteUrl}bench/browser-compare.html`);
      const result = await raw.evaluate((options) => window.__rawOnly(options), {
        texts: QUERIES,
        rounds: Math.max(1, Math.round(ROUNDS / QUERIES.length)),
        modelId: spec.id,
        dtype,
      });
      await raw.close();
      out.push({ modelId: spec.id, dtype, ...result });
    }
  }
  return out;
}

const START_MARK = '<!-- bench/browser.ts: generated from here -->';
const END_MARK = '<!-- bench/browser.ts: generated up to here -->';

/** Replaces the generated part of the file and keeps what people wrote around it. */
async function writeSection(path: string, report: string): Promise<void> {
  const old = await readFile(path, 'utf8').catch(() => '');
  const start = old.indexOf(START_MARK);
  const end = old.indexOf(END_MARK);
  const generated = `${START_MARK}\n${report.trimEnd()}\n${END_MARK}`;
  const next = start >= 0 && end > start ? old.slice(0, start) + generated + old.slice(end + END_MARK.length) : `${generated}\n${old}`;
  await writeFile(path, next.endsWith('\n') ? next : `${next}\n`);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function median(values: number[]): number {
  return percentile(values, 50);
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms >= 10 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;
}

function formatReport(
  version: string,
  visits: { first: Visit; repeats: Visit[] },
  warm: ShownTimings[],
  comparisons: CompareResult[],
  duel: Record<string, number[]>,
  others: OtherModel[],
): string {
  const repeatAny = visits.repeats.map((v) => v.anyMs);
  const repeatFinal = visits.repeats.map((v) => v.finalMs);
  const range = (values: number[]) => `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
  const spec = getModel(DEFAULT_MODEL_ID);
  const split = (key: keyof ShownTimings) => `${fmt(percentile(warm.map((t) => t[key]), 50))} / ${fmt(percentile(warm.map((t) => t[key]), 95))}`;
  const lines = [
    '```',
    ['npx tsx bench/browser.ts', ...process.argv.slice(2)].join(' '),
    '```',
    '',
    `Headless Chromium ${version} (Debian, \`--disable-gpu\`), WASM backend, ${cpus().length} cores, one ORT thread; site built`,
    `by \`vite build\` and served by \`vite preview\` on localhost. Model ${spec.id}, index dtype as shipped. Load average`,
    `when the run began: ${loadBefore.toFixed(1)} (other work shares this machine; figures are medians for that reason).`,
    '',
    'Navigation start → results on screen, the query in the URL. "Keyword" is the BM25 answer the engine gives while',
    'the model loads; "hybrid" is the final answer (model loaded, query embedded).',
    '',
    '| Visit | First results (keyword) | Hybrid results | Target |',
    '|---|---|---|---|',
    `| First (empty profile: model, ORT wasm and index from the local server) | ${fmt(visits.first.anyMs)} | ${fmt(visits.first.finalMs)} | — |`,
    `| Repeat, median (min–max) of ${visits.repeats.length}, each a new query (index from IndexedDB, model and wasm from Cache Storage) | ${range(repeatAny)} | ${range(repeatFinal)} | ≤ 1.5 s |`,
    '',
    `Warm queries (${warm.length}, submitted in the page 150 ms after the previous answer was painted), p50 / p95:`,
    '',
    '| Query embed | Search (hybrid: BM25 + vectors, full dims) | Render (Lit update) | Queue | End to end (submit → frame with the cards) | Target |',
    '|---|---|---|---|---|---|',
    `| ${split('embedMs')} | ${split('searchMs')} | ${split('renderMs')} | ${split('queueMs')} | ${split('totalMs')} | p50 ≤ 50 ms |`,
    '',
    'Query embedding, the app worker against raw onnxruntime-web in another worker of the same page (same ORT build,',
    'wasm, model file and tokenizer; each timed inside its worker; the two take turns per query):',
    '',
    '| dtype | App worker p50 / p95 | Raw onnxruntime-web p50 / p95 | Raw ÷ app (p50) | App round trip p50 | Lowest cosine app vs raw | Target |',
    '|---|---|---|---|---|---|---|',
    ...comparisons.map(
      (c) =>
        `| ${c.dtype} | ${fmt(percentile(c.appMs, 50))} / ${fmt(percentile(c.appMs, 95))} | ${fmt(percentile(c.rawMs, 50))} / ${fmt(percentile(c.rawMs, 95))} | ${(median(c.rawMs) / median(c.appMs)).toFixed(2)} | ${fmt(median(c.appRoundTripMs))} | ${c.minCosine.toFixed(6)} | ≥ 0.9 |`,
    ),
    '',
    `Choosing the dtype: the app's worker embeds each query with every ${spec.id} dtype in turn (same page, same moment):`,
    '',
    '| dtype | Weights | Query embed p50 / p95 |',
    '|---|---|---|',
    ...Object.entries(duel).map(
      ([dtype, ms]) => `| ${dtype} | ${Math.round(spec.weights[dtype as Dtype]!.bytes / 1e6)} MB | ${fmt(percentile(ms, 50))} / ${fmt(percentile(ms, 95))} |`,
    ),
    '',
    'Other registered models, raw onnxruntime-web in the same kind of worker (the app adds what the table above shows):',
    '',
    '| Model | dtype | Load (tokenizer + session) | Query embed p50 / p95 |',
    '|---|---|---|---|',
    ...others.map((o) => `| ${o.modelId} | ${o.dtype} | ${fmt(o.loadMs)} | ${fmt(percentile(o.ms, 50))} / ${fmt(percentile(o.ms, 95))} |`),
    '',
    `(Run took ${Math.round((Date.now() - started) / 1000)} s; load average at the end ${loadavg()[0].toFixed(1)}.)`,
    '',
  ];
  return lines.join('\n');
}

await main();
