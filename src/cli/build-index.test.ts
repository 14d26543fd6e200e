/**
 * build-index as a user runs it, on real records: a slice of the arXiv sample (kept short for CI), searched with
 * `search --index`; a rebuild that embeds only what changed; a build stopped with Ctrl-C and resumed.
 * Child processes are spawned asynchronously so this worker keeps answering the test runner while they embed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FILES, parseManifest } from '../core/artifacts';
import { nameParts } from '../core/search';
import type { Paper } from '../core/types';
import { openFormat3Dir } from './format3-search';
import { REPO_ROOT } from './node-env';

const SAMPLE = join(REPO_ROOT, '..', 'shared', 'corpora', 'arxiv-oai-sample.jsonl');
const sampleLines = readFileSync(SAMPLE, 'utf8').split('\n').filter((line) => line.trim() !== '');
/** Bytes of one cache record for a 384-dim model: key, vector, checksum (src/cli/embedding-cache.ts). */
const RECORD_BYTES = 32 + 384 * 4 + 4;

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(script: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', script), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
  const done = new Promise<Run>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

const run = (script: string, args: string[], env?: Record<string, string>) => start(script, args, env).done;

/** Records in the cache's segments (a record cut short at the end is not counted, as the reader ignores it). */
function cachedRecords(cacheDir: string): number {
  if (!existsSync(cacheDir)) return 0;
  let records = 0;
  for (const model of readdirSync(cacheDir)) {
    for (const segment of readdirSync(join(cacheDir, model))) {
      records += Math.max(0, Math.floor((statSync(join(cacheDir, model, segment)).size - 16) / RECORD_BYTES));
    }
  }
  return records;
}

describe('npm run build-index -- --corpus FILE --out DIR, then npm run search -- --index DIR', () => {
  const dir = mkdtempSync(join(tmpdir(), 'papersift-build-'));
  const cache = join(dir, 'cache');
  const out = join(dir, 'index');
  const corpus = join(dir, 'arxiv-slice.jsonl');
  let first: Run;

  beforeAll(async () => {
    // 200 real records, then a line that is not JSON, a record without a title and a repeat of record 5.
    writeFileSync(corpus, [...sampleLines.slice(0, 200), '{not json', JSON.stringify({ id: 'x.1', abstract: 'No title.' }), sampleLines[4]].join('\n'));
    first = await run('build-index.ts', ['--corpus', corpus, '--out', out, '--cache', cache]);
  });

  it('builds the records it can read, reporting each bad one with file:line and the duplicate once', () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/arxiv-slice\.jsonl:201: error: /);
    expect(first.stderr).toMatch(/arxiv-slice\.jsonl:202: error: /);
    expect(first.stderr.match(/arxiv-slice\.jsonl:203: warning: .*duplicate/g)).toHaveLength(1);
    expect(first.stderr).toMatch(/Read 200 papers from .*arxiv-slice\.jsonl: 2 errors, 1 warning/);
    expect(first.stderr).toMatch(/Embedded 200 \(.* papers\/s on \d+ workers?/);
    expect(first.stderr).toMatch(/reused 0/);
    expect(first.stderr).toMatch(/Wall time [\d.]+ s, [\d.]+ papers\/s/);
    expect(first.stderr).toMatch(/Index: .*index \([\d.]+ MB\)/);
    const manifest = parseManifest(readFileSync(join(out, FILES.manifest)));
    expect(manifest.collection).toEqual({ name: 'arxiv-slice' });
    expect(manifest.count).toBe(200);
    const papers = JSON.parse(readFileSync(join(out, FILES.papers), 'utf8')) as Paper[];
    expect(papers.map((p) => p.id)).toEqual(sampleLines.slice(0, 200).map((line) => (JSON.parse(line) as { id: string }).id));
  });

  it('is searched with --index: query, --similar and --batch, the records’ own ids in every output', async () => {
    const query = await run('search.ts', ['--index', out, 'diphoton production at the Tevatron', '--k', '3']);
    expect(query.code, query.stderr).toBe(0);
    expect(query.stderr).toMatch(/Searching "arxiv-slice" in .* \(200 papers, bge-small-en-v1\.5 q8\)/);
    expect(query.stdout).toMatch(/^ +1 .*Calculation of prompt diphoton production/m);
    expect(query.stdout).toMatch(/^ +0704\.0001\b/m);

    const similar = await run('search.ts', ['--index', out, '--similar', '0704.0001', '--json', '--dims', '64', '--adaptive', '--k', '5']);
    expect(similar.code, similar.stderr).toBe(0);
    const { results } = JSON.parse(similar.stdout) as { results: { id: string }[] };
    expect(results).toHaveLength(5);
    for (const r of results) expect(r.id).toMatch(/^0704\.\d{4}$/);
    expect(results.map((r) => r.id)).not.toContain('0704.0001');

    const batch = join(dir, 'batch.jsonl');
    writeFileSync(batch, `${JSON.stringify({ id: 'q1', text: 'black hole horizons' })}\n${JSON.stringify({ id: 's1', similar: '0704.0002' })}\n`);
    const batched = await run('search.ts', ['--index', out, '--batch', batch, '--mode', 'semantic', '--k', '2']);
    expect(batched.code, batched.stderr).toBe(0);
    const lines = batched.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; results: { id: string }[] });
    expect(lines.map((l) => l.id)).toEqual(['q1', 's1']);
    for (const line of lines) for (const r of line.results) expect(r.id).toMatch(/^0704\.\d{4}$/);

    const missing = await run('search.ts', ['--index', join(dir, 'no-such-index'), 'anything']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/No index in .*no-such-index/);
  });

  it('builds the same corpus straight to format 3 from the cache, which finds an author’s papers and searches at d dims', async () => {
    const out3 = join(dir, 'index-f3');
    const built = await run('build-index.ts', ['--corpus', corpus, '--out', out3, '--cache', cache, '--format', '3']);
    expect(built.code, built.stderr).toBe(0);
    expect(built.stderr).toMatch(/Embedded 0, reused 200/);
    expect(built.stderr).toMatch(/Built format 3: 200 papers/);
    const { engine, papers } = await openFormat3Dir(out3);
    const author = (await papers.paper(0)).authors![0];
    const byName = await engine.searchText(nameParts(author).at(-1)!, null);
    expect(byName.authorMatches?.names).toContain(author);
    expect(byName.hits[0].author).toBeDefined();
    const dims = await run('search.ts', ['--index', out3, '--similar', '0704.0001', '--json', '--dims', '64', '--k', '5']);
    expect(dims.code, dims.stderr).toBe(0);
    expect((JSON.parse(dims.stdout) as { results: unknown[] }).results).toHaveLength(5);
  });

  it('rebuilds by embedding only the papers that changed; with all cached it loads no model at all', async () => {
    const grown = join(dir, 'arxiv-grown.jsonl');
    writeFileSync(grown, sampleLines.slice(0, 210).join('\n'));
    const added = await run('build-index.ts', ['--corpus', grown, '--out', out, '--cache', cache]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toMatch(/Embedded 10 \(/);
    expect(added.stderr).toMatch(/reused 200 \(cache /);
    expect(parseManifest(readFileSync(join(out, FILES.manifest))).count).toBe(210);

    // An empty models folder: loading the model would fail, so succeeding proves no model was loaded.
    const noModels = join(dir, 'no-models');
    mkdirSync(noModels);
    const renamed = await run('build-index.ts', ['--corpus', grown, '--out', out, '--cache', cache, '--name', 'April 2007', '--force'], {
      PAPERSIFT_MODELS_DIR: noModels,
    });
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stderr).toMatch(/Embedded 0, reused 210/);
    expect(parseManifest(readFileSync(join(out, FILES.manifest))).collection).toEqual({ name: 'April 2007' });

    const upToDate = await run('build-index.ts', ['--corpus', grown, '--out', out, '--cache', cache], { PAPERSIFT_MODELS_DIR: noModels });
    expect(upToDate.code, upToDate.stderr).toBe(0);
    expect(upToDate.stderr).toMatch(/Up to date: "April 2007", 210 papers/);
  });

  it('stopped with Ctrl-C mid-embedding, keeps what was embedded; the same command again embeds only the rest', async () => {
    const resumeCache = join(dir, 'resume-cache');
    const resumeOut = join(dir, 'resume-index');
    const slice = join(dir, 'arxiv-later.jsonl');
    writeFileSync(slice, sampleLines.slice(1000, 1048).join('\n'));
    const args = ['--corpus', slice, '--out', resumeOut, '--cache', resumeCache, '--workers', '1'];
    const build = start('build-index.ts', args);
    // Interrupt as soon as the first chunk is in the cache, while the others are still to embed.
    while (cachedRecords(resumeCache) === 0 && build.child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    build.child.kill('SIGINT');
    const stopped = await build.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/Interrupted: .*Run the same command again to resume/);
    expect(existsSync(join(resumeOut, FILES.manifest))).toBe(false);
    const kept = cachedRecords(resumeCache);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(48);

    const resumed = await run('build-index.ts', args);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`Embedded ${48 - kept} \\(.*reused ${kept} \\(cache `));
    expect(parseManifest(readFileSync(join(resumeOut, FILES.manifest))).count).toBe(48);
  });
});
