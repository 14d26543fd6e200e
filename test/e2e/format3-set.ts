/**
 * A synthetic format-3 set for the browser tests: `generate-corpus` (real-shaped text, clustered vectors)
 * merged with `build-index --merge … --format 3`. Kept in .cache/e2e-scale/<papers>-<formats>/ (the key
 * changes when any format-3 part changes its version), so each size is generated and merged once per
 * format change.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../src/cli/node-env';
import { FORMAT3_VECTORS_VERSION, FORMAT3_VERSION } from '../../src/core/format3/manifest';
import { PAPERS_FORMAT } from '../../src/core/format3/papers';
import { ANALYZER } from '../../src/core/lexical/analyzer';
import { CHUNKED_LEXICAL_FORMAT } from '../../src/core/lexical/chunked';
import { launchProfile, watchProblems, type Page, type PageProblems, type Profile } from './browser';
import { buildSite, startStaticHost, variantDir, type StaticHost } from './site-server';

const FORMATS = `f${FORMAT3_VERSION}-v${FORMAT3_VECTORS_VERSION}-p${PAPERS_FORMAT}-l${CHUNKED_LEXICAL_FORMAT}-${ANALYZER}`;

async function cli(args: string[]): Promise<void> {
  try {
    // Without blocking this worker (a blocked worker misses vitest's RPC deadlines).
    await promisify(execFile)(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`${args[0]} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
}

/**
 * The folder of a synthetic format-3 set of `papers` papers in `shards` shards, merged with `mergeArgs` (build-index
 * flags, e.g. --head-dims): kept from an earlier run, or generated and merged now.
 */
export async function syntheticFormat3Set(papers: number, shards: number, mergeArgs: string[] = []): Promise<string> {
  const dir = join(REPO_ROOT, '.cache', 'e2e-scale', [`${papers}-${FORMATS}`, ...mergeArgs.map((arg) => arg.replace(/^-+/, ''))].join('-'));
  const out = join(dir, 'index');
  if (existsSync(join(out, 'manifest.json'))) return out;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await cli(['src/cli/generate-corpus.ts', '--papers', String(papers), '--out', dir, '--shards', String(shards), '--seed', '1']);
  await cli(['src/cli/build-index.ts', '--merge', join(dir, 'embeddings'), '--out', out, '--format', '3', '--name', `Synthetic ${papers}`, ...mergeArgs]);
  // The corpus was only the merge's input.
  rmSync(join(dir, 'embeddings'), { recursive: true, force: true });
  rmSync(join(dir, 'corpus.jsonl'), { force: true });
  return out;
}

/** A format-3 set's site, served and open in a fresh browser profile. */
export interface ServedFormat3Site {
  host: StaticHost;
  profile: Profile;
  page: Page;
  problems: PageProblems;
  /** Artifact paths the browser asked the server for (the page and its worker), in order; a test may empty it. */
  requested: string[];
}

/** Builds the site for the set in `index` into the variant folder `variant`, serves it cross-origin isolated, and opens a profile on it (the page not loaded yet). */
export async function serveFormat3Site(index: string, variant: string): Promise<ServedFormat3Site> {
  const outDir = variantDir(variant);
  await buildSite({ outDir, artifacts: index });
  const host = await startStaticHost({ root: outDir, isolation: true, scratch: true });
  const profile = await launchProfile();
  const requested: string[] = [];
  profile.context.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/artifacts/')) requested.push(path);
  });
  return { host, profile, page: profile.page, problems: watchProblems(profile.page), requested };
}
