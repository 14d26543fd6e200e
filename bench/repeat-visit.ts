/**
 * Where a repeat visit's time to the first keyword and first hybrid result goes (issue #13's last row): the seed
 * site (format 2) and format-3 sets of `bench/scale.ts` visited in turn in headless Chromium, each on its own
 * origin and profile, with the worker's start-up marks (EngineInfo.loadPhases), the page's own (scripts run, init
 * and the first search posted to the worker) and the first answer's searchMs by part, medians over the repeats.
 *
 *   npx tsx bench/repeat-visit.ts [--sizes 10000,100000] [--repeats 7] [--baseline <git ref>[,<git ref>…]] [--set artifacts-f3-v2] [--baseline-set artifacts-f3] [--blank] [--follow MS] [--fresh K]
 *
 * --blank: after each measured visit the page goes to about:blank, so what its worker does after the answer (the
 * idle reads: titles, text, keyword index held) stops there instead of running beside the other sites' visits.
 * --follow MS: each measured visit is made MS ms after an unmeasured visit of the same site has shown its hybrid
 * result, as bench/scale.ts's repeat visits are (200 ms): that visit's idle reads are under way as the measured one
 * starts. Implies --blank.
 * --fresh K: as bench/scale.ts visits a site: each round gives every site a new profile, visits it once (a first visit,
 * not measured), then K times, each --follow ms (default 200) after the last one's hybrid result, all K measured
 * (--repeats rounds, so K x repeats visits a site). The idle reads of the visit before, begun on the network on the first
 * visit, are under way as each starts.
 *
 * --baseline builds the same sites from that commit too (`git archive` into .cache/repeat-visit-baseline/<ref>, sharing
 * this checkout's node_modules, public/models and public/ort), visited in the same rounds: a ratio in one run. Several
 * refs, comma-separated, each get their sites (an A/B/C of builds that differ in one setting).
 * The sets are read from .cache/scale/<N>/<set> (bench/scale.ts builds them: artifacts-f3-v<vector side version>, the
 * default), a baseline's from <baseline-set> (default the same: an older build may need the set of its own version);
 * the seed set from public/artifacts.
 * Prints a table; writes nothing.
 */
import '../src/cli/node-env';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, symlink, cp } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SITE_ARTIFACTS_DIR } from '../src/cli/node-env';
import { FORMAT3_VECTORS_VERSION } from '../src/core/format3/manifest';
import type { EngineInfo } from '../src/protocol';
import { QUERIES } from './queries';
import { launchProfile, type Profile } from '../test/e2e/browser';
import { buildSite, REPO_ROOT, startStaticHost, type StaticHost } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '7' },
    baseline: { type: 'string' },
    set: { type: 'string', default: `artifacts-f3-v${FORMAT3_VECTORS_VERSION}` },
    'baseline-set': { type: 'string' },
    blank: { type: 'boolean', default: false },
    follow: { type: 'string' },
    fresh: { type: 'string' },
  },
});
const SIZES = values.sizes.split(',').filter(Boolean).map(Number);
const REPEATS = Number(values.repeats);
const FRESH = values.fresh === undefined ? undefined : Number(values.fresh);
const FOLLOW_MS = values.follow === undefined ? (FRESH === undefined ? undefined : 200) : Number(values.follow);
const BLANK = values.blank || FOLLOW_MS !== undefined;
const SCRATCH = join(REPO_ROOT, '.cache', 'repeat-visit');
/** How long a visit may take to show its hybrid result before the run stops and says what the page was doing. */
const VISIT_TIMEOUT_MS = 120_000;

/** Page-side marks: scripts run, the worker's init and first search posted, the first keyword / hybrid results shown. */
const PROBE = `
  globalThis.__name = (fn) => fn;
  window.__marks = {};
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    const command = message && message.command;
    if (command === 'init' || command === 'search') window.__marks[command + 'Posted'] ??= performance.now();
    return post.call(this, message, ...rest);
  };
  window.addEventListener('papersift:results', (event) => {
    if (window.__marks.keywordShown === undefined) { window.__marks.keywordShown = performance.now(); window.__firstTimings = event.detail.timings; }
    if (!event.detail.modelPending && window.__marks.hybridShown === undefined) { window.__marks.hybridShown = performance.now(); window.__hybridTimings = event.detail.timings; }
  });
`;

interface Site {
  label: string;
  host: StaticHost;
  profile: Profile;
  visits: Record<string, number>[];
  /** The page's last console messages and errors, told when a visit never shows its hybrid result. */
  console: string[];
  /** The site's build (the set copied in: ~0.5 GB at 100k), removed at the end. */
  outDir: string;
}

