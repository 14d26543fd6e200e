/**
 * The built site on a free local port: `vite build` into a scratch folder, then `vite preview` (same
 * headers as production: COOP/COEP). Shared by the e2e tests and bench/browser.ts.
 *
 * `buildSite` + `startStaticHost` are the plainer deploy the e2e tests of hosting and updates need: any
 * base path, isolation headers on or off, and the served folder swappable under a running server (a
 * new deploy while a tab is open).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createSecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, resolve, sep } from 'node:path';
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

export interface SiteVariant {
  /** Another checkout of the site to build (bench/browser.ts builds an older version beside this one). */
  root?: string;
  /** Environment variables vite.config.ts reads while this build loads it, e.g. PAPERSIFT_LOAD_ORDER. */
  env?: Record<string, string>;
}

/** `extraPages`: more HTML entries (repo-relative), e.g. a benchmark page built with the app. */
export async function startSite(outDir: string, extraPages: string[] = [], variant: SiteVariant = {}): Promise<RunningSite> {
  checkSiteInputs();
  const root = variant.root ?? REPO_ROOT;
  const common: InlineConfig = { root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' };
  const input = extraPages.length ? [join(root, 'index.html'), ...extraPages.map((p) => join(root, p))] : undefined;
  const saved = Object.fromEntries(Object.keys(variant.env ?? {}).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variant.env);
  try {
    await build({ ...common, build: { outDir, emptyOutDir: true, rollupOptions: input ? { input } : {} } });
  } finally {
    for (const [name, value] of Object.entries(saved)) restoreEnv(name, value);
  }
  const port = await freePort();
  const server = await preview({ ...common, build: { outDir }, preview: { port, strictPort: true, host: '127.0.0.1' } });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.httpServer.close(() => done())),
  };
}

export interface BuildOptions {
  outDir: string;
  /** PAPERSIFT_BASE for this build, e.g. '/papersift/'; default '/'. */
  base?: string;
  /** PAPERSIFT_BUILD_ID: tells two deploys apart (and gives them different asset hashes). */
  buildId?: string;
  /** PAPERSIFT_ARTIFACTS: ship this artifact folder instead of public/artifacts. */
  artifacts?: string;
  /** Another checkout of the site to build (a bench's baseline); default this one. */
  root?: string;
}

/**
 * `npm run build` with these environment variables: vite.config.ts reads them when the build loads it.
 * Builds one at a time (the variables are process-wide).
 */
export async function buildSite({ outDir, base = '/', buildId = 'local', artifacts, root = REPO_ROOT }: BuildOptions): Promise<void> {
  checkSiteInputs();
  const saved = { base: process.env.PAPERSIFT_BASE, buildId: process.env.PAPERSIFT_BUILD_ID, artifacts: process.env.PAPERSIFT_ARTIFACTS };
  process.env.PAPERSIFT_BASE = base;
  process.env.PAPERSIFT_BUILD_ID = buildId;
  if (artifacts) process.env.PAPERSIFT_ARTIFACTS = artifacts;
  else delete process.env.PAPERSIFT_ARTIFACTS;
  try {
    await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  } finally {
    restoreEnv('PAPERSIFT_BASE', saved.base);
    restoreEnv('PAPERSIFT_BUILD_ID', saved.buildId);
    restoreEnv('PAPERSIFT_ARTIFACTS', saved.artifacts);
  }
}

/** A scratch folder for one build variant, next to the suite's main build (see global-setup.ts). */
export function variantDir(name: string): string {
  return `${process.env.PAPERSIFT_E2E_DIR ?? join(REPO_ROOT, '.cache', 'e2e-site')}-variants/${name}`;
}

export interface StaticHostOptions {
  /** The built site to serve. */
  root: string;
  /** Where the site lives on the host, e.g. '/papersift/'; default '/'. Nothing is served outside it. */
  base?: string;
  /** Send COOP/COEP (cross-origin isolation, WASM threads); hosts like GitHub Pages cannot. */
  isolation?: boolean;
  /**
   * Serve HTTPS with HTTP/2 (a self-signed certificate: the browser needs HTTPS_ARGS), as the common static hosts
   * do, instead of plain HTTP/1.1, where Chromium opens at most six connections to a host and queues the rest.
   */
  http2?: boolean;
  /**
   * The folders it serves are scratch builds (variantDir), removed when it closes: with the models each is
   * ~410 MB, every run builds them again, and eight left behind took 3.3 GB of a disk whose filling up failed CI.
   */
  scratch?: boolean;
}

