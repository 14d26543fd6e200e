/**
 * Typing, then Enter, shows what pasting, then Enter, shows (issue #14: the query is embedded while the visitor types,
 * src/ui/typeahead.ts + workers/query-prefetch.ts). The typed query's vector is made ahead, in one page; the pasted
 * one as it is pasted or by its search, whichever reaches the worker first, in a fresh page (its own worker): the
 * results must not differ, nor the URL and history that typing leaves.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchProfile, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');

const TEXTS = ['a neural network whose outputs point to positions in its input', 'noise added to gradients when training deep networks'];

let profile: Profile;
let typedPage: Page;
let pastedPage: Page;
const problems: PageProblems[] = [];

interface Shown {
  ids: string[];
  q: string | null;
  historyLength: number;
  vector?: string;
}

/** Arms a listener for the first results for `text` after Enter; resolves with the cards' ids and the URL's query. */
async function armResults(page: Page, text: string): Promise<void> {
  await page.evaluate((text) => {
    const w = window as unknown as { __typeaheadShown: Promise<unknown> };
    let entered = false;
    window.addEventListener('keydown', (e) => (entered ||= e.key === 'Enter'), { capture: true });
    w.__typeaheadShown = new Promise((resolve) => {
      const onResults = (e: Event) => {
        const detail = (e as CustomEvent).detail;
        if (!entered || detail.view.q !== text || detail.modelPending) return;
        window.removeEventListener('papersift:results', onResults);
        const list = document.querySelector('papersift-app')!.shadowRoot!.querySelector('ps-result-list')!;
        const ids = [...list.shadowRoot!.querySelectorAll('[data-paper-id]')].map((el) => el.getAttribute('data-paper-id'));
        resolve({ ids, q: new URL(location.href).searchParams.get('q'), historyLength: history.length, vector: detail.timings.vector });
      };
      window.addEventListener('papersift:results', onResults);
    });
  }, text);
}

const shown = (page: Page) => page.evaluate(() => (window as unknown as { __typeaheadShown: Promise<Shown> }).__typeaheadShown);

async function typeThenEnter(page: Page, text: string): Promise<Shown> {
  await armResults(page, text);
  const box = page.locator('input[type="search"]');
  await box.focus();
  await page.keyboard.press('ControlOrMeta+A');
  const words = text.split(' ');
  for (const [w, word] of words.entries()) {
    await box.pressSequentially(w ? ` ${word}` : word, { delay: 60 + 15 * (w % 4) });
    // A pause after the second word: the words so far are embedded ahead, then superseded by what follows.
    if (w === 1) await page.waitForTimeout(400);
  }
  await page.waitForTimeout(300);
  await page.keyboard.press('Enter');
  return shown(page);
}

async function pasteThenEnter(page: Page, text: string): Promise<Shown> {
  await armResults(page, text);
  await page.locator('input[type="search"]').focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Enter');
  return shown(page);
}

beforeAll(async () => {
  profile = await launchProfile();
  typedPage = profile.page;
  pastedPage = await profile.context.newPage();
  for (const page of [typedPage, pastedPage]) {
    problems.push(watchProblems(page));
    await page.goto(site);
    await waitForReady(page);
  }
});

afterAll(async () => {
  await profile?.close();
});

describe('typing, then Enter', () => {
  it.each(TEXTS)('shows the same results, URL and history as pasting, then Enter: "%s"', async (text) => {
    const historyBefore = await typedPage.evaluate(() => history.length);
    const embeddedBefore = (await typedPage.evaluate(() => window.__papersift.stats())).counters.queriesEmbedded;
    const pastedEmbeddedBefore = (await pastedPage.evaluate(() => window.__papersift.stats())).counters.queriesEmbedded;
    const typed = await typeThenEnter(typedPage, text);
    const pasted = await pasteThenEnter(pastedPage, text);
    expect(typed.ids).toHaveLength(10);
    expect(typed.ids).toEqual(pasted.ids);
    expect(typed.q).toBe(text);
    expect(pasted.q).toBe(text);
    // The vector was made while typing. The pasted text is sent to be embedded as it is pasted, and Enter follows at
    // once: the paste's embedding or the search's, whichever the worker takes first; either way it is embedded once.
    expect(typed.vector).toBe('prefetched');
    expect(['prefetched', 'embedded']).toContain(pasted.vector);
    expect((await pastedPage.evaluate(() => window.__papersift.stats())).counters.queriesEmbedded - pastedEmbeddedBefore).toBe(1);
    // One Back step for the whole typed query, as for the pasted one (the pause mid-typing replaced it).
    expect(typed.historyLength).toBe(historyBefore + 1);
    // The words before the pause, and the whole text (a loaded machine may add a pause or two between keys): typing
    // never embeds per keystroke.
    const embedded = (await typedPage.evaluate(() => window.__papersift.stats())).counters.queriesEmbedded - embeddedBefore;
    expect(embedded).toBeGreaterThanOrEqual(2);
    expect(embedded).toBeLessThanOrEqual(text.split(' ').length);
  });

  it('logged no errors', () => {
    expect(problems.flatMap((p) => p.errors)).toEqual([]);
  });
});