async function checkoutBaseline(ref: string): Promise<string> {
  const dir = join(REPO_ROOT, '.cache', 'repeat-visit-baseline', ref.replace(/[^\w.-]+/g, '-'));
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  execFileSync('sh', ['-c', 'git archive --format=tar "$0" | tar -x -C "$1"', ref, dir], { cwd: REPO_ROOT, stdio: 'inherit' });
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const folder of ['public/models', 'public/ort']) await cp(join(REPO_ROOT, folder), join(dir, folder), { recursive: true });
  return dir;
}

async function openSite(label: string, artifacts: string, root: string): Promise<Site> {
  const outDir = join(SCRATCH, label.replace(/\W+/g, '-'));
  await buildSite({ outDir, artifacts, buildId: `repeat-${label.replace(/\W+/g, '-')}`, root });
  const host = await startStaticHost({ root: outDir, isolation: true });
  const site: Site = { label, host, profile: undefined as unknown as Profile, visits: [], console: [], outDir };
  site.profile = await newProfile(site);
  return site;
}

async function newProfile(site: Pick<Site, 'console'>): Promise<Profile> {
  const profile = await launchProfile();
  await profile.context.addInitScript(PROBE);
  const note = (line: string) => site.console.push(`${new Date().toISOString().slice(11, 23)} ${line}`) > 200 && site.console.shift();
  profile.page.on('console', (message) => note(`${message.type()}: ${message.text()}`));
  profile.page.on('pageerror', (error) => note(`pageerror: ${error.message}`));
  return profile;
}

async function visit(site: Site, query: string): Promise<Record<string, number>> {
  const { page } = site.profile;
  await page.goto(`${site.host.siteUrl}?q=${encodeURIComponent(query)}`, { waitUntil: 'commit', timeout: 600_000 });
  try {
    await page.waitForFunction(() => (window as unknown as { __marks: Record<string, number> }).__marks.hybridShown !== undefined, undefined, {
      timeout: VISIT_TIMEOUT_MS,
      polling: 20,
    });
  } catch (e) {
    // Say what the page was waiting for, not only that it waited.
    const state = await page
      .evaluate(() => ({
        url: location.href,
        status: document.querySelector('papersift-app')?.getAttribute('data-status'),
        marks: (window as unknown as { __marks?: Record<string, number> }).__marks,
      }))
      .catch((error: unknown) => String(error));
    throw new Error(`${site.label}: no hybrid result within ${VISIT_TIMEOUT_MS / 1000} s: ${JSON.stringify(state)}; console: ${site.console.slice(-20).join(' | ')}`, { cause: e });
  }
  const { marks, timings, hybridTimings, origin, scriptsRun } = await page.evaluate(() => {
    const w = window as unknown as { __marks: Record<string, number>; __firstTimings: Record<string, unknown>; __hybridTimings: Record<string, unknown> };
    const navigation = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return {
      marks: w.__marks,
      timings: w.__firstTimings,
      hybridTimings: w.__hybridTimings,
      origin: performance.timeOrigin,
      scriptsRun: navigation?.domContentLoadedEventStart ?? Number.NaN,
    };
  });
  const info = (await page.evaluate(() => window.__papersift.stats())) as EngineInfo;
  const out: Record<string, number> = { pageScriptsRun: scriptsRun, ...marks };
  for (const [name, at] of Object.entries(info.loadPhases ?? {})) out[name] = at - origin;
  type Timings = { queueMs?: number; embedMs?: number; searchMs?: number; renderMs?: number; requestMs?: number; phases?: Record<string, number>; reads?: Record<string, number> };
  // The first answer (keyword-only while the model loads) and the first hybrid one.
  for (const [label, t] of [['first', timings as Timings], ['hybrid', hybridTimings as Timings]] as const) {
    for (const key of ['queueMs', 'embedMs', 'searchMs', 'renderMs', 'requestMs'] as const) if (typeof t[key] === 'number') out[`${label}.${key}`] = t[key];
    for (const [part, ms] of Object.entries(t.phases ?? {})) out[`${label}.phase.${part}`] = ms;
    for (const [part, n] of Object.entries(t.reads ?? {})) out[`${label}.reads.${part}`] = n;
  }
  const stats = info.counters.format3Files;
  if (stats) {
    out['store.storedFiles'] = stats.stored.files;
    out['store.storedMB'] = stats.stored.bytes / 1e6;
    out['store.networkFiles'] = stats.network.files;
    out['store.corrupt'] = stats.corrupt;
  }
  out['source.indexeddb'] = info.source === 'indexeddb' ? 1 : 0;
  return out;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Number.NaN;
};

