/**
 * When the shipped index does not fit the chosen model, the worker embeds the corpus itself, reports
 * progress, keeps the page responsive, stores the result, and a reload embeds nothing. The shipped
 * index is for bge-small; all-MiniLM-L6-v2 (6 layers) makes the rebuild short enough for a test.
 */
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { launchProfile, waitForReady, watchProblems, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');
const MODEL = 'all-MiniLM-L6-v2';

let profile: Profile;
let problems: PageProblems;

beforeAll(async () => {
  profile = await launchProfile();
  problems = watchProblems(profile.page);
  // The app keeps engine settings in localStorage; this is what choosing another model there does.
  await profile.context.addInitScript((modelId) => localStorage.setItem('papersift.settings', JSON.stringify({ modelId })), MODEL);
});

afterAll(async () => {
  await profile?.close();
});

it('rebuilds the index in the worker with progress, keeps the page responsive, and reuses it after a reload', async () => {
  const { page } = profile;
  await page.goto(site);
  await page.locator('papersift-app[data-status="indexing"]').waitFor({ timeout: 60_000 });
  await expect.poll(() => page.locator('ps-load-status').evaluate((el) => el.shadowRoot?.textContent ?? ''), { timeout: 60_000 }).toMatch(
    /Embedding papers: [1-9]\d* of \d+.*left/s,
  );

  // The page answers while the worker embeds: a round trip to it and typing both stay quick.
  const t0 = Date.now();
  await page.evaluate(() => performance.now());
  await page.locator('input[type="search"]').fill('typing during indexing');
  expect(Date.now() - t0).toBeLessThan(1000);
  expect(await page.locator('input[type="search"]').inputValue()).toBe('typing during indexing');

  await waitForReady(page, 360_000);
  const built = await page.evaluate(() => window.__papersift.stats());
  expect(built.settings.modelId).toBe(MODEL);
  expect(built.source).toBe('built');
  expect(built.counters.documentsEmbedded).toBe(built.corpus.count);
  expect(built.notice).toMatch(/rebuilt in this browser/);

  await page.locator('input[type="search"]').fill('a neural network whose outputs point to positions in its input');
  await page.locator('input[type="search"]').press('Enter');
  await expect.poll(() => page.locator('[data-paper-id]').count(), { timeout: 60_000 }).toBe(10);

  await page.reload();
  await waitForReady(page);
  const reused = await page.evaluate(() => window.__papersift.stats());
  expect(reused.source).toBe('indexeddb');
  expect(reused.counters.documentsEmbedded).toBe(0);
  expect(problems.errors).toEqual([]);
}, 420_000); // embedding 364 papers takes ~1.5 min on 2 idle cores, several on busy ones
