/**
 * The site at scale (issue #13's table): synthetic corpora from `generate-corpus`, merged into artifacts,
 * each built into the site and visited in headless Chromium beside the 364-paper seed site, taking turns.
 *
 *   npx tsx bench/scale.ts [--sizes 10000,100000] [--format 2,3] [--searches 20] [--repeats 3] [--write] [--recall-only] [--scratch DIR] [--http2]
 *
 * --format: the artifact formats each corpus is merged into (build-index --merge … --format F), measured side by
 * side: 2 reads every file before the first result, 3 an eager prefix and graph, the rest as queries need it.
 * Format 2 is left out above FORMAT2_MOST_PAPERS (it reads every file before the first result: ~850 MB at 100k,
 * past what one tab can download and hold); the report says so.
 *
 * Per corpus size and per visit (fresh profile first, then repeat visits in the same profile):
 * - bytes fetched before the first keyword result and before the first hybrid result, from the browser's
 *   network log (every request of the page, its workers and its service worker; model weights and the ORT wasm
 *   left out, as the issue asks). The static host sends no compression, so these are the bytes a plain host
 *   would send; a host that gzips sends fewer.
 * - tab memory after `--searches` searches: performance.measureUserAgentSpecificMemory() (the host sends
 *   COOP/COEP, so the page is cross-origin isolated); it counts the page and its workers, model included.
 * - search time in the worker, embedding excluded: for each of the searches, until its ranked list was sent (the
 *   hits in order with their titles, years and categories: `timings.rankedMs`, when the worker sent them ahead of the
 *   hits' text, else `searchMs`) and until the full answer with the hits' text (`searchMs`).
 * - semantic recall@10 of what the site's engine returns (its approximate graph) against exact float32 search at
 *   full dims over the corpus's embeddings (streamed shard by shard, so 1M papers need no format-2 set), for the
 *   benchmark queries embedded in Node: the ten of bench/queries.ts (the figure before 2 December), and those with
 *   the judged text queries of test/eval/queries.json (55 in all), the same for every size and format.
 * - what the first visit fetched before each first result, by kind of file (app, keyword index, text, vectors).
 *
 * --http2: the static host speaks HTTPS and HTTP/2 (self-signed), as GitHub Pages, Netlify, Cloudflare Pages and
 *   CloudFront do, instead of plain HTTP/1.1, where Chromium keeps at most six connections to the host and queues
 *   the rest (a cold 1M query asks for ~300 row shards at once). The default stays HTTP/1.1, the issue's `vite preview`.
 *
 * --recall-only: only the recall row (in Node, no browser), for each size and format; prints it, writes nothing.
 *
 * Corpora and artifacts are kept in .cache/scale/<N>/ (or --scratch DIR/<N>/) and reused; delete that folder to
 * regenerate. Format-3 sets are in artifacts-f3-v<FORMAT3_VECTORS_VERSION>/: a new vector side is merged beside the old.
 * --write puts the tables into docs/BENCHMARKS.md between its markers.
 */
import '../src/cli/node-env';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openEngine } from '../src/cli/open-engine';
import { modelsDir, SITE_ARTIFACTS_DIR } from '../src/cli/node-env';
import { openFormat3Dir } from '../src/cli/format3-search';
import { findShardHeaders, readShardHeader, readShardLines, readShardVectors } from '../src/cli/shard-files';
import { createEmbedder } from '../src/core/embed';
import type { Embedder } from '../src/core/embed/types';
import { dot } from '../src/core/vectors';
import { PHASE_ORDER } from '../src/core/format3/phases';
import { FORMAT3_VECTORS_VERSION } from '../src/core/format3/manifest';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { QUERIES } from './queries';
import { writeDocSection } from './doc-section';
import { launchProfile, type Profile } from '../test/e2e/browser';
import { buildSite, HTTPS_ARGS, REPO_ROOT, startStaticHost, type StaticHost } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000' },
    format: { type: 'string', default: '2' },
    searches: { type: 'string', default: '20' },
    repeats: { type: 'string', default: '3' },
    write: { type: 'boolean', default: false },
    'recall-only': { type: 'boolean', default: false },
    http2: { type: 'boolean', default: false },
    scratch: { type: 'string', default: join('.cache', 'scale') },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const FORMATS = values.format.split(',').map(Number);
