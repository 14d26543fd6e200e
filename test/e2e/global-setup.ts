/**
 * Builds the site once and serves it on a free port for every e2e file.
 * PAPERSIFT_E2E_URL=http://host:port/ tests a site that is already running instead;
 * PAPERSIFT_E2E_DIR=<dir> builds into another folder (two suites at once must not share one).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { CHROMIUM } from './browser';
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
  const given = process.env.PAPERSIFT_E2E_URL;
  if (given) {
    project.provide('siteUrl', given.endsWith('/') ? given : `${given}/`);
    return async () => {};
  }
  const site = await startSite(process.env.PAPERSIFT_E2E_DIR ?? join(REPO_ROOT, '.cache', 'e2e-site'));
  project.provide('siteUrl', site.url);
  return () => site.close();
}
