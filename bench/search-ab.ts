/**
 * Search time in the browser worker, this checkout against another, on the same format-3 set, in one run:
 * both sites are built over the set and visited in turns (fresh profile each visit, the order swapped each
 * round), each visit searching as bench/scale.ts does (the first half of the searches with new words, the
 * second half the same with one more word). What changed is read as a ratio, not against a figure taken at
 * another load.
 *
 *   npx tsx bench/search-ab.ts --against /path/to/other/checkout [--size 10000] [--set DIR] [--against-set DIR] [--rounds 2] [--searches 20] [--repeat] [--verbose] [--memory SECONDS]
 *
 * --repeat: each visit searches, reloads the page in the same profile and times the same searches again, their
 * files now read from IndexedDB (a repeat visit); those second searches are the ones reported.
 *
 * --against-set DIR: the other checkout's build reads this set instead (an older build that reads an older vector
 * side version: the same corpus merged by each, so the two differ by their code and the format it reads).
 *
 * --memory S: after the (first) searches, the page is left idle S seconds (what the worker reads in idle time gets
 * read), then the tab's memory is measured (performance.measureUserAgentSpecificMemory: page and workers, model included).
 *
 * The other checkout needs its own node_modules, public/models and public/ort (links to this one's will do)
 * and builds with its own vite.config.ts. The set is .cache/scale/<size>/artifacts-f3-v<vector side version> (bench/scale.ts
 * --format 3 makes it; artifacts-f3 when that is missing), or --set DIR.
 */
import '../src/cli/node-env';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'vite';
import { FORMAT3_VECTORS_VERSION } from '../src/core/format3/manifest';
import { PHASE_ORDER } from '../src/core/format3/phases';
import { QUERIES } from './queries';
import { launchProfile, type Profile } from '../test/e2e/browser';
import { REPO_ROOT, startStaticHost } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    against: { type: 'string' },
    size: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '2' },
    searches: { type: 'string', default: '20' },
    /** Prints every search: searchMs, its parts and what the chunk store read for it. */
    verbose: { type: 'boolean', default: false },
    /** After the searches, reload the page (same profile) and time the same searches again: their files come from IndexedDB. */
    repeat: { type: 'boolean', default: false },
    /** The set to search (default: .cache/scale/<size>/artifacts-f3-v<vector side version>, else artifacts-f3). */
    set: { type: 'string' },
    /** The set the other checkout's site is built over (default: the same as this one's). */
    'against-set': { type: 'string' },
    /** After the searches, left idle this many seconds, then tab memory (performance.measureUserAgentSpecificMemory, model included). */
    memory: { type: 'string' },
  },
});
if (!values.against) throw new Error('--against DIR (another checkout) is required');
for (const needed of ['node_modules', 'public/models', 'public/ort']) {
  if (!existsSync(join(values.against, needed))) throw new Error(`${values.against} has no ${needed} (link this checkout's)`);
}
// The set of today's vector side (bench/scale.ts keeps format-3 sets in artifacts-f3-v<version>), unless --set names one.
const artifacts = values.set
  ? resolve(values.set)
  : [`artifacts-f3-v${FORMAT3_VECTORS_VERSION}`, 'artifacts-f3'].map((name) => join(REPO_ROOT, '.cache', 'scale', values.size, name)).find((dir) => existsSync(join(dir, 'manifest.json'))) ??
    join(REPO_ROOT, '.cache', 'scale', values.size, `artifacts-f3-v${FORMAT3_VECTORS_VERSION}`);
if (!existsSync(join(artifacts, 'manifest.json'))) throw new Error(`No format-3 set at ${artifacts}: run bench/scale.ts --sizes ${values.size} --format 3 first`);
const SEARCHES = Number(values.searches);
const otherArtifacts = values['against-set'] ? resolve(values['against-set']) : artifacts;
if (!existsSync(join(otherArtifacts, 'manifest.json'))) throw new Error(`No format-3 set at ${otherArtifacts}`);
const variants = [
  { name: 'other', root: resolve(values.against), artifacts: otherArtifacts },
  { name: 'this', root: REPO_ROOT, artifacts },
];

