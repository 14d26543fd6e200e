/**
 * A format-3 site reloaded offline on a query it answered online (ad370fc). Online, the query was answered in
 * full (hybrid), and only its hits' text shards were downloaded (and, after the answer, those of the ranks the
 * worker reads ahead). On the offline reload the engine opens from storage and answers by keywords first, while
 * the model loads; that answer needs the text of keyword hits whose shards were never downloaded, so it fails
 * ("not been downloaded to this device"). When the model is ready the page must ask again: the full answer's
 * files are all stored. Before ad370fc it kept the message.
 *
 * The query is picked from the set, not hoped for: among its first papers' titles, the first whose keyword answer
 * has hits in text shards that neither its hybrid answer nor its read-ahead reads (both ranked here in Node, over
 * the same files, with the same model), and the browser is checked to have read none of those shards online.
 *
 * On the way, the page's counts at this size: written as the header writes them (2,500), the nouns agreeing.
 *
 * PAPERSIFT_E2E_URL=http://unused/ skips the seed site the global setup builds (this file builds its own).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFormat3Dir } from '../../src/cli/format3-search';
import { modelsDir } from '../../src/cli/node-env';
import { createEmbedder } from '../../src/core/embed';
import { READ_AHEAD_RANKS } from '../../src/core/format3/engine';
import type { PapersSection } from '../../src/core/format3/papers';
import type { Dtype } from '../../src/core/models';
import type { Paper } from '../../src/core/types';
import { waitForReady, type Page, type PageProblems, type Profile } from './browser';
import { serveFormat3Site, syntheticFormat3Set } from './format3-set';
import type { StaticHost } from './site-server';

const PAPERS = 2500;
/** Text shards the keyword answer needs and the hybrid one does not, at least: a margin for the browser's embedding differing a little from Node's. */
const MIN_UNREAD_SHARDS = 3;
/** Text shards whose papers' titles are tried as the query, in order. */
const TITLE_SHARDS = 16;

let host: StaticHost;
let profile: Profile;
let page: Page;
let problems: PageProblems;
let requested: string[];
/** The query, and the URL paths of the text shards of its keyword hits that its hybrid answer does not read (per Node). */
let query: string;
let keywordOnlyShards: string[];
let textShardPrefix: string;
/** What the online (hybrid) answer showed. */
let onlineIds: string[];

const cards = () => page.locator('[data-paper-id]');
const textShardsRequested = () => new Set(requested.filter((path) => path.startsWith(textShardPrefix)));

/** The first title of the set's first TITLE_SHARDS text shards whose keyword answer has hits in MIN_UNREAD_SHARDS text shards that its hybrid answer (hits and ranks read ahead) has none in. */
async function pickQuery(index: string): Promise<{ query: string; keywordOnly: number[] }> {
  const { manifest, engine, papers } = await openFormat3Dir(index);
  const section = manifest.papers as PapersSection;
  const embedder = await createEmbedder({ modelId: manifest.model.id, dtype: manifest.model.dtype as Dtype, localModelPath: modelsDir() });
  try {
    const shardsOf = async (ids: string[]) => new Set(await Promise.all(ids.map(async (id) => Math.floor((await papers.rowOf(id))! / section.rowsPerShard))));
    // The first text shards' titles: with the ranks read ahead, few queries leave keyword hits' text unread.
    const titles = Array.from({ length: Math.min(TITLE_SHARDS, section.shards.count) }, (_, shard) =>
      (JSON.parse(readFileSync(join(index, `${section.shards.prefix}${shard}${section.shards.ext}`), 'utf8')) as Paper[]).map((p) => p.title),
    ).flat();
    for (const title of titles) {
      const keyword = await engine.searchText(title, null, { k: 10 });
      // The hits, and the ranks past them whose text the worker reads ahead once the answer is sent (Format3Engine.readAhead).
      const hybrid = await engine.searchText(title, await embedder.embedQuery(title), { k: 10 + READ_AHEAD_RANKS, mode: 'hybrid' });
      expect([keyword.mode, hybrid.mode]).toEqual(['lexical', 'hybrid']);
      const read = await shardsOf(hybrid.hits.map((h) => h.paper.id));
      const keywordOnly = [...(await shardsOf(keyword.hits.map((h) => h.paper.id)))].filter((shard) => !read.has(shard));
      if (keywordOnly.length >= MIN_UNREAD_SHARDS) return { query: title, keywordOnly };
    }
    throw new Error(`No title of the set's first ${TITLE_SHARDS} text shards has keyword hits in ${MIN_UNREAD_SHARDS} text shards its hybrid answer does not read`);
  } finally {
    await embedder.dispose();
  }
}

