/**
 * The user's own papers in a real browser: paste an abstract to find related papers, import a BibTeX
 * file with a broken entry, text from a file never runs as markup, removal, persistence across a
 * reload, export → cleared storage → import giving the same results, and the map.
 * One profile, in order: later tests build on what earlier ones imported.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT } from '../../src/cli/node-env';
import { launchProfile, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';
import { exportCollectionTo, openTab, reopenCleared, searchIdsOn, shownIdsOf, statsOf } from './collection-page';

const site = inject('siteUrl');
const BIBTEX = join(REPO_ROOT, 'test', 'fixtures', 'import', 'papers.bib');
const XSS_TITLE = '<img src=x onerror=alert(1)>';
/** Words of the imported ColBERT abstract, worded differently: only the imported paper answers it well. */
const COLBERT_QUERY = 'late interaction over token embeddings for fast passage ranking';

let profile: Profile;
let page: Page;
let problems: PageProblems;
let scratch: string;
const dialogs: string[] = [];

const stats = () => statsOf(page);
const shownIds = () => shownIdsOf(page);
const searchIds = (query: string) => searchIdsOn(page, query);
const showTab = (tab: 'search' | 'related' | 'library') => openTab(page, tab);

async function importFile(path: string): Promise<string> {
  await showTab('library');
  await page.locator('input[data-action="import-file"]').setInputFiles(path);
  const report = page.locator('[data-import="done"], [data-import="error"]');
  await report.waitFor({ timeout: 120_000 });
  return report.innerText();
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'papersift-collection-'));
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.goto(site);
  await waitForReady(page);
});

afterAll(async () => {
  await profile?.close();
  await rm(scratch, { recursive: true, force: true });
});

describe('find related', () => {
  it('lists the papers nearest a pasted title and abstract, with the dims options of search', async () => {
    await showTab('related');
    const box = page.locator('textarea[name="related"]');
    await box.fill(
      'Embeddings you can shorten without retraining\n' +
        'We train a single representation whose leading coordinates already form a good smaller embedding, so that ' +
        'one model serves many dimensionalities: truncating the vector trades accuracy for cost at retrieval time.',
    );
    await page.locator('[data-action="find-related"]').click();
    await expect.poll(() => page.locator('.summary').first().textContent(), { timeout: 60_000 }).toMatch(/related to/);
    const ids = await shownIds();
    expect(ids).toHaveLength(10);
    expect(ids.slice(0, 3).some((id) => id.includes('matryoshka'))).toBe(true);

    await page.locator('input[name="dims"][value="64"]').check({ force: true });
    await expect.poll(() => page.locator('.summary').first().textContent()).toMatch(/64 dims/);
    expect((await shownIds()).slice(0, 5).some((id) => id.includes('matryoshka'))).toBe(true);
    await page.locator('input[name="dims"][value="full"]').check({ force: true });
  });

  it('Similar on a related paper shows the papers similar to it, in the Search tab', async () => {
    await expect.poll(() => page.locator('.summary').first().textContent(), { timeout: 60_000 }).toMatch(/related to/);
    const card = page.locator('[data-paper-id]').first();
    const [id, title] = [await card.getAttribute('data-paper-id'), await card.locator('h2').innerText()];
    await card.locator('[data-action="similar"]').click();
    await expect.poll(() => page.locator('.summary').first().innerText(), { timeout: 60_000 }).toContain(`similar to ${title}`);
    expect(await page.locator('[role="tab"][aria-selected="true"]').getAttribute('data-tab')).toBe('search');
    expect(new URL(page.url()).searchParams.get('similar')).toBe(id);
    expect(await shownIds()).not.toContain(id);
  });
});

