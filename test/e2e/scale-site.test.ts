/**
 * Issue #13's check of a large site: a 20k-paper synthetic corpus (`generate-corpus`, 4 shards) merged
 * into a format-3 set (`build-index --merge … --format 3`), the site built with PAPERSIFT_ARTIFACTS, in
 * headless Chromium: first results, similar, a filter, a shard fetched on demand and then served from
 * IndexedDB with the network off, a damaged stored shard fetched again rather than used, and the map's sample.
 *
 * The corpus and the set are kept in .cache/e2e-scale/<formats>/ (the key changes when any format-3 part
 * changes its version), so CI generates and merges once per format change. PAPERSIFT_E2E_SCALE_INDEX=DIR
 * uses a format-3 set built elsewhere; PAPERSIFT_E2E_SCALE_PAPERS=N another size.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAP_SAMPLE_POINTS } from '../../src/core/format3/map-sample';
import type { PapersSection } from '../../src/core/format3/papers';
import type { Paper } from '../../src/core/types';
import { axeViolations } from './a11y';
import { untilServiceWorkerControls, waitForReady, type Page, type PageProblems, type Profile } from './browser';
import { serveFormat3Site, syntheticFormat3Set } from './format3-set';
import type { StaticHost } from './site-server';

const PAPERS = Number(process.env.PAPERSIFT_E2E_SCALE_PAPERS ?? 20_000);

/** The format-3 set: given, or the synthetic one (format3-set.ts). */
function scaleIndex(): Promise<string> {
  return process.env.PAPERSIFT_E2E_SCALE_INDEX ? Promise.resolve(process.env.PAPERSIFT_E2E_SCALE_INDEX) : syntheticFormat3Set(PAPERS, 4);
}

let index: string;
let host: StaticHost;
let profile: Profile;
let page: Page;
let problems: PageProblems;
let papers: PapersSection;
/** A paper of the set, read from its first text shard on disk, and that shard's URL path. */
let known: Paper;
let knownShard: string;
/** Artifact paths the browser asked the server for (the page and its worker), in order. */
let requested: string[];

const cards = () => page.locator('[data-paper-id]');
const cardIds = () => cards().evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
const stats = () => page.evaluate(() => window.__papersift.stats());

/** Waits until the results on screen answer `summary` and are no longer the stale list. */
async function resultsFor(summary: RegExp): Promise<string[]> {
  await expect.poll(() => page.locator('.summary').first().innerText(), { timeout: 60_000 }).toMatch(summary);
  await expect.poll(() => page.locator('ps-result-list.stale').count(), { timeout: 60_000 }).toBe(0);
  await expect.poll(() => cards().count(), { timeout: 30_000 }).toBeGreaterThan(0);
  return cardIds();
}

/**
 * Searches and returns the ids on screen. Synthetic titles are recombined from a few hundred real ones, so a
 * paper's own title finds it among the first ten, not always first.
 */
