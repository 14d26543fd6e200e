/**
 * Offline use: after one online visit the service worker (vite-plugin-pwa, see vite.config.ts) holds the
 * app, the ORT wasm, the default model and the index, so a reload without any network still searches.
 * A fresh browser profile of its own: site.test.ts must keep testing a first visit without a worker.
 * And when the browser will not store that copy (a nearly full disk), the page says so and still searches.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations } from './a11y';
import { launchProfile, limitStorage, untilServiceWorkerControls, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');

/** From site.test.ts: the paper must be in the top 3. */
const QUERY = 'a neural network whose outputs point to positions in its own input sequence';
const PAPER = 'pointer-networks';

let profile: Profile;
let page: Page;
let problems: PageProblems;

const search = () => page.locator('input[type="search"]');
const cards = () => page.locator('[data-paper-id]');

async function shownIds(what: RegExp | string): Promise<string[]> {
  await expect.poll(() => page.locator('.summary').first().textContent(), { timeout: 60_000 }).toMatch(what);
  return cards().evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
}

beforeAll(async () => {
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
});

afterAll(async () => {
  await profile?.close();
});

describe('offline', () => {
  it('says so once the service worker has precached the site and controls the page', async () => {
    await page.goto(site);
    await waitForReady(page);
    // Installing precaches the app and the ORT wasm (~20 MB); the worker then claims the open page (clientsClaim).
    await untilServiceWorkerControls(page);
    expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');
    expect(await page.locator('[data-offline="ready"]').innerText()).toMatch(/available offline/i);
  });

  it('reloads without a network, searches and finds similar papers', async () => {
    await profile.context.setOffline(true);
    try {
      await page.reload();
      await waitForReady(page);
      expect(await page.evaluate(() => navigator.onLine)).toBe(false);
      const info = await page.evaluate(() => window.__papersift.stats());
      expect(info.source).toBe('indexeddb');
      expect(info.counters.documentsEmbedded).toBe(0);

      await search().fill(QUERY);
      await search().press('Enter');
      const ids = await shownIds(QUERY.slice(0, 40));
      expect(ids.slice(0, 3)).toContain(PAPER);

      await page.locator(`[data-paper-id="${PAPER}"]`).locator('[data-action="similar"]').click();
      const similar = await shownIds(/similar to/i);
      expect(similar.length).toBe(10);
      expect(similar).not.toContain(PAPER);
      expect(problems.errors).toEqual([]);
    } finally {
      await profile.context.setOffline(false);
    }
  });
});

describe('a disk too full for the offline copy', () => {
  let full: Profile;
  let fullPage: Page;
  let fullProblems: PageProblems;

  beforeAll(async () => {
    full = await launchProfile();
    fullPage = full.page;
    fullProblems = watchProblems(fullPage);
    // Too little for the ~20 MB precache.
    await limitStorage(full, site, 8 * 1024 * 1024);
  });

  afterAll(async () => {
    await full?.close();
  });

  it('still searches, and says the site was not saved for offline use, why, and what to do', async () => {
    await fullPage.goto(site);
    await waitForReady(fullPage);
    const failed = fullPage.locator('[data-offline="failed"]');
    await failed.waitFor({ timeout: 120_000 });
    expect(await failed.innerText()).toMatch(/not saved for offline use: the browser could not store it.*disk is nearly full.*free some disk space, then reload/i);
    expect(await fullPage.locator('[data-offline="ready"]').count()).toBe(0);
    expect(await fullPage.evaluate(() => navigator.serviceWorker.controller)).toBeNull();
    // The quota Chromium reports comes from the disk's size; beside "the disk is nearly full" it is left out.
    const storage = fullPage.locator('ps-storage-status p');
    await expect.poll(() => storage.innerText()).toMatch(/^Stored on this device: [\d.]+ [KMGT]?B · /);

    await fullPage.locator('input[type="search"]').fill(QUERY);
    await fullPage.locator('input[type="search"]').press('Enter');
    await expect.poll(() => fullPage.locator('.summary').first().textContent(), { timeout: 60_000 }).toMatch(QUERY.slice(0, 40));
    const ids = await fullPage.locator('[data-paper-id]').evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
    expect(ids.slice(0, 3)).toContain(PAPER);
    // The note is read out once (role=status) and, like the rest of the footer, passes axe.
    expect(await failed.getAttribute('role')).toBe('status');
    expect(await axeViolations(fullPage)).toEqual([]);
    expect(fullProblems.errors).toEqual([]);
  });
});

describe('a host that does not serve the offline worker', () => {
  it('says the offline worker could not be loaded, and still searches', async () => {
    const bare = await launchProfile();
    try {
      const seen = watchProblems(bare.page);
      await bare.context.route(/\/sw\.js$/, (route) => route.fulfill({ status: 404, body: 'not found' }));
      await bare.page.goto(site);
      await waitForReady(bare.page);
      const failed = bare.page.locator('[data-offline="failed"]');
      await failed.waitFor({ timeout: 60_000 });
      expect(await failed.innerText()).toMatch(/offline worker could not be loaded.*Search works while online/);
      expect(await bare.page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
      expect((await bare.page.evaluate((text) => window.__papersift.search(text, { k: 10 }), QUERY)).hits.length).toBe(10);
      // Chromium logs the failed registration itself; nothing else may go wrong.
      expect(seen.errors.filter((error) => !/ServiceWorker|sw\.js|404/.test(error))).toEqual([]);
    } finally {
      await bare.close();
    }
  });
});

describe('room for the app but not for the model', () => {
  it('says offline use is keyword search only, and an offline reload keeps that promise', async () => {
    const tight = await launchProfile();
    try {
      const tightPage = tight.page;
      const seen = watchProblems(tightPage);
      // Enough for the index (~3 MB) and the precache (~18 MB), not for the weights (~34 MB) beside them.
      await limitStorage(tight, site, 30 * 1024 * 1024);
      await tightPage.goto(site);
      await waitForReady(tightPage);
      const note = tightPage.locator('[data-offline]');
      await note.waitFor({ timeout: 120_000 });
      expect(await note.getAttribute('data-offline')).toBe('partial');
      expect(await note.innerText()).toMatch(/keyword search only: the browser could not store the language model/);
      expect((await tightPage.evaluate(() => window.__papersift.stats())).modelKept).toBe(false);

      await tight.context.setOffline(true);
      try {
        await tightPage.reload();
        // The model cannot load offline; the page says so, and keyword search answers from the stored index.
        await tightPage.locator('papersift-app[data-status="error"]').waitFor({ timeout: 120_000 });
        const info = await tightPage.evaluate(() => window.__papersift.stats());
        expect(info.source).toBe('indexeddb');
        const keyword = await tightPage.evaluate((text) => window.__papersift.search(text, { k: 10, mode: 'lexical' }), 'pointer networks');
        expect(keyword.hits.map((hit) => hit.paper.id)).toContain(PAPER);
      } finally {
        await tight.context.setOffline(false);
      }
      expect(seen.errors.filter((error) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|model/i.test(error))).toEqual([]);
    } finally {
      await tight.close();
    }
  });
});