if (FORMATS.some((f) => f !== 2 && f !== 3)) throw new Error(`--format takes 2, 3 or 2,3; got ${values.format}`);
const SEARCHES = Number(values.searches);
const REPEATS = Number(values.repeats);
const SCRATCH = resolve(REPO_ROOT, values.scratch);
const SEED_LABEL = 'seed';
/** The largest corpus merged into format 2 (which reads every file before the first result). */
const FORMAT2_MOST_PAPERS = 50_000;

/** Requests left out of the byte counts: the model's files and onnxruntime-web's wasm/glue. */
const EXCLUDED = /\/(models|ort)\//;

/** What a request fetched, by its path: the rows of the first visit's breakdown. */
const KINDS: [string, RegExp][] = [
  ['index manifest and file tables', /\/artifacts\/(manifest\.json|.*table\.bin)$/],
  ['keyword index: field lengths, postings buckets and big terms', /\/artifacts\/lexical\//],
  ['paper text shards', /\/artifacts\/papers\/p-\d+\.json$/],
  ['papers: catalog, id buckets, titles', /\/artifacts\/papers\//],
  ['vectors, eager: rotation, scales, prefix codes, graph', /\/artifacts\/(rotation|scales|prefix|graph)[^/]*$/],
  ['vectors: row shards (heads, tails) and refine files (re-rank)', /\/artifacts\/(rows|tail|refine)-\d+/],
  ['format 2 files (papers.json, vectors, graphs, lexical.json)', /\/artifacts\//],
  ['the app (page, scripts, styles, icons, service worker)', /./],
];
const kindOf = (path: string) => KINDS.find(([, pattern]) => pattern.test(path))![0];

interface VisitFigures {
  keywordMs: number;
  hybridMs: number;
  keywordBytes: number;
  hybridBytes: number;
  /** Bytes by kind (KINDS) before each first result. */
  keywordKinds: Record<string, number>;
  hybridKinds: Record<string, number>;
}

interface SiteFigures {
  label: string;
  format: number;
  papers: number;
  artifactBytes: number;
  first: VisitFigures;
  repeats: VisitFigures[];
  memoryBytes: number | null;
  searchMs: number[];
  /** Per search, when its ranked titles were sent ahead of the text (timings.rankedMs), else its searchMs. */
  rankedMs: number[];
  /** Searches whose ranked titles were sent ahead of their text. */
  rankedAhead: number;
  /** searchMs by part for each search (format 3: src/core/format3/phases.ts); empty objects for format 2. */
  phases: Record<string, number>[];
  /** Per search, what the chunk store read for it (format 3). */
  reads: Record<string, number>[];
  /** Recall@10 over the ten queries, and over all typed ones (RECALL_QUERIES). */
  recall: Recall;
}

function run(args: string[]): void {
  execFileSync(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO_ROOT, stdio: 'inherit' });
}

/**
 * Generates a corpus of `papers` and merges it into `format` once; later runs reuse both. A format-3 set's folder
 * names its vector side's version (artifacts-f3-v2): a set of an older version is left where it is (another
 * checkout may still read it) and this version's is merged beside it, into a folder of its own first and then
 * renamed, so two runs never write into one set.
 */
function prepare(papers: number, format: number): string {
  const dir = join(SCRATCH, String(papers));
  if (!existsSync(join(dir, 'embeddings'))) {
    run(['src/cli/generate-corpus.ts', '--papers', String(papers), '--out', dir, '--shards', '4', '--seed', '1']);
  }
  const artifacts = join(dir, format === 2 ? 'artifacts' : `artifacts-f${format}-v${FORMAT3_VECTORS_VERSION}`);
  if (!existsSync(join(artifacts, 'manifest.json'))) {
    const writing = `${artifacts}.merging-${process.pid}`;
    run(['src/cli/build-index.ts', '--merge', join(dir, 'embeddings'), '--out', writing, '--format', String(format), '--name', `Synthetic ${papers}`]);
    if (existsSync(join(artifacts, 'manifest.json'))) rmSync(writing, { recursive: true, force: true });
    else {
      rmSync(artifacts, { recursive: true, force: true });
      renameSync(writing, artifacts);
    }
  }
  return artifacts;
}

/** The set's paper count and its size: every file in its folder (format 3 keeps its shards in subfolders). */
async function describeSet(dir: string): Promise<{ papers: number; bytes: number }> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { count: number };
  let bytes = 0;
  for (const name of await readdir(dir, { recursive: true })) {
    const info = await stat(join(dir, name));
    if (info.isFile()) bytes += info.size;
  }
  return { papers: manifest.count, bytes };
}

/**
 * The recall row's queries: the ten typed queries the site is visited with, then the judged text queries of the
 * seed set's evaluation (the same 55 for every size and format; bench/format3-set.ts --text uses them too). Ten
 * queries make a coarse figure (one hit is 0.01), so both are reported.
 */
const RECALL_QUERIES = [
  ...QUERIES,
  ...parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'eval', 'queries.json'), 'utf8'))).flatMap((q) => (q.kind === 'similar' ? [] : [q.text])),
];

