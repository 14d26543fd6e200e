/**
 * What a format-3 file costs a worker to fetch from a static host, through the browser's HTTP cache and past it
 * (`cache: 'no-store'`, what src/store/chunk-store.ts asks): the set's text shards fetched from a dedicated worker
 * in batches (a search's hits land on ~10 shards, asked at once), the two ways alternating batch by batch, each
 * file fetched once (a search's shards are new to the page). Headless Chromium, bench host as bench/search-ab.ts.
 *
 *   npx tsx bench/fetch-cache.ts [--set .cache/scale/10000/artifacts-f3] [--files 400] [--batch 10] [--offset 0] [--host static|memory]
 *
 * --host memory: the files served from memory by a bare Node server (no stat, no file read per request) instead of
 * the bench's static host, to see how much of a batch's time is the host's.
 */
import '../src/cli/node-env';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { launchProfile } from '../test/e2e/browser';
import { startStaticHost } from '../test/e2e/site-server';

const { values } = parseArgs({
  options: {
    set: { type: 'string', default: '.cache/scale/10000/artifacts-f3' },
    files: { type: 'string', default: '400' },
    batch: { type: 'string', default: '10' },
    offset: { type: 'string', default: '0' },
    host: { type: 'string', default: 'static' },
  },
});
const root = mkdtempSync(join(tmpdir(), 'fetch-cache-'));
symlinkSync(resolve(values.set), join(root, 'set'));
writeFileSync(join(root, 'index.html'), '<!doctype html><title>fetch-cache</title>');
writeFileSync(
  join(root, 'worker.js'),
  `onmessage = async (e) => {
  const { names, base, batch } = e.data;
  const out = { http: [], noStore: [] };
  for (let i = 0, b = 0; i < names.length; i += batch, b++) {
    const way = b % 2 === 0 ? 'http' : 'noStore';
    const started = performance.now();
    await Promise.all(names.slice(i, i + batch).map(async (name) => {
      const response = await fetch(new URL(name, base), way === 'noStore' ? { cache: 'no-store' } : undefined);
      await response.arrayBuffer();
    }));
    out[way].push(performance.now() - started);
  }
  postMessage(out);
};`,
);
const load = [loadavg()[0]];
const host = values.host === 'memory' ? await memoryHost(root) : await startStaticHost({ root });
const profile = await launchProfile();
try {
  await profile.page.goto(host.siteUrl);
  const batch = Number(values.batch);
  const names = Array.from({ length: Number(values.files) }, (_, i) => `set/papers/p-${Number(values.offset) + i}.json`);
  const got = await profile.page.evaluate(
    ({ names, base, batch }) =>
      new Promise<{ http: number[]; noStore: number[] }>((done) => {
        const worker = new Worker('worker.js');
        worker.onmessage = (e) => done(e.data);
        worker.postMessage({ names, base, batch });
      }),
    { names, base: host.siteUrl, batch },
  );
  load.push(loadavg()[0]);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const [http, noStore] = [median(got.http), median(got.noStore)];
  console.log(
    `${names.length} text shards in batches of ${batch}, load ${load.map((l) => l.toFixed(1)).join(' → ')}: a batch through the HTTP cache ${http.toFixed(1)} ms, ` +
      `past it ${noStore.toFixed(1)} ms (p50 of ${got.http.length} / ${got.noStore.length} batches; ratio ${(noStore / http).toFixed(2)})`,
  );
} finally {
  await profile.close();
  await host.close();
}

/** Every file a run asks for, read once into memory and answered from there. */
async function memoryHost(root: string): Promise<{ siteUrl: string; close: () => Promise<void> }> {
  const held = new Map<string, Buffer>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://host').pathname.slice(1) || 'index.html';
    let bytes = held.get(path);
    if (!bytes) {
      try {
        bytes = readFileSync(join(root, path));
      } catch {
        response.writeHead(404).end();
        return;
      }
      held.set(path, bytes);
    }
    const type = path.endsWith('.html') ? 'text/html' : path.endsWith('.js') ? 'text/javascript' : 'application/json';
    response.writeHead(200, { 'Content-Type': type, 'Content-Length': String(bytes.byteLength), 'Cache-Control': 'no-cache' }).end(bytes);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  // Held before the run: the timed requests cost the host nothing but the answer.
  for (let i = 0; i < Number(values.files); i++) held.set(`set/papers/p-${Number(values.offset) + i}.json`, readFileSync(join(root, `set/papers/p-${Number(values.offset) + i}.json`)));
  return { siteUrl: `http://127.0.0.1:${address.port}/`, close: () => (server.closeAllConnections(), new Promise<void>((done) => server.close(() => done()))) };
}
