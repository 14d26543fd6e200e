/**
 * <ps-paper-map> in headless Chromium: frame intervals while panning (pointer drag) and zooming (wheel)
 * at 10k and 1k points, with and without the cached layer, against an empty rAF loop in the same page.
 *
 *   npx tsx bench/map.ts [--sizes 10000,1000] [--seconds 3] [--dpr 1]
 *
 * Builds bench/map.html alone (no app, no public/) into .cache/bench-map and serves it with
 * `vite preview`. Prints a Markdown report; also checks the tooltip shows a hostile title as text and
 * that a click on a point opens that paper.
 */
import { cpus, loadavg } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build, preview } from 'vite';
import { chromium, type Page } from 'playwright-core';
import type { FrameRecord, MountOptions } from './map-frame';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/e2e/browser';
import { REPO_ROOT } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,1000' },
    seconds: { type: 'string', default: '3' },
    dpr: { type: 'string', default: '1' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const SECONDS = Number(values.seconds);
const DPR = Number(values.dpr);
const OUT = join(REPO_ROOT, '.cache', 'bench-map');

interface Run {
  n: number;
  cache: boolean;
  pan: FrameRecord;
  strokes: FrameRecord;
  zoom: FrameRecord;
  hover: { moveUs: number; hitUs: number };
  work: { pan: number[]; zoom: number[] };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  const common = { root: REPO_ROOT, configFile: false as const, logLevel: 'warn' as const, publicDir: false as const };
  await build({ ...common, build: { outDir: OUT, emptyOutDir: true, target: 'es2022', rollupOptions: { input: join(REPO_ROOT, 'bench/map.html') } } });
  const server = await preview({ ...common, build: { outDir: OUT }, preview: { port: 0, host: '127.0.0.1' } });
  const url = `${server.resolvedUrls!.local[0]}bench/map.html`;
  const dir = await mkdtemp(join(tmpdir(), 'papersift-map-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 760 },
    deviceScaleFactor: DPR,
  });
  // tsx compiles with keepNames, which wraps functions in __name(); the copies sent to the page need it too.
  await context.addInitScript('globalThis.__name = (fn) => fn;');
  const version = context.browser()?.version() ?? 'unknown';
  const errors: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await checkBehaviour(page);
    const baseline = await recordIdle(page);
    const runs: Run[] = [];
    for (const n of SIZES) {
      for (const cache of [false, true]) {
        await page.reload();
        runs.push(await measure(page, { n, imported: Math.round(n / 10), highlighted: 10, cacheLayer: cache }));
        console.error(`done n=${n} cache=${cache}`);
      }
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    console.log(report(version, loadBefore, baseline, runs));
  } finally {
    await context.close();
    await rm(dir, { recursive: true, force: true });
    await new Promise<void>((done) => server.httpServer.close(() => done()));
  }
}

/** The test hooks do what they say: counts, a hostile title shown as text, click → open-paper. */
async function checkBehaviour(page: Page): Promise<void> {
  const mounted = await page.evaluate(() => window.__map.mount({ n: 2000, imported: 200, highlighted: 10, cacheLayer: true }));
  const map = page.locator('ps-paper-map');
  if ((await map.getAttribute('data-count')) !== '2000' || (await map.getAttribute('data-highlighted')) !== '10') throw new Error('data-count / data-highlighted wrong');
  const at = await map.evaluate((el: import('../src/ui/paper-map').PaperMap) => el.pointAt('p0'));
  if (!at) throw new Error('pointAt(p0) gave nothing');
  await page.mouse.move(at.x, at.y);
  const tip = page.locator('[data-map-tooltip]');
  await tip.waitFor({ state: 'visible' });
  const text = await tip.textContent();
  const injected = await tip.evaluate((el) => el.querySelectorAll('img, b').length);
  if (!text?.includes('<img src=x onerror=') || injected > 0 || (await page.evaluate(() => 'xss' in window || '__xss' in window))) {
    throw new Error(`tooltip did not render the title as text: ${text}`);
  }
  const opened = page.evaluate(
    () => new Promise<string>((resolve) => document.addEventListener('open-paper', (e) => resolve((e as CustomEvent).detail.paperId), { once: true })),
  );
  const first = await map.evaluate((el: import('../src/ui/paper-map').PaperMap, id) => el.pointAt(id), mounted.ids[0]);
  await page.mouse.click(first!.x, first!.y);
  const id = await opened;
  if (id !== mounted.ids[0]) throw new Error(`click opened ${id}, expected ${mounted.ids[0]}`);
}

async function recordIdle(page: Page): Promise<FrameRecord> {
  await page.evaluate(() => window.__map.record());
  await page.waitForTimeout(SECONDS * 1000);
  return page.evaluate(() => window.__map.stop());
}

async function measure(page: Page, options: MountOptions): Promise<Run> {
  await page.evaluate((o) => window.__map.mount(o), options);
  await page.waitForTimeout(500);
  const box = (await page.locator('ps-paper-map canvas').boundingBox())!;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;

  // Pan: hold the button and trace a figure of eight (±320 × ±200 px) as fast as input is delivered.
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  await page.evaluate(() => window.__map.record());
  const t0 = Date.now();
  while (Date.now() - t0 < SECONDS * 1000) {
    const t = (Date.now() - t0) / 1000;
    await page.mouse.move(cx + 320 * Math.sin(t * 2.1), cy + 200 * Math.sin(t * 4.2));
  }
  const pan = await page.evaluate(() => window.__map.stop());
  await page.mouse.up();
  await page.waitForTimeout(300);

  // Long strokes: drag 600 px over 0.4 s, lift, drag back the other way: the view travels past the
  // layer's margin (400 px here) and back over the data, so these include the repaints panning costs.
  await page.evaluate(() => window.__map.record());
  const ts = Date.now();
  for (let stroke = 0; Date.now() - ts < SECONDS * 1000; stroke++) {
    const dir = stroke % 2 ? 1 : -1;
    await page.mouse.move(cx - 300 * dir, cy);
    await page.mouse.down();
    const t = Date.now();
    while (Date.now() - t < 400) await page.mouse.move(cx - 300 * dir + 600 * dir * ((Date.now() - t) / 400), cy + 40 * Math.sin((Date.now() - t) / 60));
    await page.mouse.up();
  }
  const strokes = await page.evaluate(() => window.__map.stop());
  await page.waitForTimeout(300);

  // Zoom: bursts of eight wheel notches 40 ms apart, in then out, with 250 ms pauses (the layer settles).
  await page.evaluate(() => window.__map.record());
  const t1 = Date.now();
  for (let burst = 0; Date.now() - t1 < SECONDS * 1000; burst++) {
    await page.mouse.move(cx + (burst % 3) * 90 - 90, cy + (burst % 2) * 60 - 30);
    for (let i = 0; i < 8; i++) {
      await page.mouse.wheel(0, burst % 2 ? 120 : -120);
      await page.waitForTimeout(40);
    }
    await page.waitForTimeout(250);
  }
  const zoom = await page.evaluate(() => window.__map.stop());
  const hover = await page.evaluate(() => window.__map.hoverCost(5000));
  await page.evaluate(() => window.__map.frameWork('pan', 60)); // warm-up
  const work = {
    pan: await page.evaluate(() => window.__map.frameWork('pan', 300)),
    zoom: await page.evaluate(() => window.__map.frameWork('zoom', 160)),
  };
  return { n: options.n, cache: options.cacheLayer, pan, strokes, zoom, hover, work };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const f1 = (ms: number) => (Number.isNaN(ms) ? '—' : ms.toFixed(1));

function report(version: string, load: number, baseline: FrameRecord, runs: Run[]): string {
  const base50 = percentile(baseline.intervals, 50);
  const row = (name: string, r: Run, rec: FrameRecord) => {
    const p50 = percentile(rec.intervals, 50);
    const p95 = percentile(rec.intervals, 95);
    const slow = rec.intervals.filter((ms) => ms > 1000 / 30).length;
    return `| ${r.n.toLocaleString('en')} | ${r.cache ? 'cached layer' : 'every point, every frame'} | ${name} | ${rec.intervals.length} | ${f1(p50)} (${(p50 / base50).toFixed(2)}×) | ${f1(p95)} | ${f1(Math.max(...rec.intervals))} | ${((100 * slow) / rec.intervals.length).toFixed(1)}% | ${f1(percentile(rec.drawMs, 50))} / ${f1(percentile(rec.drawMs, 95))} / ${f1(Math.max(...rec.drawMs))} | ${rec.layerPaints} |`;
  };
  return [
    '```',
    ['npx tsx bench/map.ts', ...process.argv.slice(2)].join(' '),
    '```',
    '',
    `Headless Chromium ${version} (Debian, \`--headless --disable-gpu\`: software rasterising and compositing), ${cpus().length} cores,`,
    `devicePixelRatio ${DPR}, map 1000 × 640 CSS px. Load average when the run began: ${load.toFixed(1)}.`,
    '',
    `Baseline, empty rAF loop in the same page, map idle: frame interval p50 ${f1(base50)} ms, p95 ${f1(percentile(baseline.intervals, 95))} ms, max ${f1(Math.max(...baseline.intervals))} ms (${baseline.intervals.length} frames).`,
    '',
    '| points | drawing | interaction | frames | interval p50 ms (× baseline) | p95 ms | max ms | frames > 33 ms | map draw p50 / p95 / max ms | layer repaints |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...runs.flatMap((r) => [row(`pan: figure of eight`, r, r.pan), row(`pan: long strokes`, r, r.strokes), row(`zoom: wheel bursts`, r, r.zoom)]),
    '',
    'Work per frame, synchronous (move the view, draw, read one pixel back so the canvas rasterises now): ms, p50 / p95 / max.',
    '',
    '| points | drawing | pan (300 frames) | zoom (160 frames, bursts of 8) |',
    '|---:|---|---:|---:|',
    ...runs.map((r) => {
      const s = (v: number[]) => `${f1(percentile(v, 50))} / ${f1(percentile(v, 95))} / ${f1(Math.max(...v))}`;
      return `| ${r.n.toLocaleString('en')} | ${r.cache ? 'cached layer' : 'every point, every frame'} | ${s(r.work.pan)} | ${s(r.work.zoom)} |`;
    }),
    '',
    'Hover, µs per pointer move (5,000 synthetic pointermove events at random spots: whole handler / grid hit test alone):',
    ...runs.filter((r) => r.cache).map((r) => `${r.n.toLocaleString('en')} points ${r.hover.moveUs.toFixed(1)} / ${r.hover.hitUs.toFixed(2)}`),
  ].join('\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
