/**
 * A corpus file to a site, as a user does it: `npm run build-index -- --corpus <slice of the arXiv
 * sample> --out DIR --name …`, then the site built with PAPERSIFT_ARTIFACTS=DIR, in headless Chromium.
 * The cards show what the corpus has, the filters and the date order change the results (and live in
 * the URL), and "Copy BibTeX" copies an entry that parses.
 *
 * PAPERSIFT_E2E_ARXIV_INDEX=DIR uses an index already built from the same slice instead of building one.
 */
import '../../src/cli/node-env';
import { parse } from '@retorquere/bibtex-parser';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../src/cli/node-env';
import { focusedElement, launchProfile, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';
import { buildSite, startStaticHost, variantDir, type StaticHost } from './site-server';

const SAMPLE = join(REPO_ROOT, '..', 'shared', 'corpora', 'arxiv-oai-sample.jsonl');
const WORK = join(REPO_ROOT, '.cache', 'e2e-arxiv');
const NAME = 'arXiv sample, April 2007';
/** Sparsity-certifying Graph Decompositions (math.CO cs.CG), by Ileana Streinu and Louis Theran. */
const KNOWN = '0704.0002';

/**
 * Every record with a cs category and the first 170 others (about 250, so the build takes about a
 * minute). The sample's records were all first submitted in April 2007; for every third record the
 * slice leaves out the version history, so the reader dates it by its last update (2007–2024) and the
 * year filter has years to choose between.
 */
function writeSlice(path: string): number {
  const records = readFileSync(SAMPLE, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id: string; categories: string; versions?: unknown });
  const isCs = (r: { categories: string }) => r.categories.split(/\s+/).some((c) => c.startsWith('cs.'));
  const others = records.filter((r) => !isCs(r)).slice(0, 170);
  const chosen = records.filter((r) => isCs(r) || others.includes(r));
  const lines = chosen.map((record, i) => {
    if (i % 3 !== 1 || record.id === KNOWN) return JSON.stringify(record);
    const { versions: _dropped, ...rest } = record;
    return JSON.stringify(rest);
  });
  writeFileSync(path, `${lines.join('\n')}\n`);
  return chosen.length;
}

