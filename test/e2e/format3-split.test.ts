/**
 * The vector side a million-paper set gets (above 500k papers): row shards split in heads (`rows-*.u8`, the rows'
 * first 160 dims) and tails (`tail-*.u8`, the rest, read only for the head re-rank's best rows), and the prefix in
 * 4 bits. The CI site (scale-site.test.ts, 20k) is below that size, so this set is built small with the flags that
 * choose them (`build-index … --format 3 --head-dims 160 --prefix-bits 4`) and checked in Chromium against the
 * engine in Node over the same files: "similar" needs no model, so both rank from the same vectors and must agree
 * paper for paper, online and then offline from what the browser stored.
 *
 * PAPERSIFT_E2E_URL=http://unused/ skips the seed site the global setup builds (this file builds its own).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFormat3Dir } from '../../src/cli/format3-search';
import { parseFormat3Manifest, type Format3Manifest } from '../../src/core/format3/manifest';
import type { PapersSection } from '../../src/core/format3/papers';
import type { Paper } from '../../src/core/types';
import { untilServiceWorkerControls, waitForReady, type Page, type PageProblems, type Profile } from './browser';
import { serveFormat3Site, syntheticFormat3Set } from './format3-set';
import type { StaticHost } from './site-server';

const PAPERS = 3000;
const HEAD_DIMS = 160;

let index: string;
let manifest: Format3Manifest;
let host: StaticHost;
let profile: Profile;
let page: Page;
let problems: PageProblems;
let requested: string[];
/** Papers of the set's first text shard: the sources of the "similar" lists compared. */
let sources: Paper[];

const cards = () => page.locator('[data-paper-id]');
const cardIds = () => cards().evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
const requestedOf = (file: RegExp) => new Set(requested.filter((path) => file.test(path)));

/** The ids the page shows for `?similar=id&mode=semantic`, once the list is that paper's. */
async function similarInBrowser(id: string): Promise<string[]> {
  await page.goto(`${host.siteUrl}?similar=${encodeURIComponent(id)}&mode=semantic`);
  await waitForReady(page);
  await expect.poll(() => page.locator('.summary').first().innerText(), { timeout: 60_000 }).toMatch(/similar to/i);
  await expect.poll(() => page.locator('ps-result-list.stale').count(), { timeout: 60_000 }).toBe(0);
  await expect.poll(() => cards().count(), { timeout: 30_000 }).toBeGreaterThan(0);
  return cardIds();
}

/** The engine in Node over the set's files on disk, opened once. */
let opened: ReturnType<typeof openFormat3Dir> | undefined;

/** The same list from the engine in Node. */
async function similarInNode(id: string, k: number): Promise<string[]> {
  const { engine } = await (opened ??= openFormat3Dir(index));
  return (await engine.similar(id, { mode: 'semantic', k })).hits.map((hit) => hit.paper.id);
}

beforeAll(async () => {
  index = await syntheticFormat3Set(PAPERS, 2, ['--head-dims', String(HEAD_DIMS), '--prefix-bits', '4']);
  manifest = parseFormat3Manifest(readFileSync(join(index, 'manifest.json')));
  const papers = manifest.papers as PapersSection;
  sources = JSON.parse(readFileSync(join(index, `${papers.shards.prefix}0${papers.shards.ext}`), 'utf8')) as Paper[];
  ({ host, profile, page, problems, requested } = await serveFormat3Site(index, 'split'));
}, 900_000);

afterAll(async () => {
  await profile?.close();
  await host?.close();
});

describe(`a ${PAPERS}-paper format-3 set with heads and tails and a 4-bit prefix`, () => {
  it('is built so', () => {
    expect(manifest.rows.headDims).toBe(HEAD_DIMS);
    expect(manifest.rows.tails.length).toBe(manifest.rows.shards.length);
    expect(manifest.prefix.encoding).toBe('u4-range');
  });

  it('ranks similar papers in the browser as the engine does in Node, reading tails only for the rows it needs', async () => {
    for (const source of sources.slice(0, 3)) {
      const shown = await similarInBrowser(source.id);
      expect(shown.length).toBeGreaterThan(0);
      expect(shown).not.toContain(source.id);
      expect(shown).toEqual(await similarInNode(source.id, shown.length));
    }
    const heads = requestedOf(/\/rows-\d+\.u8$/);
    const tails = requestedOf(/\/tail-\d+\.u8$/);
    expect(tails.size).toBeGreaterThan(0);
    // A tail is read only for a row whose head was read (and ranked among the best).
    for (const tail of tails) expect(heads).toContain(tail.replace('/tail-', '/rows-'));
    // The 4-bit prefix, not a row file, is what the walk read whole: once, the later visits reading it from storage.
    expect(requested.filter((path) => path === `/artifacts/${manifest.prefix.file}`).length).toBe(1);
    expect(problems.errors).toEqual([]);
  });

  it('answers the same offline from the heads and tails it stored', async () => {
    const source = sources[1];
    const online = await similarInBrowser(source.id);
    await untilServiceWorkerControls(page);
    await profile.context.setOffline(true);
    try {
      expect(await similarInBrowser(source.id)).toEqual(online);
      const files = (await page.evaluate(() => window.__papersift.stats())).counters.format3Files;
      expect(files?.network.files).toBe(0);
      expect(files?.stored.files).toBeGreaterThan(0);
    } finally {
      await profile.context.setOffline(false);
    }
    expect(problems.errors).toEqual([]);
  });
});