async function buildVariant(root: string, set: string, outDir: string): Promise<void> {
  const saved = { artifacts: process.env.PAPERSIFT_ARTIFACTS, id: process.env.PAPERSIFT_BUILD_ID };
  process.env.PAPERSIFT_ARTIFACTS = set;
  process.env.PAPERSIFT_BUILD_ID = `ab-${values.size}`;
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    for (const [name, value] of [['PAPERSIFT_ARTIFACTS', saved.artifacts], ['PAPERSIFT_BUILD_ID', saved.id]] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

interface Visit {
  searchMs: number[];
  /** Until the ranked titles were sent ahead of the text (timings.rankedMs), else searchMs. */
  rankedMs: number[];
  phases: Record<string, number>[];
  reads: Record<string, number>[];
  /** Tab memory after the searches and --memory seconds idle (bytes), when asked. */
  memoryBytes?: number;
}

async function visit(url: string): Promise<Visit> {
  const profile = await launchProfile();
  try {
    await profile.context.addInitScript(`
      window.addEventListener('papersift:results', (event) => { if (!event.detail.modelPending) window.__hybridShown = true; });
    `);
    const searched = await searchOnce(profile.page, url);
    if (values.memory) {
      await new Promise((resolve) => setTimeout(resolve, Number(values.memory) * 1000));
      searched.memoryBytes = await profile.page.evaluate(async () => {
        const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
        return crossOriginIsolated && measure ? (await measure.call(performance)).bytes : undefined;
      });
    }
    if (!values.repeat) return searched;
    // Flushed writes: the chunk store hands files over before their IndexedDB writes end.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return await searchOnce(profile.page, url);
  } finally {
    await profile.close();
  }
}

async function searchOnce(page: Profile['page'], url: string): Promise<Visit> {
  {
    await page.goto(`${url}?q=${encodeURIComponent(QUERIES[0])}`, { waitUntil: 'commit', timeout: 600_000 });
    await page.waitForFunction(() => (window as unknown as { __hybridShown?: boolean }).__hybridShown === true, undefined, { timeout: 600_000, polling: 20 });
    return await page.evaluate(
      async ({ queries, searches }) => {
        const app = document.querySelector('papersift-app')!;
        const input = app.shadowRoot!.querySelector('ps-search-bar')!.shadowRoot!.querySelector<HTMLInputElement>('input[type="search"]')!;
        const out: Visit = { searchMs: [], rankedMs: [], phases: [], reads: [] };
        for (let i = 0; i < searches; i++) {
          const shown = new Promise<{ timings: { searchMs: number; rankedMs?: number; phases?: Record<string, number>; reads?: Record<string, number> } }>((done) =>
            window.addEventListener('papersift:results', (e) => done((e as CustomEvent).detail), { once: true }),
          );
          input.value = `${queries[i % queries.length]} ${Math.floor(i / queries.length) + 1}`;
          input.form!.requestSubmit();
          const { timings } = await shown;
          out.searchMs.push(timings.searchMs);
          out.rankedMs.push(timings.rankedMs ?? timings.searchMs);
          out.phases.push(timings.phases ?? {});
          out.reads.push(timings.reads ?? {});
          await new Promise((done) => setTimeout(done, 100));
        }
        return out;
      },
      { queries: QUERIES, searches: SEARCHES },
    );
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Number.NaN;
};

const load = [loadavg()[0]];
const host = await startStaticHost({ root: REPO_ROOT, isolation: true });
const visits = new Map<string, Visit[]>(variants.map((v) => [v.name, []]));
try {
  for (const variant of variants) await buildVariant(variant.root, variant.artifacts, join(REPO_ROOT, '.cache', 'search-ab', variant.name));
  for (let round = 0; round < Number(values.rounds); round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      host.serve(join(REPO_ROOT, '.cache', 'search-ab', variant.name));
      const got = await visit(host.siteUrl);
      visits.get(variant.name)!.push(got);
      console.error(`round ${round + 1} ${variant.name}: searchMs p50 ${median(got.searchMs).toFixed(1)} ms`);
      if (values.verbose) {
        got.searchMs.forEach((ms, i) => {
          const parts = Object.entries(got.phases[i]).filter(([, v]) => v >= 0.5);
          const reads = Object.entries(got.reads[i]).map(([k, v]) => `${k} ${v}`);
          const ranked = got.rankedMs[i] < ms ? `titles ${got.rankedMs[i].toFixed(1)}, ` : '';
          console.error(`  ${ms.toFixed(1).padStart(7)} ms | ${ranked}${parts.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')} | ${reads.join(', ')}`);
        });
      }
    }
  }
} finally {
  await host.close();
}
load.push(loadavg()[0]);

const half = Math.floor(SEARCHES / 2);
const summary = (name: string, pick: (v: Visit) => number[]) => {
  const all = visits.get(name)!.flatMap(pick);
  const first = visits.get(name)!.flatMap((v) => pick(v).slice(0, half));
  const second = visits.get(name)!.flatMap((v) => pick(v).slice(half));
  return [median(all), median(first), median(second)];
};
const fmt = ([all, first, second]: number[]) => `${all.toFixed(1)} (${first.toFixed(1)} / ${second.toFixed(1)})`;
const other = summary('other', (v) => v.searchMs);
const mine = summary('this', (v) => v.searchMs);
const otherRanked = summary('other', (v) => v.rankedMs);
const mineRanked = summary('this', (v) => v.rankedMs);
const parts = PHASE_ORDER.filter((part) => [...visits.values()].flat().some((v) => v.phases.some((p) => p[part] !== undefined)));
console.log(
  [
    `${Number(values.size).toLocaleString('en-US')} papers, ${values.rounds} rounds × ${SEARCHES} searches per site, load ${load.map((l) => l.toFixed(1)).join(' → ')}`,
    `other: ${values.against}`,
    '',
    `| ms, p50 of all (first ${half} / last ${SEARCHES - half}) | other | this | this / other |`,
    '|---|---:|---:|---:|',
    ...parts.map((part) => {
      const pick = (v: Visit) => v.phases.map((p) => p[part] ?? 0);
      return `| ${part} | ${fmt(summary('other', pick))} | ${fmt(summary('this', pick))} | |`;
    }),
    `| **searchMs** | ${fmt(other)} | ${fmt(mine)} | ${mine.map((m, i) => (m / other[i]).toFixed(2)).join(' / ')} |`,
    `| **ranked titles sent (else searchMs)** | ${fmt(otherRanked)} | ${fmt(mineRanked)} | ${mineRanked.map((m, i) => (m / otherRanked[i]).toFixed(2)).join(' / ')} |`,
    ...(values.memory
      ? [
          `| tab memory after the searches and ${values.memory} s idle, MB (p50 of visits) | ${(median(visits.get('other')!.map((v) => v.memoryBytes ?? Number.NaN)) / 1e6).toFixed(1)} | ${(median(visits.get('this')!.map((v) => v.memoryBytes ?? Number.NaN)) / 1e6).toFixed(1)} | |`,
        ]
      : []),
  ].join('\n'),
);