interface Recall {
  ten: number;
  all: number;
}

/**
 * Recall@10 of what the engine returns by default for the set (semantic mode, top 10: format 2's HNSW graph
 * above EXACT_SEARCH_BELOW papers, format 3's prefix graph and re-rank) against exact float32 full-dim search
 * over the corpus's embeddings, the vectors both formats were made from.
 */
async function recallAt10(dir: string, format: number, embeddings: string | undefined): Promise<Recall> {
  if (!embeddings) return recallAgainstOwnExact(dir);
  const headers = findShardHeaders([embeddings]).map(readShardHeader);
  const { model } = headers[0].header;
  const embedder = await createEmbedder({ modelId: model.id, dtype: model.dtype, localModelPath: modelsDir() });
  try {
    const vectors: Float32Array[] = [];
    for (const text of RECALL_QUERIES) vectors.push(await embedder.embedQuery(text));
    const exact = await exactTop10(headers, vectors);
    const approximate = format === 3 ? await format3Semantic(dir, embedder) : await format2Semantic(dir);
    const found: number[] = [];
    for (let q = 0; q < RECALL_QUERIES.length; q++) {
      const got = new Set((await approximate(RECALL_QUERIES[q], vectors[q])).hits.map((h) => h.paper.id));
      found.push(exact[q].filter((id) => got.has(id)).length);
    }
    return recallOf(found);
  } finally {
    await embedder.dispose();
  }
}

/** Each query's 10 nearest paper ids by the dot product with every row (unit rows), one shard in memory at a time. */
async function exactTop10(headers: ReturnType<typeof readShardHeader>[], queries: Float32Array[]): Promise<string[][]> {
  const best = queries.map(() => [] as { id: string; score: number }[]);
  for (const shard of headers) {
    const ids: string[] = [];
    for await (const id of readShardLines(shard, shard.header.ids)) ids.push(id as string);
    const rows = readShardVectors(shard);
    const dims = rows.length / ids.length;
    queries.forEach((query, q) => {
      const top = best[q];
      for (let r = 0; r < ids.length; r++) {
        const score = dot(query, rows.subarray(r * dims, (r + 1) * dims));
        if (top.length === 10 && score <= top[9].score) continue;
        top.push({ id: ids[r], score });
        top.sort((a, b) => b.score - a.score);
        if (top.length > 10) top.pop();
      }
    });
  }
  return best.map((top) => top.map((hit) => hit.id));
}