/** Runs the CLI without blocking this worker (a blocked worker misses vitest's RPC deadlines). */
async function buildIndex(): Promise<string> {
  const given = process.env.PAPERSIFT_E2E_ARXIV_INDEX;
  if (given) return given;
  mkdirSync(WORK, { recursive: true });
  const slice = join(WORK, 'arxiv-slice.jsonl');
  writeSlice(slice);
  const out = join(WORK, 'index');
  try {
    await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', join(REPO_ROOT, 'src/cli/build-index.ts'), '--corpus', slice, '--out', out, '--name', NAME],
      { cwd: REPO_ROOT, encoding: 'utf8', timeout: 600_000, maxBuffer: 16 * 1024 * 1024 },
    );
  } catch (e) {
    throw new Error(`build-index failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
  }
  return out;
}

let host: StaticHost;
let profile: Profile;
let page: Page;
let problems: PageProblems;
let manifest: { count: number; collection?: { name: string } };

const cards = () => page.locator('[data-paper-id]');
const cardIds = () => cards().evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
const cardDates = () => page.locator('[data-paper-id] time[data-date]').evaluateAll((els) => els.map((el) => el.getAttribute('datetime') ?? ''));

/** Waits until the results on screen answer `summary` and differ from `before` (when given). */
async function resultsFor(summary: RegExp, before?: string[]): Promise<string[]> {
  await expect.poll(() => page.locator('.summary').first().innerText(), { timeout: 60_000 }).toMatch(summary);
  // The previous list stays on screen, dimmed, while the next search runs.
  await expect.poll(() => page.locator('ps-result-list.stale').count(), { timeout: 60_000 }).toBe(0);
  if (before) await expect.poll(cardIds, { timeout: 30_000 }).not.toEqual(before);
  await expect.poll(() => cards().count()).toBeGreaterThan(0);
  return cardIds();
}

beforeAll(async () => {
  const index = await buildIndex();
  manifest = JSON.parse(readFileSync(join(index, 'manifest.json'), 'utf8'));
  if (!process.env.PAPERSIFT_E2E_ARXIV_INDEX) expect(manifest.collection?.name).toBe(NAME);
  const outDir = variantDir('arxiv');
  await buildSite({ outDir, artifacts: index });
  host = await startStaticHost({ root: outDir, isolation: true, scratch: true });
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
  await profile.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(host.siteUrl).origin });
}, 900_000);

afterAll(async () => {
  await profile?.close();
  await host?.close();
});

describe('a site built from an arXiv corpus file', () => {
  it('names the collection and its size in the header', async () => {
    await page.goto(host.siteUrl);
    await waitForReady(page);
    await expect.poll(() => page.locator('[data-collection]').innerText()).toBe(`${manifest.collection?.name} · ${manifest.count} papers`);
    expect(existsSync(join(variantDir('arxiv'), 'artifacts', 'manifest.json'))).toBe(true);
  });

  it('finds a known paper; its card shows authors, date, categories and a working arXiv link', async () => {
    await page.locator('input[type="search"]').fill('sparsity certifying graph decompositions pebble game');
    await page.locator('input[type="search"]').press('Enter');
    const ids = await resultsFor(/“sparsity certifying graph decompositions pebble game”/);
    expect(ids[0]).toBe(KNOWN);
    const card = cards().first();
    await expect.poll(() => card.locator('[data-authors]').innerText()).toMatch(/Ileana Streinu, Louis Theran/);
    expect(await card.locator('time[data-date]').getAttribute('datetime')).toMatch(/^2007-03-31/);
    expect(await card.locator('time[data-date]').innerText()).not.toBe('');
    expect(await card.locator('[data-categories]').innerText()).toMatch(/math\.CO[\s\S]*cs\.CG/);

    const link = card.locator('a[data-link]');
    expect(await link.getAttribute('href')).toBe(`https://arxiv.org/abs/${KNOWN}`);
    expect(await link.innerText()).toMatch(new RegExp(`arXiv:${KNOWN}`));
    // No network here: answer arxiv.org locally and check the click opens the abs page.
    await profile.context.route('https://arxiv.org/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>arXiv abs</title>' }));
    const [opened] = await Promise.all([profile.context.waitForEvent('page'), link.click()]);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(`https://arxiv.org/abs/${KNOWN}`);
    await opened.close();
  });

  it('"Copy BibTeX" copies a valid entry for the paper', async () => {
    await cards().first().locator('[data-action="copy-bibtex"]').click();
    await expect.poll(() => cards().first().locator('[role="status"]').innerText()).toBe('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const library = parse(copied, { sentenceCase: false, english: false, caseProtection: false, unsupported: 'ignore' });
    expect(library.errors).toEqual([]);
    expect(library.entries).toHaveLength(1);
    const { fields } = library.entries[0];
    expect(fields.title).toBe('Sparsity-certifying Graph Decompositions');
    expect(fields.author?.map((a) => a.lastName)).toEqual(['Streinu', 'Theran']);
    expect(fields.eprint).toBe(KNOWN);
    expect(fields.archiveprefix).toBe('arXiv');
    expect(fields.primaryclass).toBe('math.CO');
    expect(fields.year).toBe('2007');
    expect(fields.url).toBe(`https://arxiv.org/abs/${KNOWN}`);
  });

  it('shows every author behind an accessible disclosure', async () => {
    await page.locator('input[type="search"]').fill('prompt diphoton production cross sections Tevatron LHC');
    await page.locator('input[type="search"]').press('Enter');
    await resultsFor(/“prompt diphoton/);
    const card = page.locator('[data-paper-id="0704.0001"]');
    const authors = card.locator('[data-authors]');
    await expect.poll(() => authors.innerText()).toMatch(/et al\./);
    const toggle = card.locator('[data-action="authors"]');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    const controlled = await toggle.getAttribute('aria-controls');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await card.locator(`[id="${controlled}"]`).innerText()).toMatch(/Balázs.*Berger.*Nadolsky.*Yuan/);
  });

  it('an author whose name is in no paper’s text: their papers first, the name not “corrected” to a word', async () => {
    await page.locator('input[type="search"]').fill('Theran');
    await page.locator('input[type="search"]').press('Enter');
    await resultsFor(/“Theran”/);
    const summary = await page.locator('.summary').first().innerText();
    expect(summary).toMatch(/papers? by Louis Theran first/);
    expect(summary).not.toMatch(/No paper has the words|corrected/);
  });

  it('a filter that hides every paper with the query’s words does not “correct” the words no paper has', async () => {
    await page.goto(`${host.siteUrl}?q=embeddings+you+can+shorten+without+retraining&cat=cs.LG`);
    await resultsFor(/shorten without retraining/);
    const summary = await page.locator('.summary').first().innerText();
    expect(summary).not.toMatch(/No paper has the words|corrected/);
  });

  it('the year filter narrows the results, lives in the URL, and Back undoes it', async () => {
    await page.locator('input[type="search"]').fill('graph algorithms complexity');
    await page.locator('input[type="search"]').press('Enter');
    const all = await resultsFor(/“graph algorithms complexity”/);
    const years = await page.locator('#year-from option').evaluateAll((els) => els.map((el) => (el as HTMLOptionElement).value).filter(Boolean));
    expect(years.length).toBeGreaterThan(1);
    const from = years.find((y) => Number(y) > 2007)!;
    await page.locator('#year-from').selectOption(from);
    const narrowed = await resultsFor(new RegExp(`Among the \\d+ papers of ${from} or later`), all);
    expect(page.url()).toContain(`year=${from}-`);
    const dates = await cardDates();
    expect(dates).toHaveLength(narrowed.length);
    for (const date of dates) expect(Number(date.slice(0, 4))).toBeGreaterThanOrEqual(Number(from));

    await page.goBack();
    await expect.poll(() => page.url()).not.toContain('year=');
    await expect.poll(cardIds, { timeout: 30_000 }).toEqual(all);
  });

  it('the category filter keeps only that category, and says how many papers it searched', async () => {
    await page.locator('#category').selectOption('cs');
    await resultsFor(/Among the \d+ papers of category cs/);
    expect(page.url()).toContain('cat=cs');
    // The line under the heading reads as one: the keyword count, a separator, the scope; no line starts with one.
    const summary = await page.locator('.summary').first().innerText();
    expect(summary).toMatch(/papers? contains? (all|some of) your words(, none all)? · Among the \d+ papers of category cs/);
    expect(summary).not.toMatch(/^\s*·/m);
    const categories = await cards().evaluateAll((els) =>
      els.map((el) => [...(el.querySelector('ps-paper-meta')?.shadowRoot?.querySelectorAll('.category') ?? [])].map((c) => c.textContent ?? '')),
    );
    expect(categories.length).toBeGreaterThan(0);
    for (const own of categories) expect(own.some((c) => c.startsWith('cs.'))).toBe(true);
    // From the keyboard: the button goes with the filters, and focus stays in the filter bar rather than falling to the page.
    await page.locator('[data-action="clear-filters"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url()).not.toContain('cat=');
    await expect.poll(() => focusedElement(page)).toMatchObject({ host: 'ps-filter-bar', tag: 'select' });
  });

  it('the date order puts the same best matches newest first', async () => {
    await expect.poll(() => page.locator('.summary').first().innerText()).not.toMatch(/Among the/);
    const byRelevance = await resultsFor(/“graph algorithms complexity”/);
    await page.locator('#sort').selectOption('date');
    const byDate = await resultsFor(/newest first/, byRelevance);
    expect(page.url()).toContain('sort=date');
    expect([...byDate].sort()).toEqual([...byRelevance].sort());
    const dates = await cardDates();
    expect(dates).toEqual([...dates].sort().reverse());
  });

  it('a link with a filter no paper passes says so', async () => {
    await page.goto(`${host.siteUrl}?q=graphs&year=1990`);
    await waitForReady(page);
    await expect.poll(() => page.locator('main').innerText(), { timeout: 60_000 }).toMatch(/No paper in this collection matches 1990 \(of \d+ papers\)/);
    expect(problems.errors).toEqual([]);
  });

  it('on a 390 px phone, cards with an arXiv link and the longer relevance words stay within the screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${host.siteUrl}?q=${encodeURIComponent('graph algorithms complexity')}`);
      await waitForReady(page);
      await resultsFor(/“graph algorithms complexity”/);
      // The case: "arXiv:0704.xxxx" beside Similar and "Likely relevant" or "Possibly relevant" is wider than a card's row.
      const bands = await page.locator('[data-paper-id] [data-relevance]').evaluateAll((els) => els.map((el) => el.getAttribute('data-relevance')));
      expect(bands.filter((band) => band === 'likely' || band === 'possible').length).toBeGreaterThan(0);
      expect(await page.locator('[data-paper-id] a[data-link]').first().innerText()).toMatch(/^arXiv:\d{4}\.\d{4}/);
      expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBe(0);
      const right = await cards().evaluateAll((els) => Math.max(...els.map((el) => el.getBoundingClientRect().right)));
      expect(right).toBeLessThanOrEqual(390);
    } finally {
      await page.setViewportSize({ width: 1100, height: 1000 });
    }
  });
});
