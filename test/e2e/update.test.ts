/**
 * A new deploy while a tab is open: the tab keeps running its own version (its service worker still
 * serves the old files, which the server no longer has), is offered the new one, and switches on
 * Reload, after which the old precache entries are gone. Versions A and B differ only in their build id,
 * which is enough to give the entry chunk and index.html new hashes.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchProfile, untilOfflineReady, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';
import { buildSite, startStaticHost, variantDir, type StaticHost } from './site-server';

const QUERY = 'a neural network whose outputs point to positions in its own input sequence';

let host: StaticHost;
let profile: Profile;
let page: Page;
let problems: PageProblems;
const deploy = { a: variantDir('update-a'), b: variantDir('update-b') };
/** Asset paths (site-relative) that only version A has: what B's worker must not keep. */
let onlyInA: string[];
let onlyInB: string[];

beforeAll(async () => {
  await buildSite({ outDir: deploy.a, buildId: 'A' });
  await buildSite({ outDir: deploy.b, buildId: 'B' });
  const [a, b] = await Promise.all([assets(deploy.a), assets(deploy.b)]);
  onlyInA = a.filter((path) => !b.includes(path));
  onlyInB = b.filter((path) => !a.includes(path));
  // Production-like headers here; static-host.test.ts covers a host without them.
  host = await startStaticHost({ root: deploy.a, isolation: true, scratch: true });
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
});

afterAll(async () => {
  await profile?.close();
  await host?.close();
});

async function assets(dir: string): Promise<string[]> {
  return (await readdir(join(dir, 'assets'))).map((name) => `assets/${name}`);
}

async function searchShowsCards(): Promise<void> {
  const input = page.locator('input[type="search"]');
  await input.fill(QUERY);
  await input.press('Enter');
  await expect.poll(() => page.locator('[data-paper-id]').count(), { timeout: 60_000 }).toBeGreaterThan(0);
  expect(await page.locator('[data-paper-id="pointer-networks"]').count()).toBe(1);
}

const build = () => page.evaluate(() => document.documentElement.dataset.build);

/** Status of a site path fetched by the page, i.e. through its service worker. */
const pageFetchStatus = (path: string) => page.evaluate(async (url) => (await fetch(url)).status, host.siteUrl + path);

async function cachedUrls(): Promise<string[]> {
  return page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
  });
}

describe('a new deploy while a tab is open', () => {
  it('the two builds differ in their entry chunk', () => {
    expect(onlyInA.some((path) => /assets\/index-.*\.js$/.test(path))).toBe(true);
    expect(onlyInB.length).toBeGreaterThan(0);
  });

  it('version A installs its worker, which controls the page at once', async () => {
    await page.goto(host.siteUrl);
    await waitForReady(page);
    await untilOfflineReady(page);
    await page.waitForFunction(() => navigator.serviceWorker.controller?.state === 'activated', undefined, { timeout: 30_000 });
    expect(await build()).toBe('A');
    expect(await cachedUrls()).toEqual(expect.arrayContaining(onlyInA.map((path) => host.siteUrl + path)));
  });

  it('after B is deployed the open tab keeps running A, offers B, and still searches', async () => {
    host.serve(deploy.b);
    for (const path of onlyInA) expect((await fetch(host.siteUrl + path)).status, path).toBe(404);

    // What the page does hourly and when it becomes visible again.
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    await page.locator('ps-update-notice [data-update="available"]').waitFor({ timeout: 120_000 });
    expect(await page.locator('ps-update-notice [data-update="available"]').innerText()).toMatch(/A new version is available\s*Reload/);

    expect(await build()).toBe('A');
    // A's files, gone from the server, still come from A's worker.
    for (const path of onlyInA) expect(await pageFetchStatus(path), path).toBe(200);
    await searchShowsCards();
    const waiting = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting?.state);
    expect(waiting).toBe('installed');
  });

  it('Reload switches to B, whose worker has dropped what only A had', async () => {
    await page.locator('ps-update-notice button').click();
    await page.waitForFunction(() => document.documentElement.dataset.build === 'B', undefined, { timeout: 60_000 });
    await waitForReady(page);
    expect(await page.locator('ps-update-notice').count()).toBe(0);

    const registration = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration();
      return { waiting: r?.waiting ?? null, controller: navigator.serviceWorker.controller?.state };
    });
    expect(registration).toEqual({ waiting: null, controller: 'activated' });

    const cached = await cachedUrls();
    for (const path of onlyInA) expect(cached, path).not.toContain(host.siteUrl + path);
    expect(cached).toEqual(expect.arrayContaining(onlyInB.map((path) => host.siteUrl + path)));
    // index.html is precached by revision; only B's is left.
    expect(cached.filter((url) => url.includes('/index.html')).length).toBe(1);

    await searchShowsCards();
    expect(problems.errors).toEqual([]);
    // Last: Chromium reports a 404 on the console.
    for (const path of onlyInA) expect(await pageFetchStatus(path), path).toBe(404);
  });
});