/** Hits found per query (RECALL_QUERIES' order) → recall over the first ten and over all. */
function recallOf(found: number[]): Recall {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return { ten: sum(found.slice(0, QUERIES.length)) / (10 * QUERIES.length), all: sum(found) / (10 * found.length) };
}

/** The seed site has no embedding shards: its own format-2 engine's exact search is the reference. */
async function recallAgainstOwnExact(dir: string): Promise<Recall> {
  const { engine, embedder } = await openEngine({ index: dir, log: () => {} });
  try {
    const found: number[] = [];
    for (const text of RECALL_QUERIES) {
      const vector = await embedder.embedQuery(text);
      const exact = engine.searchText(text, vector, { mode: 'semantic', k: 10, exact: true }).hits.map((h) => h.paper.id);
      const got = new Set(engine.searchText(text, vector, { mode: 'semantic', k: 10 }).hits.map((h) => h.paper.id));
      found.push(exact.filter((id) => got.has(id)).length);
    }
    return recallOf(found);
  } finally {
    await embedder.dispose();
  }
}

/** The format-3 engine over a folder, answering semantic top-10 queries as the site's worker does. */
async function format3Semantic(dir: string, embedder: Embedder) {
  const { manifest, engine } = await openFormat3Dir(dir);
  if (manifest.model.id !== embedder.model.id) throw new Error(`${dir} was made with ${manifest.model.id}, the embeddings with ${embedder.model.id}`);
  return (text: string, vector: Float32Array) => engine.searchText(text, vector, { mode: 'semantic', k: 10 });
}

async function format2Semantic(dir: string) {
  const { engine, embedder } = await openEngine({ index: dir, log: () => {} });
  await embedder.dispose();
  return async (text: string, vector: Float32Array) => engine.searchText(text, vector, { mode: 'semantic', k: 10 });
}

/** Counts response bytes per request as they finish, in all and by kind; a mark snapshots both. */
function countBytes(profile: Profile): { total: () => number; kinds: () => Record<string, number>; reset: () => void } {
  let total = 0;
  let kinds: Record<string, number> = {};
  profile.context.on('requestfinished', (request) => {
    const path = new URL(request.url()).pathname;
    if (EXCLUDED.test(path)) return;
    void request
      .sizes()
      .then((sizes) => {
        const bytes = sizes.responseBodySize + sizes.responseHeadersSize;
        total += bytes;
        kinds[kindOf(path)] = (kinds[kindOf(path)] ?? 0) + bytes;
      })
      .catch(() => {});
  });
  return {
    total: () => total,
    kinds: () => ({ ...kinds }),
    reset: () => {
      total = 0;
      kinds = {};
    },
  };
}

const RESULTS_PROBE = `
  window.addEventListener('papersift:results', (event) => {
    if (window.__keywordAt === undefined) { window.__keywordAt = performance.now(); window.__scaleMark('keyword'); }
    if (!event.detail.modelPending && window.__hybridAt === undefined) { window.__hybridAt = performance.now(); window.__scaleMark('hybrid'); }
  });
`;

interface Mark {
  bytes: number;
  kinds: Record<string, number>;
}

async function visitSite(profile: Profile, url: string, bytes: ReturnType<typeof countBytes>, marks: Map<string, Mark>): Promise<VisitFigures> {
  marks.clear();
  bytes.reset();
  const query = encodeURIComponent(QUERIES[0]);
  await profile.page.goto(`${url}?q=${query}`, { waitUntil: 'commit', timeout: 600_000 });
  const shown = (await (
    await profile.page.waitForFunction(
      () => {
        const w = window as unknown as { __keywordAt?: number; __hybridAt?: number };
        return w.__hybridAt !== undefined && { keywordMs: w.__keywordAt!, hybridMs: w.__hybridAt };
      },
      undefined,
      { timeout: 600_000, polling: 20 },
    )
  ).jsonValue()) as { keywordMs: number; hybridMs: number };
  // Let the network log catch up with responses that finished just before the marks.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const keyword = marks.get('keyword');
  const hybrid = marks.get('hybrid');
  return {
    ...shown,
    keywordBytes: keyword?.bytes ?? Number.NaN,
    hybridBytes: hybrid?.bytes ?? Number.NaN,
    keywordKinds: keyword?.kinds ?? {},
    hybridKinds: hybrid?.kinds ?? {},
  };
}

