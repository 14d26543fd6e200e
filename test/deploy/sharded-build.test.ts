/**
 * Runs the Kubernetes manifest's own commands here: its embed command as 4 local processes (shard index from
 * JOB_COMPLETION_INDEX, as Kubernetes sets it) and as 1, then its merge command on each shard folder. Both
 * builds must give the same index and the same search results; a broken shard set must be refused.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndexArgs, option, readBuildJobs } from './kubernetes-manifest';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '..', '..');
const SAMPLE = resolve(REPO, '..', 'shared', 'corpora', 'arxiv-oai-sample.jsonl');
const PAPERS = 24;

let dir: string;

/** `npm run build-index -- ARGS` in the repository, as the manifest's containers run it; stdout+stderr and the exit code. */
async function buildIndex(args: string[], env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'build-index', '--', ...args], { cwd: REPO, env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** The manifest's paths, moved into this test's folder. */
function localArgs(args: string[], shards: string, artifacts: string): string[] {
  const paths: Record<string, string> = { '/data/corpus/corpus.jsonl': join(dir, 'corpus.jsonl'), '/data/shards': shards, '/data/artifacts': artifacts };
  return args.map((a) => paths[a] ?? a);
}

async function shardedBuild(count: number): Promise<string> {
  const { embed, merge } = readBuildJobs();
  const shards = join(dir, `shards-${count}`);
  const artifacts = join(dir, `artifacts-${count}`);
  const embedArgs = localArgs(buildIndexArgs(embed.spec.template.spec.containers[0]), shards, artifacts);
  // Each build embeds for itself (its own empty cache), so agreement is not the cache's doing.
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      buildIndex(embedArgs, { JOB_COMPLETION_INDEX: String(i), PAPERSIFT_SHARD_COUNT: String(count), PAPERSIFT_EMBED_CACHE: join(dir, `cache-${count}`) }),
    ),
  );
  for (const r of results) expect(r.output).toMatch(/Shard \d+\/\d+: \d+ papers, embedded \d+/);
  for (const r of results) expect(r.code).toBe(0);
  const merged = await buildIndex(localArgs(buildIndexArgs(merge.spec.template.spec.containers[0]), shards, artifacts), {});
  expect(merged.code, merged.output).toBe(0);
  expect(merged.output).toMatch(new RegExp(`Merged: ${PAPERS} papers from ${count} shard`));
  return artifacts;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'papersift-shards-'));
  const lines = readFileSync(SAMPLE, 'utf8').split('\n').slice(0, PAPERS);
  writeFileSync(join(dir, 'corpus.jsonl'), `${lines.join('\n')}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a sharded build, run with the Kubernetes manifest\'s commands', () => {
  let one: string;
  let four: string;

  it('gives the same index from 4 shard processes as from 1', async () => {
    [four, one] = [await shardedBuild(4), await shardedBuild(1)];
    const manifest = (d: string) => JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as { files: Record<string, { sha256: string }>; count: number; collection?: { name: string } };
    expect(manifest(four).count).toBe(PAPERS);
    expect(manifest(four).collection?.name).toBe(option(buildIndexArgs(readBuildJobs().merge.spec.template.spec.containers[0]), '--name'));
    // Every file (papers, vectors, rotation, graphs, keyword index) has the same bytes.
    expect(manifest(four).files).toEqual(manifest(one).files);
  }, 600_000);

  it('answers a query the same way from both', async () => {
    const search = async (index: string) => {
      const { stdout } = await run('npm', ['run', '--silent', 'search', '--', '--index', index, 'quark gluon plasma', '--json', '--k', '5'], { cwd: REPO, maxBuffer: 1 << 24 });
      return JSON.parse(stdout) as { query: string; results: { id: string; title: string; score: number }[] };
    };
    const [a, b] = [await search(four), await search(one)];
    expect(a.results.length).toBe(5);
    expect(a).toEqual(b);
    for (const hit of a.results) expect(hit.id).toMatch(/^0704\.\d{4}$/); // the records' own arXiv ids
  }, 300_000);

  it('refuses a set with a shard missing, or a shard from another model, saying which', async () => {
    const shards = join(dir, 'shards-4');
    const out = join(dir, 'refused');
    const header = join(shards, 'shard-00002-of-00004.json');
    const original = readFileSync(header, 'utf8');
    rmSync(header);
    const missing = await buildIndex(['--merge', shards, '--out', out], {});
    expect(missing.code).not.toBe(0);
    expect(missing.output).toMatch(/Missing shard 2\/4/);
    writeFileSync(header, original.replace('"bge-small-en-v1.5"', '"all-MiniLM-L6-v2"'));
    const other = await buildIndex(['--merge', shards, '--out', out], {});
    expect(other.code).not.toBe(0);
    expect(other.output).toMatch(/shard-00002-of-00004\.json was made with another model.*model id: shard has all-MiniLM-L6-v2/);
    expect(readdirSync(dir)).not.toContain('refused');
    writeFileSync(header, original);
  }, 120_000);
});
