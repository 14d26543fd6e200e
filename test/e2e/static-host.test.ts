/**
 * Any static host: the `npm run build` output served from a sub-path (PAPERSIFT_BASE=/papersift/) by a
 * plain file server that sends no COOP/COEP headers and speaks HTTPS with HTTP/2, as GitHub Pages would. The page is then not
 * cross-origin isolated (ONNX runs on one WASM thread) and must still search, install its service
 * worker for the sub-path, reload offline and offer an installable web app manifest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchProfile, untilOfflineReady, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';
import { buildSite, HTTPS_ARGS, startStaticHost, variantDir, type StaticHost } from './site-server';

const BASE = '/papersift/';
const QUERY = 'a neural network whose outputs point to positions in its own input sequence';

let host: StaticHost;
let profile: Profile;
let page: Page;
let problems: PageProblems;

beforeAll(async () => {
  const dir = variantDir('sub-path');
  await buildSite({ outDir: dir, base: BASE, buildId: 'sub-path' });
  host = await startStaticHost({ root: dir, base: BASE, isolation: false, http2: true, scratch: true });
  profile = await launchProfile(undefined, { extraArgs: HTTPS_ARGS });
  page = profile.page;
  problems = watchProblems(page);
});

afterAll(async () => {
  await profile?.close();
  await host?.close();
});

/** A file as the page gets it (Node's fetch refuses the host's self-signed certificate). */
async function pageFetch(url: string): Promise<{ status: number; contentType: string | null; body: Uint8Array }> {
  const got = await page.evaluate(async (href) => {
    const response = await fetch(href, { cache: 'no-store' });
    return { status: response.status, contentType: response.headers.get('content-type'), body: [...new Uint8Array(await response.arrayBuffer())] };
  }, url);
  return { ...got, body: new Uint8Array(got.body) };
}

async function searchShowsCards(): Promise<string[]> {
  const input = page.locator('input[type="search"]');
  await input.fill(QUERY);
  await input.press('Enter');
  await expect.poll(() => page.locator('[data-paper-id]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
  return page.locator('[data-paper-id]').evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
}

describe('a sub-path without isolation headers, over HTTP/2', () => {
  it('loads, runs on one thread and searches', async () => {
    const response = await page.goto(host.siteUrl);
    expect(response?.status()).toBe(200);
    expect(host.siteUrl).toMatch(/^https:/);
    expect(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('h2');
    expect(response?.headers()['cross-origin-embedder-policy']).toBeUndefined();
    await waitForReady(page);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(false);
    const info = await page.evaluate(() => window.__papersift.stats());
    expect(info.settings.numThreads).toBe(1);
    expect(info.source).toBe('network');
    expect(await searchShowsCards()).toContain('pointer-networks');
    expect(await page.evaluate(() => document.documentElement.dataset.build)).toBe('sub-path');
  });

  it('registers the service worker for the sub-path and precaches everything', async () => {
    await untilOfflineReady(page);
    const registration = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.ready;
      return { scope: r.scope, script: r.active?.scriptURL };
    });
    expect(registration).toEqual({ scope: host.siteUrl, script: `${host.siteUrl}sw.js` });
  });

  it('links an installable manifest whose icons load and are precached', async () => {
    const href = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifestUrl = new URL(href ?? '', host.siteUrl).href;
    expect(manifestUrl).toBe(`${host.siteUrl}manifest.webmanifest`);
    const manifest = JSON.parse(new TextDecoder().decode((await pageFetch(manifestUrl)).body)) as {
      name: string;
      short_name: string;
      start_url: string;
      scope: string;
      display: string;
      theme_color: string;
      background_color: string;
      icons: { src: string; sizes: string; type: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({ name: 'papersift', short_name: 'papersift', display: 'standalone' });
    expect(new URL(manifest.start_url, manifestUrl).href).toBe(host.siteUrl);
    expect(new URL(manifest.scope, manifestUrl).href).toBe(host.siteUrl);
    expect(manifest.theme_color).toBe('#4453c4');
    expect(manifest.background_color).toBe('#f6f6f3');

    const icons = manifest.icons.map((icon) => ({ ...icon, url: new URL(icon.src, manifestUrl).href }));
    expect(icons.map((icon) => `${icon.sizes} ${icon.purpose ?? 'any'}`).sort()).toEqual(['192x192 any', '512x512 any', '512x512 maskable']);
    for (const icon of icons) {
      const response = await pageFetch(icon.url);
      expect(response.status, icon.url).toBe(200);
      expect(response.contentType).toBe('image/png');
      expect(pngSize(response.body)).toBe(icon.sizes);
    }

    const cached = await page.evaluate(async () => {
      const urls: string[] = [];
      for (const name of await caches.keys()) {
        for (const request of await (await caches.open(name)).keys()) urls.push(request.url.replace(/\?.*$/, ''));
      }
      return urls;
    });
    for (const url of [manifestUrl, ...icons.map((icon) => icon.url)]) expect(cached).toContain(url);
  });

  it('reloads offline under the sub-path and searches from the stored index', async () => {
    await profile.context.setOffline(true);
    try {
      await page.reload();
      await waitForReady(page);
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      expect(page.url().startsWith(host.siteUrl)).toBe(true);
      const info = await page.evaluate(() => window.__papersift.stats());
      expect(info.source).toBe('indexeddb');
      expect(info.counters.documentsEmbedded).toBe(0);
      expect(await searchShowsCards()).toContain('pointer-networks');
      expect(problems.errors).toEqual([]);
    } finally {
      await profile.context.setOffline(false);
    }
  });
});

/** "WIDTHxHEIGHT" from a PNG's IHDR chunk, after checking the signature. */
function pngSize(bytes: Uint8Array): string {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((byte, i) => bytes[i] === byte)) return 'not a PNG';
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  return `${view.getUint32(16)}x${view.getUint32(20)}`;
}