async function searchAndMeasure(
  profile: Profile,
): Promise<{ searchMs: number[]; rankedMs: (number | null)[]; phases: Record<string, number>[]; reads: Record<string, number>[]; memoryBytes: number | null }> {
  return profile.page.evaluate(
    async ({ queries, searches }) => {
      const app = document.querySelector('papersift-app')!;
      const input = app.shadowRoot!.querySelector('ps-search-bar')!.shadowRoot!.querySelector<HTMLInputElement>('input[type="search"]')!;
      const searchMs: number[] = [];
      const rankedMs: (number | null)[] = [];
      const phases: Record<string, number>[] = [];
      const reads: Record<string, number>[] = [];
      for (let i = 0; i < searches; i++) {
        const shown = new Promise<{ timings: { searchMs: number; rankedMs?: number; phases?: Record<string, number>; reads?: Record<string, number> } }>((resolve) =>
          window.addEventListener('papersift:results', (e) => resolve((e as CustomEvent).detail), { once: true }),
        );
        input.value = `${queries[i % queries.length]} ${Math.floor(i / queries.length) + 1}`;
        input.form!.requestSubmit();
        const { timings } = await shown;
        searchMs.push(timings.searchMs);
        rankedMs.push(timings.rankedMs ?? null);
        phases.push(timings.phases ?? {});
        reads.push(timings.reads ?? {});
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const measure = (performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }).measureUserAgentSpecificMemory;
      const memoryBytes = crossOriginIsolated && measure ? (await measure.call(performance)).bytes : null;
      return { searchMs, rankedMs, phases, reads, memoryBytes };
    },
    { queries: QUERIES, searches: SEARCHES },
  );
}

