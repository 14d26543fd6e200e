/**
 * The built site on a free local port: `vite build` into a scratch folder, then `vite preview` (same
 * headers as production: COOP/COEP). Shared by the e2e tests and bench/browser.ts.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { build, preview, type InlineConfig } from 'vite';
import { DEFAULT_MODEL_ID } from '../../src/core/models';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

export interface RunningSite {
  /** Ends in '/'. */
  url: string;
  close(): Promise<void>;
}

/** Fails early, naming the command that fixes it, when the site lacks what it serves. */
export function checkSiteInputs(): void {
  const missing = [
    [`public/models/${DEFAULT_MODEL_ID}/config.json`, 'npm run setup'],
    ['public/ort', 'npm run setup'],
    ['public/artifacts/manifest.json', 'npm run build-index'],
  ].filter(([path]) => !existsSync(join(REPO_ROOT, path)));
  if (missing.length > 0) {
    throw new Error(`The site is not ready to serve; missing: ${missing.map(([p, fix]) => `${p} (${fix})`).join(', ')}`);
  }
}

/** `extraPages`: more HTML entries (repo-relative), e.g. a benchmark page built with the app. */
export async function startSite(outDir: string, extraPages: string[] = []): Promise<RunningSite> {
  checkSiteInputs();
  const common: InlineConfig = { root: REPO_ROOT, configFile: join(REPO_ROOT, 'vite.config.ts'), logLevel: 'warn' };
  const input = extraPages.length ? [join(REPO_ROOT, 'index.html'), ...extraPages.map((p) => join(REPO_ROOT, p))] : undefined;
  await build({ ...common, build: { outDir, emptyOutDir: true, rollupOptions: input ? { input } : {} } });
  const port = await freePort();
  const server = await preview({ ...common, build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1' } });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.httpServer.close(() => done())),
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no free port'))));
    });
  });
}
