/**
 * Offline use: after one online visit the service worker (vite-plugin-pwa, see vite.config.ts) holds the
 * app, the ORT wasm, the default model and the index, so a reload without any network still searches.
 * A fresh browser profile of its own: site.test.ts must keep testing a first visit without a worker.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchProfile, untilServiceWorkerControls, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

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
    await page.locator('[data-offline="ready"]').waitFor({ timeout: 120_000 });
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