async function measureSite(label: string, artifacts: string, host: StaticHost, format: number, embeddings?: string): Promise<SiteFigures> {
  const { papers, bytes: artifactBytes } = await describeSet(artifacts);
  const outDir = join(SCRATCH, 'sites', label.replace(/\W+/g, '-'));
  await buildSite({ outDir, artifacts, buildId: `scale-${papers}` });
  host.serve(outDir);
  const profile = await launchProfile(undefined, values.http2 ? { extraArgs: HTTPS_ARGS } : {});
  const marks = new Map<string, Mark>();
  const counter = countBytes(profile);
  await profile.context.exposeFunction('__scaleMark', (name: string) => marks.set(name, { bytes: counter.total(), kinds: counter.kinds() }));
  await profile.context.addInitScript(RESULTS_PROBE);
  try {
    const first = await visitSite(profile, host.siteUrl, counter, marks);
    const repeats: VisitFigures[] = [];
    for (let i = 0; i < REPEATS; i++) repeats.push(await visitSite(profile, host.siteUrl, counter, marks));
    const { searchMs, rankedMs: sentAhead, phases, reads, memoryBytes } = await searchAndMeasure(profile);
    const recall = await recallAt10(artifacts, format, embeddings);
    const rankedMs = sentAhead.map((ms, i) => ms ?? searchMs[i]);
    const rankedAhead = sentAhead.filter((ms) => ms !== null).length;
    return { label, format, papers, artifactBytes, first, repeats, memoryBytes, searchMs, rankedMs, rankedAhead, phases, reads, recall };
  } finally {
    await profile.close();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Number.NaN;
};
const mb = (b: number | null) => (b === null || Number.isNaN(b) ? 'n/a' : `${(b / 1e6).toFixed(1)} MB`);
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function report(sites: SiteFigures[], skipped: number[], load: [number, number], seconds: number): string {
  const seed = sites.find((s) => s.label === SEED_LABEL)!;
  const repeatKeyword = (s: SiteFigures) => median(s.repeats.map((r) => r.keywordMs));
  const repeatHybrid = (s: SiteFigures) => median(s.repeats.map((r) => r.hybridMs));
  const rows: [string, (s: SiteFigures) => string][] = [
    ['artifacts (all files of the set)', (s) => mb(s.artifactBytes)],
    ['bytes fetched before the first keyword result (model and ORT wasm excluded), first visit', (s) => mb(s.first.keywordBytes)],
    ['bytes fetched before the first hybrid result (same exclusions), first visit', (s) => mb(s.first.hybridBytes)],
    [`tab memory after ${SEARCHES} searches (model included)`, (s) => mb(s.memoryBytes)],
    [`semantic recall@10 vs exact float32 full-dim search: the ten queries / all ${RECALL_QUERIES.length} typed`, (s) => `${s.recall.ten.toFixed(3)} / ${s.recall.all.toFixed(3)}`],
    [
      "search time in the worker, embedding excluded, p50: until the ranked list (titles) / until the hits' text (full cards)",
      (s) => `${median(s.rankedMs).toFixed(1)} ms / ${median(s.searchMs).toFixed(1)} ms`,
    ],
    [`searches whose ranked titles came before their text, of ${SEARCHES}`, (s) => String(s.rankedAhead)],
    ['first visit → first keyword / first hybrid result', (s) => `${secs(s.first.keywordMs)} / ${secs(s.first.hybridMs)}`],
    [`repeat visit → first keyword / first hybrid result, median of ${REPEATS}`, (s) => `${secs(repeatKeyword(s))} / ${secs(repeatHybrid(s))}`],
    [
      'repeat visit, ratio to the seed site in this run: keyword / hybrid',
      (s) => `${(repeatKeyword(s) / repeatKeyword(seed)).toFixed(2)} / ${(repeatHybrid(s) / repeatHybrid(seed)).toFixed(2)}`,
    ],
  ];
  const header = `| | ${sites.map((s) => `${s.papers.toLocaleString('en-US')}${s.label === SEED_LABEL ? ' (seed)' : ''} · format ${s.format}`).join(' | ')} |`;
  return [
    '```',
    ['npx tsx bench/scale.ts', ...process.argv.slice(2)].join(' '),
    '```',
    '',
    `Format 2 reads every file before the first result; format 3 an 8-bit prefix and one graph, the rest (row shards, paper text, keyword postings) as queries need it.`,
    `Synthetic corpora from \`generate-corpus\` (seed 1, 4 shards, merged with \`build-index --merge … --format F\`); the seed site is format 2;`,
    `served by a plain static host (${values.http2 ? 'HTTPS, HTTP/2' : 'HTTP/1.1'}) with COOP/COEP and no compression, headless Chromium, fresh profile for the first visit, the same profile for the repeats.`,
    `Load average ${load[0].toFixed(1)} at the start, ${load[1].toFixed(1)} at the end; the run took ${Math.round(seconds)} s.`,
    '',
    header,
    `|---|${sites.map(() => '---').join('|')}|`,
    ...rows.map(([name, cell]) => `| ${name} | ${sites.map(cell).join(' | ')} |`),
    '',
    `What the first visit fetched before its first keyword / first hybrid result, by kind (MB; model and ORT wasm excluded):`,
    '',
    header,
    `|---|${sites.map(() => '---').join('|')}|`,
    ...KINDS.map(([kind]) => kind)
      .filter((kind) => sites.some((s) => s.first.hybridKinds[kind]))
      .map((kind) => `| ${kind} | ${sites.map((s) => `${megabytes(s.first.keywordKinds[kind])} / ${megabytes(s.first.hybridKinds[kind])}`).join(' | ')} |`),
    ...phaseTable(sites),
    ...(skipped.length > 0
      ? ['', `Not measured: format 2 at ${skipped.map((n) => n.toLocaleString('en-US')).join(', ')} papers (above ${FORMAT2_MOST_PAPERS.toLocaleString('en-US')}, format 2 would be read whole before the first result).`]
      : []),
  ].join('\n');
}

/**
 * searchMs by part (format 3), p50 over the searches; the first half of the searches use new words (files read
 * for the first time), the second half repeat them with one more word, so both halves are given as well.
 */
function phaseTable(sites: SiteFigures[]): string[] {
  const measured = sites.filter((s) => s.phases.some((p) => Object.keys(p).length > 0));
  if (measured.length === 0) return [];
  const parts = [...PHASE_ORDER].filter((part) => measured.some((s) => s.phases.some((p) => p[part] !== undefined)));
  const half = Math.floor(SEARCHES / 2);
  const cell = (s: SiteFigures, pick: (p: Record<string, number>, i: number) => number) => {
    const all = s.phases.map(pick);
    return `${median(all).toFixed(1)} (${median(all.slice(0, half)).toFixed(1)} / ${median(all.slice(half)).toFixed(1)})`;
  };
  return [
    '',
    `Search time in the worker by part (src/core/format3/phases.ts), ms: p50 of the ${SEARCHES} searches (p50 of the first ${half}, new words / of the last ${SEARCHES - half}, the same with one more word):`,
    '',
    `| | ${measured.map((s) => `${s.papers.toLocaleString('en-US')} · format ${s.format}`).join(' | ')} |`,
    `|---|${measured.map(() => '---').join('|')}|`,
    ...parts.map((part) => `| ${part} | ${measured.map((s) => cell(s, (p) => p[part] ?? 0)).join(' | ')} |`),
    `| **ranked titles sent** | ${measured.map((s) => cell(s, (_, i) => s.rankedMs[i])).join(' | ')} |`,
    `| **searchMs** | ${measured.map((s) => cell(s, (_, i) => s.searchMs[i])).join(' | ')} |`,
  ];
}

const megabytes = (bytes: number | undefined) => ((bytes ?? 0) / 1e6).toFixed(2);

async function main(): Promise<void> {
  const started = Date.now();
  const loadBefore = loadavg()[0];
  const corpora = SIZES.flatMap((n) =>
    FORMATS.filter((format) => format !== 2 || n <= FORMAT2_MOST_PAPERS).map((format) => ({
      n,
      format,
      artifacts: prepare(n, format),
      embeddings: join(SCRATCH, String(n), 'embeddings'),
    })),
  );
  if (values['recall-only']) {
    for (const { n, format, artifacts, embeddings } of corpora) {
      const recall = await recallAt10(artifacts, format, embeddings);
      console.log(
        `${n} papers, format ${format}: semantic recall@10 vs exact float32 full-dim search ${recall.ten.toFixed(3)} (the ten queries), ${recall.all.toFixed(3)} (all ${RECALL_QUERIES.length} typed)`,
      );
    }
    return;
  }
  const host = await startStaticHost({ root: SITE_ARTIFACTS_DIR, isolation: true, http2: values.http2 });
  const sites: SiteFigures[] = [];
  try {
    sites.push(await measureSite(SEED_LABEL, SITE_ARTIFACTS_DIR, host, 2));
    for (const { n, format, artifacts, embeddings } of corpora) {
      sites.push(await measureSite(`synthetic ${n} f${format}`, artifacts, host, format, embeddings));
      // Each site's figures as they come: a long run that fails later still leaves them in the log.
      console.error(JSON.stringify(sites.at(-1)));
    }
  } finally {
    await host.close();
  }
  const skipped = FORMATS.includes(2) ? SIZES.filter((n) => n > FORMAT2_MOST_PAPERS) : [];
  const text = report(sites, skipped, [loadBefore, loadavg()[0]], (Date.now() - started) / 1000);
  console.log(text);
  if (values.write) await writeDocSection(join(REPO_ROOT, 'docs', 'BENCHMARKS.md'), 'bench/scale.ts', text);
}

await main();