async function main(): Promise<void> {
  const loadBefore = loadavg()[0];
  const started = Date.now();
  const roots: [string, string, string][] = [['now', REPO_ROOT, values.set]];
  const baselines = (values.baseline ?? '').split(',').filter(Boolean);
  for (const ref of baselines.reverse()) roots.unshift([`before (${ref})`, await checkoutBaseline(ref), values['baseline-set'] ?? values.set]);
  const sites: Site[] = [];
  try {
    for (const [version, root, set] of roots) {
      sites.push(await openSite(`seed ${version}`, SITE_ARTIFACTS_DIR, root));
      for (const n of SIZES) {
        const artifacts = join(REPO_ROOT, '.cache', 'scale', String(n), set);
        if (!existsSync(join(artifacts, 'manifest.json'))) throw new Error(`${artifacts} has no set: run bench/scale.ts --sizes ${n} --format 3 first`);
        sites.push(await openSite(`${n} f3 ${version}`, artifacts, root));
      }
    }
    // First visits: each fills its profile's storage, then settles as a reader of the first results would.
    for (const site of FRESH === undefined ? sites : []) {
      await visit(site, QUERIES[0]);
      await site.profile.page.waitForFunction(() => document.querySelector('papersift-app')?.getAttribute('data-status') === 'ready', undefined, { timeout: 600_000 });
      await site.profile.page.evaluate(() => navigator.serviceWorker?.ready.then(() => undefined));
      await site.profile.page.waitForTimeout(4000);
    }
    for (let i = 0; i < REPEATS; i++) {
      for (const site of sites) {
        console.error(`round ${i + 1}/${REPEATS}: ${site.label}`);
        if (FRESH !== undefined) {
          await site.profile.close();
          site.profile = await newProfile(site);
          await visit(site, QUERIES[0]);
          for (let k = 0; k < FRESH; k++) {
            await site.profile.page.waitForTimeout(FOLLOW_MS!);
            site.visits.push({ ...(await visit(site, QUERIES[0])), 'visit.repeat': k + 1 });
          }
          await site.profile.page.goto('about:blank');
          continue;
        }
        if (FOLLOW_MS !== undefined) {
          await visit(site, QUERIES[0]);
          await site.profile.page.waitForTimeout(FOLLOW_MS);
        }
        site.visits.push(await visit(site, QUERIES[0]));
        if (BLANK) await site.profile.page.goto('about:blank');
      }
    }
  } finally {
    for (const site of sites) {
      await site.profile.close();
      await site.host.close();
      // Each build holds a copy of its set and the model: a few runs with several baselines filled the disk.
      await rm(site.outDir, { recursive: true, force: true });
    }
    for (const [, root] of roots) if (root !== REPO_ROOT) await rm(root, { recursive: true, force: true });
  }
  const names = [...new Set(sites.flatMap((s) => s.visits.flatMap((v) => Object.keys(v))))];
  const timeline = names.filter((n) => !n.includes('.')).sort((a, b) => median(sites[0].visits.map((v) => v[a] ?? NaN)) - median(sites[0].visits.map((v) => v[b] ?? NaN)));
  const rest = names.filter((n) => n.includes('.')).sort();
  const cell = (s: Site, name: string) => {
    const m = median(s.visits.map((v) => v[name] ?? NaN));
    return Number.isNaN(m) ? '' : m.toFixed(name.startsWith('store.') || name.startsWith('source.') || /\.reads\.(network|stored)$/.test(name) ? 2 : 1);
  };
  console.log(['npx tsx bench/repeat-visit.ts', ...process.argv.slice(2)].join(' '));
  console.log(`Load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end; ${Math.round((Date.now() - started) / 1000)} s; medians of ${FRESH === undefined ? REPEATS : `${REPEATS} rounds x ${FRESH}`} repeat visits${FRESH !== undefined ? ', each round from a fresh profile\'s first visit' : ''}${FOLLOW_MS !== undefined ? `, each ${FOLLOW_MS} ms after another's hybrid result` : ''}${BLANK ? ', the page left after each' : ''} (ms from navigation start, query "${QUERIES[0]}").`);
  console.log(`| | ${sites.map((s) => s.label).join(' | ')} |`);
  console.log(`|---|${sites.map(() => '---').join('|')}|`);
  for (const name of [...timeline, ...rest]) console.log(`| ${name} | ${sites.map((s) => cell(s, name)).join(' | ')} |`);
  for (const version of roots.map(([v]) => v)) {
    const seed = sites.find((s) => s.label === `seed ${version}`)!;
    for (const n of SIZES) {
      const site = sites.find((s) => s.label === `${n} f3 ${version}`)!;
      const ratio = (name: string) => (median(site.visits.map((v) => v[name])) / median(seed.visits.map((v) => v[name]))).toFixed(2);
      console.log(`${site.label}: ratio to the seed site keyword ${ratio('keywordShown')} / hybrid ${ratio('hybridShown')}`);
    }
  }
  console.log(JSON.stringify(sites.map((s) => ({ label: s.label, visits: s.visits }))));
}

await main();