async function searchFor(text: string): Promise<string[]> {
  await page.locator('input[type="search"]').fill(text);
  await page.locator('input[type="search"]').press('Enter');
  return resultsFor(new RegExp(`“${text.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
}

beforeAll(async () => {
  index = await scaleIndex();
  const manifest = JSON.parse(readFileSync(join(index, 'manifest.json'), 'utf8')) as { formatVersion: number; count: number; papers: PapersSection };
  expect(manifest.formatVersion).toBe(3);
  papers = manifest.papers;
  // The last paper of the first text shard: a row the first searches are unlikely to have fetched.
  const shardName = `${papers.shards.prefix}0${papers.shards.ext}`;
  const first = JSON.parse(readFileSync(join(index, shardName), 'utf8')) as Paper[];
  known = first[first.length - 1];
  knownShard = `/artifacts/${shardName}`;
  ({ host, profile, page, problems, requested } = await serveFormat3Site(index, 'scale'));
}, 1_800_000);

afterAll(async () => {
  await profile?.close();
  await host?.close();
});

describe(`a ${PAPERS}-paper site on format 3`, () => {
  it('answers a first query, fetching only some of the set', async () => {
    await page.goto(host.siteUrl);
    await waitForReady(page);
    const info = await stats();
    expect(info.corpus.count).toBe(JSON.parse(readFileSync(join(index, 'manifest.json'), 'utf8')).count);
    expect(info.source).toBe('network');
    const ids = await searchFor(known.title);
    expect(ids).toContain(known.id);
    // Ready means the model has loaded: the query was embedded and the answer is hybrid.
    expect((await stats()).counters.queriesEmbedded).toBeGreaterThan(0);
    // Text shards are fetched for the papers on screen, not for the collection.
    const textShards = new Set(requested.filter((path) => path.startsWith(`/artifacts/${papers.shards.prefix}`)));
    expect(textShards.size).toBeGreaterThan(0);
    expect(textShards.size).toBeLessThan(papers.shards.count / 4);
    expect(textShards).toContain(knownShard);
  });

  it('finds papers similar to a result, the paper itself left out', async () => {
    await page.locator(`[data-paper-id="${known.id}"]`).locator('[data-action="similar"]').click();
    const similar = await resultsFor(/similar to/i);
    expect(similar.length).toBe(10);
    expect(similar).not.toContain(known.id);
  });

  it("shows a search's ranked titles while its hits' text is read, then the same papers in full", async () => {
    // The worker holds every title once it has read them after an answer (Format3Engine.readAhead).
    const titleFile = new RegExp(`^/artifacts/${papers.titles.shards.prefix}\\d+\\${papers.titles.shards.ext}$`);
    await expect.poll(() => new Set(requested.filter((path) => titleFile.test(path))).size, { timeout: 60_000 }).toBe(papers.titles.shards.count);
    // Text shards come late, so that what the page shows before them can be looked at.
    host.delay(new RegExp(`^/artifacts/${papers.shards.prefix}\\d+\\${papers.shards.ext}`), 4000);
    try {
      const query = 'interpretability of neurons in transformers';
      await page.locator('input[type="search"]').fill(query);
      await page.locator('input[type="search"]').press('Enter');
      const preview = page.locator('ps-result-list ol[data-preview]');
      await preview.waitFor({ timeout: 30_000 });
      expect(await preview.getAttribute('aria-busy')).toBe('true');
      const early = await preview.locator('h2').allInnerTexts();
      expect(early.length).toBe(10);
      expect(await page.locator('[data-ranked]').innerText()).toMatch(/Reading their abstracts/);
      // The waiting cards meet what the finished ones do (axe-core, WCAG 2.2 AA), while they are on screen.
      expect(await axeViolations(page)).toEqual([]);
      expect(await page.locator('ol[data-preview]').count()).toBe(1);
      await resultsFor(new RegExp(`“${query}`));
      // The same papers in the same order, now with their text and actions.
      expect(await cards().locator('h2').allInnerTexts()).toEqual(early);
      expect(await cards().first().locator('.abstract').innerText()).not.toBe('');
      expect(await page.locator('ol[data-preview]').count()).toBe(0);
      await page.locator('.about summary').click();
      expect(await page.locator('.about').innerText()).toMatch(/titles \d/);
    } finally {
      host.delay();
    }
  });

  it('a category filter keeps only that category and says how many papers it searched', async () => {
    const info = await stats();
    // The largest category that leaves out most papers: one the filter visibly narrows to.
    const narrowing = info.facets.categories.filter((c) => c.count < info.corpus.count / 2).sort((a, b) => b.count - a.count);
    expect(narrowing.length).toBeGreaterThan(0);
    const category = narrowing[0].value;
    await page.goto(`${host.siteUrl}?q=${encodeURIComponent('neural networks')}&cat=${encodeURIComponent(category)}`);
    await waitForReady(page);
    await resultsFor(new RegExp(`Among the [\\d,]+ papers of category ${category.replace('.', '\\.')}`));
    const categories = await cards().evaluateAll((els) =>
      els.map((el) => [...(el.querySelector('ps-paper-meta')?.shadowRoot?.querySelectorAll('.category') ?? [])].map((c) => c.textContent ?? '')),
    );
    expect(categories.length).toBeGreaterThan(0);
    for (const own of categories) expect(own).toContain(category);
  });

  it('serves the shards it fetched from IndexedDB with the network off', async () => {
    // The service worker (precache: the app and the index's manifest) must control the page to reload offline.
    await untilServiceWorkerControls(page);
    await profile.context.setOffline(true);
    try {
      await page.goto(host.siteUrl);
      await waitForReady(page);
      const ids = await searchFor(known.title);
      expect(ids).toContain(known.id);
      const files = (await stats()).counters.format3Files;
      expect(files?.network.files).toBe(0);
      expect(files?.stored.files).toBeGreaterThan(0);
      // A paper of the last text shard, never fetched: the page says why and points to the footer button.
      const last = JSON.parse(readFileSync(join(index, `${papers.shards.prefix}${papers.shards.count - 1}${papers.shards.ext}`), 'utf8')) as Paper[];
      await page.locator('input[type="search"]').fill(last[0].title);
      await page.locator('input[type="search"]').press('Enter');
      await expect
        .poll(() => page.locator('.message').first().innerText(), { timeout: 60_000 })
        .toMatch(/not been downloaded to this device.*“Make the whole collection available offline”/s);
    } finally {
      await profile.context.setOffline(false);
    }
  });

  it('fetches a damaged stored shard again instead of using it', async () => {
    // Flip a byte of the stored text shard that holds the known paper.
    const damaged = await page.evaluate(async (name) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const open = indexedDB.open('papersift-chunks');
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
      const store = db.transaction('chunks', 'readwrite').objectStore('chunks');
      const keys = await new Promise<IDBValidKey[]>((resolve) => (store.getAllKeys().onsuccess = (e) => resolve((e.target as IDBRequest<IDBValidKey[]>).result)));
      for (const key of keys) {
        const record = await new Promise<{ name: string; data: Uint8Array }>((resolve) => (store.get(key).onsuccess = (e) => resolve((e.target as IDBRequest).result)));
        if (record.name !== name) continue;
        record.data[0] ^= 0xff;
        await new Promise((resolve) => (store.put(record, key).onsuccess = resolve));
        return true;
      }
      return false;
    }, knownShard.slice('/artifacts/'.length));
    expect(damaged).toBe(true);
    requested.length = 0;
    await page.reload();
    await waitForReady(page);
    const ids = await searchFor(known.title);
    expect(ids).toContain(known.id);
    const files = (await stats()).counters.format3Files;
    expect(files?.corrupt).toBe(1);
    expect(requested).toContain(knownShard);
    const card = page.locator(`[data-paper-id="${known.id}"]`);
    await expect.poll(() => card.innerText()).toContain(known.title.slice(0, 40));
  });

  it('makes the whole collection available offline on request, showing its size and progress', async () => {
    const offer = page.locator('[data-action="offline-all"]');
    await expect.poll(() => offer.innerText()).toMatch(/Make the whole collection available offline \([\d.]+ (KB|MB)\)/);
    // The searches above kept some files: the offer counts them.
    await expect.poll(() => page.locator('[data-offline-kept]').innerText()).toMatch(/[\d.]+ (KB|MB) of [\d.]+ MB already on this device/);
    await offer.click();
    await page.locator('[data-offline-all="done"]').waitFor({ timeout: 300_000 });
    // A paper of the last text shard, which no search so far has needed.
    const last = JSON.parse(readFileSync(join(index, `${papers.shards.prefix}${papers.shards.count - 1}${papers.shards.ext}`), 'utf8')) as Paper[];
    await profile.context.setOffline(true);
    try {
      await page.reload();
      await waitForReady(page);
      const ids = await searchFor(last[0].title);
      expect(ids).toContain(last[0].id);
      expect((await stats()).counters.format3Files?.network.files).toBe(0);
      // Its eager part came from IndexedDB: the page must not say the stored index had been cleared.
      expect((await stats()).source).toBe('indexeddb');
      // The reloaded page knows the collection is kept whole and does not offer it again.
      await page.locator('[data-offline-all="done"]').waitFor();
      expect(await page.locator('[data-action="offline-all"]').count()).toBe(0);
    } finally {
      await profile.context.setOffline(false);
    }
  });

  it('offers dims and adaptive, draws a sample of the collection on the map, and nothing failed', async () => {
    // Dims and adaptive are offered (format3/engine.ts searches at the first d dims; format3-collection.test.ts uses them).
    await expect.poll(() => page.locator('#options').innerText()).toMatch(/Ranking[\s\S]*Dimensions[\s\S]*Adaptive/);
    await page.locator('[data-action="toggle-map"]').click();
    const map = page.locator('ps-paper-map');
    await map.waitFor({ timeout: 180_000 });
    await expect.poll(() => map.getAttribute('data-count')).toBe(String(MAP_SAMPLE_POINTS));
    expect(await page.locator('[data-map="sample"]').innerText()).toMatch(new RegExp(`sample of ${MAP_SAMPLE_POINTS.toLocaleString('en')} of the ${PAPERS.toLocaleString('en')} papers`));
    expect(problems.errors).toEqual([]);
  });
});