describe('import', () => {
  it('adds the readable BibTeX entries and lists the broken ones with their lines', async () => {
    const report = await importFile(BIBTEX);
    expect(report).toMatch(/Added 4 papers from the BibTeX/);
    expect(report).toMatch(/2 entries could not be read/);
    expect(report).toMatch(/line 25: /);
    expect(report).toMatch(/line 40: .*no abstract/);
    // The list is asked for again once the import reports (a worker round trip, behind any job it is running).
    await expect.poll(() => page.locator('[data-imported-id]').count()).toBe(4);
    expect((await stats()).imported).toBe(4);
    // The footer counts the papers just embedded, on this tab, without a search after the import.
    const embedded = (await stats()).counters.documentsEmbedded;
    expect(embedded).toBeGreaterThanOrEqual(4);
    await expect.poll(() => page.locator('ps-engine-panel .facts').innerText()).toContain(`${embedded} papers embedded this visit`);
  });

  it('searches imported papers with the others, marked as yours', async () => {
    const ids = await searchIds(COLBERT_QUERY);
    // Imported papers keep their BibTeX keys as ids.
    const colbert = ids.find((id) => id === 'khattab2020colbert');
    expect(colbert, `ColBERT among ${ids.join(', ')}`).toBeDefined();
    expect(ids.indexOf(colbert!)).toBeLessThan(3);
    await expect.poll(() => page.locator(`[data-paper-id="${colbert}"] [data-yours]`).count()).toBe(1);
  });

  it('reports a second import of the same file as duplicates and adds nothing', async () => {
    const report = await importFile(BIBTEX);
    expect(report).toMatch(/Added 0 papers/);
    expect(report).toMatch(/4 already in the collection/);
    expect((await stats()).imported).toBe(4);
  });

  it('shows a title with markup as text and runs none of it', async () => {
    const row = page.locator('[data-imported-id]').filter({ hasText: 'onerror' });
    await expect.poll(() => row.locator('.title').innerText()).toBe(XSS_TITLE);
    const ids = await searchIds('Uber-robust sanitisation with alpha-blending');
    const xssId = ids.find((id) => id === 'xss');
    expect(xssId).toBeDefined();
    expect(await page.locator(`[data-paper-id="${xssId}"] h2`).innerText()).toBe(XSS_TITLE);
    // No element was made from the text anywhere, shadow roots included, and no handler ran.
    const images = await page.evaluate(() => {
      const count = (root: Document | ShadowRoot): number =>
        root.querySelectorAll('img').length + [...root.querySelectorAll('*')].reduce((n, el) => n + (el.shadowRoot ? count(el.shadowRoot) : 0), 0);
      return count(document);
    });
    expect(images).toBe(0);
    expect(dialogs).toEqual([]);
  });

  it('keeps the imported papers across a reload', async () => {
    await page.reload();
    await waitForReady(page);
    const info = await stats();
    expect(info.imported).toBe(4);
    expect(info.counters.documentsEmbedded).toBe(0); // restored with their stored embeddings
    await showTab('library');
    await expect.poll(() => page.locator('[data-imported-id]').count()).toBe(4);
  });

  it('removes a paper: gone from the list, from results, and after a reload', async () => {
    await showTab('library');
    const row = page.locator('[data-imported-id="khattab2020colbert"]');
    const ids = await page.locator('[data-imported-id]').evaluateAll((els) => els.map((el) => el.getAttribute('data-imported-id')));
    const next = ids[ids.indexOf('khattab2020colbert') + 1] ?? ids[ids.indexOf('khattab2020colbert') - 1];
    // From the keyboard: focus goes to the Remove button of the paper now in its place, not to the page.
    await row.locator('[data-action="remove"]').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-imported-id]').count()).toBe(3);
    await expect
      .poll(() => page.evaluate(() => {
        let el: Element | null = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return `${el?.closest('[data-imported-id]')?.getAttribute('data-imported-id')} ${el?.getAttribute('data-action')}`;
      }))
      .toBe(`${next} remove`);
    expect((await searchIds(COLBERT_QUERY)).includes('khattab2020colbert')).toBe(false);
    await page.reload();
    await waitForReady(page);
    expect((await stats()).imported).toBe(3);
  });
});

describe('collection file', () => {
  it('export, clear all storage, import: the same results', async () => {
    const query = 'diffusion models for image synthesis';
    const before = await searchIds(query);
    expect(before.some((id) => id === 'ho2020ddpm')).toBe(true);

    const file = await exportCollectionTo(page, scratch);
    expect((await readFile(file)).subarray(0, 6).toString()).toBe('PSCOLL');
    await reopenCleared(page, profile.context, site);
    expect((await stats()).imported).toBe(0);
    expect((await searchIds(query)).some((id) => id === 'ho2020ddpm')).toBe(false);

    const report = await importFile(file);
    expect(report).toMatch(/Added 3 papers from the collection file/);
    expect(report).not.toMatch(/embedded/); // the file's embeddings were used as they are
    expect(await searchIds(query)).toEqual(before);
  });

  it('refuses a file that is not a collection, naming why, and keeps what is stored', async () => {
    const bogus = join(scratch, 'broken.pscoll');
    await writeFile(bogus, Buffer.concat([Buffer.from('PSCOLL\r\n'), Buffer.from([255, 255, 0, 0]), Buffer.from('{}')]));
    const report = await importFile(bogus);
    expect(report).toMatch(/Not a papersift collection file: its header runs past the end/);
    expect((await stats()).imported).toBe(3);
  });
});

describe('map', () => {
  it('draws every paper, highlights the results, shows a title on hover and opens a paper on click', async () => {
    const ids = await searchIds('diffusion models for image synthesis');
    await page.locator('[data-action="toggle-map"]').click();
    const map = page.locator('ps-paper-map');
    await map.waitFor({ timeout: 120_000 });
    const info = await stats();
    await expect.poll(() => map.getAttribute('data-count')).toBe(String(info.corpus.count + info.imported));
    await expect.poll(() => map.getAttribute('data-highlighted')).toBe(String(ids.length));

    const target = ids[0];
    const point = await map.evaluate((el, id) => (el as HTMLElement & { pointAt(id: string): { x: number; y: number } | undefined }).pointAt(id), target);
    expect(point).toBeDefined();
    await page.mouse.move(point!.x, point!.y);
    const title = await page.locator(`[data-paper-id="${target}"] h2`).innerText();
    await expect.poll(() => page.locator('[data-map-tooltip]').innerText()).toContain(title);
    // The README's second picture (PAPERSIFT_SCREENSHOT=1): the map with results and the hovered title.
    if (process.env.PAPERSIFT_SCREENSHOT) await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshot-map.png') });
    await page.mouse.click(point!.x, point!.y);
    await expect.poll(() => new URL(page.url()).searchParams.get('similar')).toBe(target);
    expect(problems.errors).toEqual([]);
  });
});