/** Waits until the results on screen answer the query (not the stale list, no message) and returns their ids. */
async function shownAnswer(): Promise<string[]> {
  const head = query.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // The summary and any message shown instead of results (a failure's text, when this times out).
  const shown = () =>
    page.locator('papersift-app').evaluate((app) => ['.summary', '.message'].map((sel) => [...app.shadowRoot!.querySelectorAll<HTMLElement>(sel)].map((el) => el.innerText).join(' ')));
  await expect.poll(shown, { timeout: 90_000 }).toEqual([expect.stringMatching(new RegExp(`results for “${head}`)), '']);
  await expect.poll(() => page.locator('ps-result-list.stale').count(), { timeout: 60_000 }).toBe(0);
  return cards().evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
}

beforeAll(async () => {
  const index = await syntheticFormat3Set(PAPERS, 2);
  const manifest = JSON.parse(readFileSync(join(index, 'manifest.json'), 'utf8')) as { formatVersion: number; papers: PapersSection };
  expect(manifest.formatVersion).toBe(3);
  const { shards } = manifest.papers;
  textShardPrefix = `/artifacts/${shards.prefix}`;
  const picked = await pickQuery(index);
  query = picked.query;
  keywordOnlyShards = picked.keywordOnly.map((n) => `${textShardPrefix}${n}${shards.ext}`);
  ({ host, profile, page, problems, requested } = await serveFormat3Site(index, 'format3-offline'));
}, 1_800_000);

afterAll(async () => {
  await profile?.close();
  await host?.close();
});

describe(`a ${PAPERS}-paper format-3 site reloaded offline on a query answered online`, () => {
  it('answers the query online in full, reading only its hits’ text shards and those read ahead', async () => {
    await page.goto(host.siteUrl);
    await waitForReady(page);
    requested.length = 0;
    await page.locator('input[type="search"]').fill(query);
    await page.locator('input[type="search"]').press('Enter');
    onlineIds = await shownAnswer();
    expect(onlineIds.length).toBe(10);
    expect(await page.locator('.summary').first().innerText()).not.toMatch(/Keyword matches for now/);
    const read = textShardsRequested();
    expect(read.size).toBeGreaterThan(0);
    // The case under test: keyword hits whose text this visit never downloaded.
    expect(keywordOnlyShards.filter((path) => !read.has(path)).length).toBeGreaterThan(0);
    // The service worker (the app's files) must control the page for it to reload offline.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (navigator.serviceWorker.controller) return;
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    });
    expect(new URL(page.url()).searchParams.get('q')).toBe(query);
  });

  it('writes its counts as the header does (2,500), and the nouns agree with them', async () => {
    expect(await page.locator('[data-collection]').innerText()).toContain(`${PAPERS.toLocaleString('en')} papers`);
    const facts = await page.locator('ps-engine-panel .facts').innerText();
    expect(facts).toContain(`${PAPERS.toLocaleString('en')} papers`);
    // One query typed, embedded once (ahead of Enter, or at it).
    expect(facts).toMatch(/\b1 query, /);
    expect(await page.locator('#category option[value=""]').innerText()).toBe(`all (${PAPERS.toLocaleString('en')})`);
  });

  it('reloaded offline, shows the full answer from storage once the model is ready, not the keyword answer’s failure', async () => {
    const unread = keywordOnlyShards.filter((path) => !textShardsRequested().has(path));
    await profile.context.setOffline(true);
    try {
      requested.length = 0;
      await page.reload();
      await waitForReady(page);
      const ids = await shownAnswer();
      expect(ids).toEqual(onlineIds);
      // The keyword answer came first and asked for a shard never downloaded: the path under test was taken.
      expect(unread.some((path) => requested.includes(path))).toBe(true);
      const files = (await page.evaluate(() => window.__papersift.stats())).counters.format3Files;
      expect(files?.network.files).toBe(0);
      expect(problems.errors).toEqual([]);
    } finally {
      await profile.context.setOffline(false);
    }
  });
});