export interface StaticHost extends RunningSite {
  /** `url` + `base`: where the site is. */
  siteUrl: string;
  /** Serves another folder from now on: a deploy. */
  serve(root: string): void;
  /** Answers paths matching `pattern` `ms` late from now on (a slow network for those files); no pattern: none late. */
  delay(pattern?: RegExp, ms?: number): void;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

/**
 * A static file server as plain as a static host: files or 404, no fallback page, no compression. Every
 * answer says `Cache-Control: no-cache` and carries no validator, so the browser's HTTP cache can never
 * stand in for a file the server stopped serving: whatever a page gets after a deploy comes from the
 * server or the service worker.
 */
export async function startStaticHost({ root, base = '/', isolation = false, http2 = false, scratch = false }: StaticHostOptions): Promise<StaticHost> {
  let served = resolve(root);
  const roots = new Set([served]);
  let late: { pattern: RegExp; ms: number } | undefined;
  const handle = (request: Request, response: Response) => {
    const wait = late && late.pattern.test(request.url ?? '') ? new Promise((done) => setTimeout(done, late!.ms)) : Promise.resolve();
    void wait.then(() => answer(served, base, isolation, request, response)).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  };
  const sessions = new Set<{ destroy(): void }>();
  const server = http2 ? createSecureServer({ ...(await selfSignedCertificate()), allowHTTP1: true }, handle) : createHttpServer(handle);
  server.on('session', (session) => (sessions.add(session), session.on('close', () => sessions.delete(session))));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('The static host has no port');
  const url = `${http2 ? 'https' : 'http'}://127.0.0.1:${address.port}/`;
  return {
    url,
    siteUrl: new URL(base, url).href,
    serve: (next) => roots.add((served = resolve(next))),
    delay: (pattern, ms = 0) => (late = pattern ? { pattern, ms } : undefined),
    close: () => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      for (const session of sessions) session.destroy();
      const closed = new Promise<void>((done) => server.close(() => done()));
      return scratch ? closed.then(() => Promise.all([...roots].map((dir) => rm(dir, { recursive: true, force: true })))).then(() => {}) : closed;
    },
  };
}

type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Chromium switches for a page on the HTTP/2 static host: its certificate is self-signed. */
export const HTTPS_ARGS = ['--ignore-certificate-errors'];

/** A certificate for 127.0.0.1, made once per machine with openssl (Node cannot make one) and kept in the temp folder. */
async function selfSignedCertificate(): Promise<{ key: Buffer; cert: Buffer }> {
  const dir = join(tmpdir(), 'papersift-static-host-tls');
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  if (!existsSync(cert)) {
    await mkdir(dir, { recursive: true });
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3650'];
    args.push('-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert);
    try {
      execFileSync('openssl', args, { stdio: 'ignore' });
    } catch (error) {
      throw new Error(`The HTTP/2 static host needs openssl for its certificate (apt-get install -y openssl): ${String(error)}`);
    }
  }
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

async function answer(root: string, base: string, isolation: boolean, request: Request, response: Response): Promise<void> {
  const headers: Record<string, string> = { 'Cache-Control': 'no-cache' };
  if (isolation) {
    headers['Cross-Origin-Opener-Policy'] = 'same-origin';
    headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
  }
  const path = decodeURIComponent(new URL(request.url ?? '/', 'http://host').pathname);
  let file = path.startsWith(base) ? resolve(root, `.${sep}${path.slice(base.length)}`) : undefined;
  if (file && !(file === root || file.startsWith(root + sep))) file = undefined;
  const info = file ? await stat(file).catch(() => undefined) : undefined;
  if (file && info?.isDirectory()) file = join(file, 'index.html');
  const found = file ? await stat(file).catch(() => undefined) : undefined;
  if (!file || !found?.isFile()) {
    response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('Not found');
    return;
  }
  response.writeHead(200, {
    ...headers,
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(found.size),
  });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
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
