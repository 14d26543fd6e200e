/**
 * Storage that lasts: the footer says how much the site keeps and whether it is persistent, and two
 * tabs loading at once with an empty store (as after an eviction, which the page reports) (both downloading and storing the index, each in its own
 * worker) both end ready with the same results, leaving a store a reload reads without embedding.
 * How concurrent writes stay whole is unit-tested in src/store/artifact-store.test.ts. With no room to store
 * the index (a quota as small as a nearly full disk leaves), the page says so and a reload is not taken for
 * an eviction.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchProfile, limitStorage, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');
const QUERY = 'a neural network whose outputs point to positions in its own input sequence';

let profile: Profile;
const problems: PageProblems[] = [];

beforeAll(async () => {
  profile = await launchProfile();
});

afterAll(async () => {
  await profile?.close();
});

const topIds = (page: Page) => page.evaluate(async (text) => (await window.__papersift.search(text, { k: 10 })).hits.map((hit) => hit.paper.id), QUERY);

it('shows storage used, of what quota, and whether it is persistent', async () => {
  const { page } = profile;
  problems.push(watchProblems(page));
  await page.goto(site);
  await waitForReady(page);
  const line = page.locator('ps-storage-status p');
  await line.waitFor({ timeout: 30_000 });
  expect(await line.innerText()).toMatch(/^Stored on this device: [\d.]+ [KMGT]?B of [\d.]+ [KMGT]?B available · (not )?persistent/);
  expect(['true', 'false']).toContain(await line.getAttribute('data-persisted'));
  // Measured again once the engine is ready: the index (a few MB) is stored by then.
  await expect.poll(async () => Number(await line.getAttribute('data-storage-usage')), { timeout: 30_000 }).toBeGreaterThan(1e6);
});

it('two tabs loading at once with an empty store both end ready, with the same results', async () => {
  const first = profile.page;
  await first.evaluate(() => window.__papersift.clearStore());
  const second = await profile.context.newPage();
  problems.push(watchProblems(second));

  await Promise.all([first.reload(), second.goto(site)]);
  await Promise.all([waitForReady(first), waitForReady(second)]);
  // Whichever tab reaches the empty store first downloads and stores the set; the other either does the same
  // at once or, when it gets there after the first has stored it, reads that whole set back. Never a mix.
  const sources = [];
  for (const page of [first, second]) {
    const info = await page.evaluate(() => window.__papersift.stats());
    sources.push(info.source);
    expect(['network', 'indexeddb']).toContain(info.source);
    // A tab that found the store emptied as an eviction would says the index was lost and fetched again.
    if (info.source === 'network') await expect.poll(() => page.locator('.notice').innerText()).toMatch(/had cleared the stored search index/);
  }
  expect(sources).toContain('network');
  const ids = await topIds(first);
  expect(ids.length).toBe(10);
  expect(await topIds(second)).toEqual(ids);

  // What the two wrote at once is one whole set: a reload reads it back without embedding. (One tab:
  // two loading models at once on two cores would only slow the suite.)
  await second.close();
  await first.reload();
  await waitForReady(first);
  const info = await first.evaluate(() => window.__papersift.stats());
  expect(info.source).toBe('indexeddb');
  expect(info.counters.documentsEmbedded).toBe(0);
  expect(await first.locator('.notice').count()).toBe(0);
  expect(await topIds(first)).toEqual(ids);
  expect(problems.flatMap((p) => p.errors)).toEqual([]);
});

it('with no room to store the index, says so, searches, and does not call the next download an eviction', async () => {
  const full = await launchProfile();
  try {
    const page = full.page;
    const seen = watchProblems(page);
    // Too little for the index (~3 MB): the write is refused as on a nearly full disk.
    await limitStorage(full, site, 100 * 1024);
    await page.goto(site);
    await waitForReady(page);
    await expect.poll(() => page.locator('.notice').innerText()).toMatch(/could not be kept for the next visit: the browser has no room to store it/);
    expect(await topIds(page)).toHaveLength(10);

    await page.reload();
    await waitForReady(page);
    const info = await page.evaluate(() => window.__papersift.stats());
    expect(info.source).toBe('network');
    expect(info.indexKept).toBe(false);
    await expect.poll(() => page.locator('.notice').innerText()).toMatch(/could not be kept/);
    expect(await page.locator('.notice').innerText()).not.toMatch(/had cleared/);
    expect(seen.errors).toEqual([]);
  } finally {
    await full.close();
  }
});
