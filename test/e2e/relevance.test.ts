/**
 * Honest relevance on the page: a query with no real match says "No close matches" above the nearest
 * papers, a query with a good match does not, cards show calibrated relevance in words, and a keyword
 * search shows the real number of papers it matched rather than the length of the list.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchProfile, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');

let profile: Profile;
let page: Page;
let problems: PageProblems;

const summary = () => page.locator('.summary').first();
const cards = () => page.locator('[data-paper-id]');

async function searchFor(text: string, what: RegExp): Promise<string> {
  await page.locator('input[type="search"]').fill(text);
  await page.locator('input[type="search"]').press('Enter');
  await expect.poll(() => summary().innerText(), { timeout: 60_000 }).toMatch(what);
  return summary().innerText();
}

beforeAll(async () => {
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
  await page.goto(site);
  await waitForReady(page);
});

afterAll(async () => {
  await profile?.close();
});

describe('relevance on the page', () => {
  it('a nonsense query says there is no close match, and still lists the nearest papers', async () => {
    const text = await searchFor('xqzvv wplk', /xqzvv wplk/);
    expect(text).toMatch(/No close matches/);
    expect(text).toMatch(/nearest papers/);
    expect(text).toMatch(/no paper contains your words/);
    expect(await cards().count()).toBeGreaterThan(0);
    const bands = await page.locator('[data-relevance]').evaluateAll((els) => els.map((el) => el.getAttribute('data-relevance')));
    expect(bands.length).toBe(await cards().count());
    expect(bands.every((b) => b === 'weak')).toBe(true);
  });

  it('a keyword search that matches nothing says so, not "the 0 nearest papers"', async () => {
    await page.goto(`${site}?q=${encodeURIComponent('xqzvv wplk')}&mode=lexical`);
    try {
      await waitForReady(page);
      await expect.poll(() => summary().innerText(), { timeout: 60_000 }).toMatch(/No close matches — no paper to show for “xqzvv wplk”/);
      expect(await summary().innerText()).not.toMatch(/\b0 nearest/);
      expect(await cards().count()).toBe(0);
    } finally {
      // The tests after this one search in the default (hybrid) ranking.
      await page.goto(site);
      await waitForReady(page);
    }
  });

  it('a query with real matches does not, and gives relevance in words and the real keyword count', async () => {
    const text = await searchFor('sparse autoencoders', /results for .sparse autoencoders/);
    expect(text).not.toMatch(/No close matches/);
    const count = Number(/(\d+) papers contain all your words/.exec(text)?.[1]);
    expect(count).toBeGreaterThan(0);
    const first = page.locator('[data-relevance]').first();
    expect(await first.getAttribute('data-relevance')).toMatch(/strong|likely/);
    expect(await first.innerText()).toMatch(/Strong match|Likely relevant/);
  });

  it('a mistyped word is searched as the nearest corpus word, and the page says so', async () => {
    const text = await searchFor('transfromer', /transfromer/);
    expect(text).toMatch(/showing keyword matches for\s+“transformer”/);
    // The papers counted contain the corrected word, not the one typed (which no paper has).
    expect(text).toMatch(/\d+ papers contain all the corrected words/);
    expect(text).not.toMatch(/your words/);
    expect(await page.locator('mark').first().innerText()).toMatch(/^transformers?$/i);
  });

  it('an author name in a corpus without authors says that names cannot be searched', async () => {
    const text = await searchFor('Vaswani', /Vaswani/);
    expect(text).toMatch(/lists no authors/);
  });

  it('raised no page errors', () => {
    expect(problems.errors).toEqual([]);
  });
});
