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
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFormat3Dir } from '../../src/cli/format3-search';
import { modelsDir } from '../../src/cli/node-env';
import { createEmbedder } from '../../src/core/embed';
import { READ_AHEAD_RANKS } from '../../src/core/format3/engine';
import type { PapersSection } from '../../src/core/format3/papers';
import { hash32, type ShardedFiles } from '../../src/core/format3/sharded-files';
import { analyze } from '../../src/core/lexical/analyzer';
import type { Dtype } from '../../src/core/models';
import type { Paper } from '../../src/core/types';
import { untilServiceWorkerControls, waitForReady, type Page, type PageProblems, type Profile } from './browser';
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
let index: string;
/** URL paths of the keyword index's postings files (buckets, big terms, vocabulary), those with the same bytes together: a set this small is held whole. */
let keywordFiles: string[][];
let rowsPerShard: number;
let bucketCount: number;
let textShardExt: string;

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

/**
 * Words of a shown paper's abstract that the online query did not have, one of them in a bucket it did not read, whose best keyword hit (in Node, over the
 * same files) is in a text shard the online visit read: its text is kept, and so the answer can be shown offline.
 */
async function newWordsQuery(read: Set<string>): Promise<{ text: string; id: string }> {
  const { engine, papers } = await openFormat3Dir(index);
  const searched = new Set(analyze(query));
  const searchedBuckets = new Set([...searched].map((term) => hash32(term) % bucketCount));
  for (const shownId of onlineIds) {
    const paper = await engine.paper(shownId);
    const words = paper.abstract.split(/\s+/).filter((word) => analyze(word).length === 1 && !searched.has(analyze(word)[0]));
    for (let from = 0; from + 6 <= words.length; from += 6) {
      const text = words.slice(from, from + 6).join(' ');
      // A word in a bucket the online query did not read: only the keyword index held whole has it offline.
      if (analyze(text).every((term) => searchedBuckets.has(hash32(term) % bucketCount))) continue;
      const [best] = (await engine.searchText(text, null, { k: 1 })).hits;
      if (best && read.has(`${textShardPrefix}${Math.floor((await papers.rowOf(best.paper.id))! / rowsPerShard)}${textShardExt}`)) return { text, id: best.paper.id };
    }
  }
  throw new Error('No words of the shown papers find a paper whose text this visit read');
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
  index = await syntheticFormat3Set(PAPERS, 2);
  const manifest = JSON.parse(readFileSync(join(index, 'manifest.json'), 'utf8')) as {
    formatVersion: number;
    papers: PapersSection;
    lexical: Record<'buckets' | 'bigTerms' | 'vocabulary', ShardedFiles>;
  };
  const { buckets, bigTerms, vocabulary } = manifest.lexical;
  bucketCount = buckets.count;
  // By content: the chunk store keeps a file by its sha256, so of equal files (the empty vocabulary groups) one is fetched.
  const byContent = new Map<string, string[]>();
  for (const set of [buckets, bigTerms, vocabulary]) {
    for (let i = 0; i < set.count; i++) {
      const name = `${set.prefix}${i}${set.ext}`;
      const digest = createHash('sha256').update(readFileSync(join(index, name))).digest('hex');
      byContent.set(digest, [...(byContent.get(digest) ?? []), `/artifacts/${name}`]);
    }
  }
  keywordFiles = [...byContent.values()];
  expect(manifest.formatVersion).toBe(3);
  const { shards } = manifest.papers;
  textShardPrefix = `/artifacts/${shards.prefix}`;
  textShardExt = shards.ext;
  rowsPerShard = manifest.papers.rowsPerShard;
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
    await untilServiceWorkerControls(page);
    expect(new URL(page.url()).searchParams.get('q')).toBe(query);
  });

  it('reads the whole keyword index in idle time after the answer (it is small): later queries read none of it', async () => {
    await expect.poll(() => keywordFiles.filter((paths) => !paths.some((path) => requested.includes(path))).length, { timeout: 60_000 }).toBe(0);
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
    const readOnline = textShardsRequested();
    const unread = keywordOnlyShards.filter((path) => !readOnline.has(path));
    await profile.context.setOffline(true);
    try {
      requested.length = 0;
      await page.reload();
      await waitForReady(page);
      const ids = await shownAnswer();
      expect(ids).toEqual(onlineIds);
      // The keyword answer came first and asked for a shard never downloaded: the path under test was taken.
      expect(unread.some((path) => requested.includes(path))).toBe(true);
      // Offline, a keyword search with words never searched answers: the keyword index was kept whole. Asked for
      // one hit, in a text shard this visit read (no paper's text is kept unless read).
      const { text, id } = await newWordsQuery(readOnline);
      const reply = await page.evaluate((text) => window.__papersift.search(text, { mode: 'lexical', k: 1 }), text);
      expect(reply.hits.map((hit) => hit.paper.id)).toEqual([id]);
      const files = (await page.evaluate(() => window.__papersift.stats())).counters.format3Files;
      expect(files?.network.files).toBe(0);
      expect(problems.errors).toEqual([]);
    } finally {
      await profile.context.setOffline(false);
    }
  });

  it('offline, keeps a keyword answer’s titles on screen when its hits’ text was never downloaded, and says why', async () => {
    await profile.context.setOffline(true);
    try {
      // After the answer above the worker holds the titles, read back from storage (fetched online after the first answer).
      await expect.poll(async () => (await page.evaluate(() => window.__papersift.stats())).counters.format3TitlesHeld, { timeout: 30_000 }).toBe(true);
      // By keywords: ranked from stored postings, with hits in text shards never downloaded.
      await page.locator('input[type="radio"][value="lexical"]').check();
      const note = page.locator('[data-offline-titles]');
      await note.waitFor({ timeout: 60_000 });
      expect(await note.innerText()).toMatch(/abstracts have not been downloaded to this device.*“Make the whole collection available offline”/s);
      const list = page.locator('ps-result-list ol[data-preview]');
      expect(await list.getAttribute('aria-busy')).toBe('false');
      const titles = await list.locator('h2').allInnerTexts();
      expect(titles.length).toBe(10);
      expect(titles.every((title) => title.trim().length > 0)).toBe(true);
      expect(await page.locator('.summary').first().innerText()).toMatch(new RegExp(`10 results for “${query.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(problems.errors).toEqual([]);
    } finally {
      await profile.context.setOffline(false);
    }
  });
});
