/**
 * Builds the site once and serves it on a free port for every e2e file.
 * PAPERSIFT_E2E_URL=http://host:port/ tests a site that is already running instead;
 * PAPERSIFT_E2E_DIR=<dir> builds into another folder (two suites at once must not share one).
 */
import { existsSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CHROMIUM, PROFILE_PREFIX } from './browser';
import { REPO_ROOT, startSite } from './site-server';

declare module 'vitest' {
  export interface ProvidedContext {
    siteUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Said once, in one line, rather than as playwright's launch error (with a stack) once per test file.
  if (!existsSync(CHROMIUM)) {
    console.error(`e2e: no Chromium at ${CHROMIUM}; install it with: apt-get install -y chromium (or set PAPERSIFT_CHROMIUM)`);
    process.exit(1);
  }
  sweepStaleProfiles();
  const free = freeBytes(tmpdir());
  if (free < MIN_FREE_BYTES) {
    console.error(
      `e2e: only ${(free / 1e9).toFixed(1)} GB free on the disk of ${tmpdir()}; the browser tests need ${MIN_FREE_BYTES / 1e9} GB ` +
        '(Chromium will not store the site for offline use with under ~1 GB free, and the offline tests then fail). Free some disk space and run again.',
    );
    process.exit(1);
  }
  const given = process.env.PAPERSIFT_E2E_URL;
  if (given) {
    project.provide('siteUrl', given.endsWith('/') ? given : `${given}/`);
    return async () => {};
  }
  const site = await startSite(process.env.PAPERSIFT_E2E_DIR ?? join(REPO_ROOT, '.cache', 'e2e-site'));
  project.provide('siteUrl', site.url);
  return () => site.close();
}

/**
 * Chromium keeps about 1 GB of the disk free and refuses a site's storage below that: the service worker's
 * precache then fails and every offline test with it (CI hit this with the disk nearly full). Above that the
 * suite needs room for its builds (the site and up to two scratch variants at once, ~410 MB each with the
 * models) and its profiles' stored models and indexes.
 */
const MIN_FREE_BYTES = 3e9;

function freeBytes(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

/** A run killed mid-test leaves its browser profiles (~10–70 MB each); those hours old are nobody's now. */
const STALE_PROFILE_MS = 3 * 60 * 60 * 1000;

function sweepStaleProfiles(): void {
  const dir = tmpdir();
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(PROFILE_PREFIX)) continue;
    const path = join(dir, name);
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_PROFILE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours to remove: left alone.
    }
  }
}
