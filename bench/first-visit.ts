/**
 * First visits only (a fresh profile each), of one or more already built sites, taking turns: when the first
 * keyword and the first hybrid result showed, the bytes fetched before each (the network log, model files and
 * ORT wasm left out, as bench/scale.ts counts them), whether the first answer was keyword-only, and the worker's
 * start-up phases. For the race between a big format-3 set's keyword side and the model (docs/BENCHMARKS.md,
 * "The site at scale"), without bench/scale.ts's build, repeats, searches and recall.
 *
 *   npx tsx bench/first-visit.ts --site LABEL=BUILT_DIR [--site LABEL=BUILT_DIR …] [--visits 4] [--files] [--slow-keyword MS]
 *
 * Build a site with `PAPERSIFT_ARTIFACTS=DIR npx vite build --outDir DIR2` (or let bench/scale.ts build it under
 * .cache/scale/sites/). --files lists, for each visit, the set's files in the order they finished. --slow-keyword MS
 * holds the keyword side's two biggest eager files (catalog, field lengths) back by MS: the model then wins the
 * race, as it did on an idle machine.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { QUERIES } from './queries';
import { launchProfile } from '../test/e2e/browser';
import { startStaticHost, type StaticHost } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    site: { type: 'string', multiple: true, default: [] },
    visits: { type: 'string', default: '4' },
    files: { type: 'boolean', default: false },
    'slow-keyword': { type: 'string', default: '0' },
  },
});
const SITES = values.site.map((spec) => {
  const at = spec.indexOf('=');
  return { label: spec.slice(0, at), dir: spec.slice(at + 1) };
});
const VISITS = Number(values.visits);
const EXCLUDED = /\/(models|ort)\//;
/** --slow-keyword MS: the keyword side's two biggest eager files answered MS later, to let the model win the race. */
const SLOW_KEYWORD = Number(values['slow-keyword']);

interface Visit {
  keywordMs: number;
  hybridMs: number;
  keywordBytes: number;
  hybridBytes: number;
  keywordOnlyFirst: boolean;
  phases: Record<string, number>;
  files: { path: string; endMs: number; bytes: number }[];
}

const PROBE = `
  window.addEventListener('papersift:results', (event) => {
    if (window.__keywordAt === undefined) { window.__keywordAt = performance.now(); window.__firstPending = event.detail.modelPending; window.__mark('keyword'); }
    if (!event.detail.modelPending && window.__hybridAt === undefined) { window.__hybridAt = performance.now(); window.__mark('hybrid'); }
  });
`;

async function visit(host: StaticHost): Promise<Visit> {
  const profile = await launchProfile();
  let total = 0;
  const marks = new Map<string, number>();
  const files: Visit['files'] = [];
  const pending: Promise<unknown>[] = [];
  profile.context.on('requestfinished', (request) => {
    const path = new URL(request.url()).pathname;
    if (EXCLUDED.test(path)) return;
    const endMs = Date.now();
    pending.push(
      request
        .sizes()
        .then((sizes) => {
          const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
          total += bytes;
          files.push({ path, endMs, bytes });
        })
        .catch(() => {}),
    );
  });
  try {
    if (SLOW_KEYWORD > 0) {
      await profile.context.route(/\/artifacts\/(papers\/catalog|lexical\/lengths)\.bin$/, async (route) => {
        await new Promise((resolve) => setTimeout(resolve, SLOW_KEYWORD));
        await route.continue();
      });
    }
    await profile.context.exposeFunction('__mark', (name: string) => void marks.set(name, total));
    await profile.context.addInitScript(PROBE);
    await profile.page.goto(`${host.siteUrl}?q=${encodeURIComponent(QUERIES[0])}`, { waitUntil: 'commit', timeout: 600_000 });
    const shown = (await (
      await profile.page.waitForFunction(
        () => {
          const w = window as unknown as { __keywordAt?: number; __hybridAt?: number; __firstPending?: boolean };
          return w.__hybridAt !== undefined && { keywordMs: w.__keywordAt!, hybridMs: w.__hybridAt, firstPending: w.__firstPending! };
        },
        undefined,
        { timeout: 600_000, polling: 20 },
      )
    ).jsonValue()) as { keywordMs: number; hybridMs: number; firstPending: boolean };
    await new Promise((resolve) => setTimeout(resolve, 200));
    await Promise.all(pending);
    const { origin, loadPhases } = await profile.page.evaluate(async () => ({
      origin: performance.timeOrigin,
      loadPhases: (await (window as unknown as { __papersift: { stats(): Promise<{ loadPhases?: Record<string, number> }> } }).__papersift.stats()).loadPhases ?? {},
    }));
    const phases: Record<string, number> = {};
    for (const [name, at] of Object.entries(loadPhases)) phases[name] = at - origin;
    for (const file of files) file.endMs -= origin;
    files.sort((a, b) => a.endMs - b.endMs);
    return {
      keywordMs: shown.keywordMs,
      hybridMs: shown.hybridMs,
      keywordBytes: marks.get('keyword') ?? Number.NaN,
      hybridBytes: marks.get('hybrid') ?? Number.NaN,
      keywordOnlyFirst: shown.firstPending,
      phases,
      files,
    };
  } finally {
    await profile.close();
  }
}

const mb = (b: number) => (b / 1e6).toFixed(1);
const s = (ms: number) => (ms / 1000).toFixed(2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

const hosts = new Map<string, StaticHost>();
for (const site of SITES) hosts.set(site.label, await startStaticHost({ root: site.dir, isolation: true }));
const results = new Map<string, Visit[]>(SITES.map((site) => [site.label, []]));
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the start`);
try {
  for (let i = 0; i < VISITS; i++) {
    for (const site of SITES) {
      const v = await visit(hosts.get(site.label)!);
      results.get(site.label)!.push(v);
      const ph = ['keywordReady', 'modelReady'].map((k) => `${k} ${v.phases[k] !== undefined ? s(v.phases[k]) : '—'}`).join(', ');
      console.log(
        `${site.label} #${i + 1}: keyword ${s(v.keywordMs)} s (${mb(v.keywordBytes)} MB)${v.keywordOnlyFirst ? '' : ' [first answer hybrid]'}, hybrid ${s(v.hybridMs)} s (${mb(v.hybridBytes)} MB); ${ph}; load ${loadavg()[0].toFixed(1)}`,
      );
      if (values.files) for (const f of v.files) if (f.path.includes('/artifacts/')) console.log(`    ${s(f.endMs)} ${(f.bytes / 1e3).toFixed(0).padStart(6)} kB ${f.path}`);
    }
  }
} finally {
  for (const host of hosts.values()) await host.close();
}
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`);
for (const [label, visits] of results) {
  console.log(
    `${label}: median of ${visits.length}: keyword ${s(median(visits.map((v) => v.keywordMs)))} s, ${mb(median(visits.map((v) => v.keywordBytes)))} MB; ` +
      `hybrid ${s(median(visits.map((v) => v.hybridMs)))} s, ${mb(median(visits.map((v) => v.hybridBytes)))} MB; keyword answer first in ${visits.filter((v) => v.keywordOnlyFirst).length}/${visits.length}`,
  );
}
