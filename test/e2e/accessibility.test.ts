/**
 * WCAG 2.2 AA in a real browser: axe-core on every view in both themes (any violation fails), a
 * keyboard-only walk through the tabs, the results, Similar and the map, reflow at 320 px, and the phone
 * layout (options folded, three results on the first screen, no keyboard hints on a touch screen).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axeViolations } from './a11y';
import { focusedElement, launchProfile, waitForReady, type Page, type Profile } from './browser';

const site = inject('siteUrl');
const QUERY = 'pointer networks for combinatorial problems';
const PASTED =
  'Embeddings you can shorten without retraining\nOne representation whose leading coordinates already form a good smaller embedding.';

let profile: Profile;
let page: Page;

const cards = () => page.locator('ps-result-list [data-paper-id]');
const summary = () => page.locator('.summary').first();

/** Loads a view of the app from its URL and waits until it has drawn what it is for. */
async function open(query: string, ready: () => Promise<unknown> = async () => {}): Promise<void> {
  // waitForReady allows for a slow start; 'load' (the goto default) would time out first on a busy machine.
  await page.goto(`${site}${query}`, { waitUntil: 'commit' });
  await waitForReady(page);
  await ready();
}

/** Ten results, by meaning (not the keyword answers given while the model loads), and not dimmed. */
async function resultsShown(): Promise<void> {
  await expect
    .poll(async () => (await cards().count()) === 10 && (await page.locator('ps-result-list.stale').count()) === 0 && !/Keyword matches for now/.test((await summary().textContent()) ?? ''), {
      timeout: 60_000,
    })
    .toBe(true);
}

beforeAll(async () => {
  profile = await launchProfile({ width: 1366, height: 900 });
  page = profile.page;
  // No transitions: a colour caught mid-way after a theme switch is not what anyone reads.
  await page.emulateMedia({ reducedMotion: 'reduce' });
});

afterAll(async () => {
  await profile?.close();
});

describe('axe-core', () => {
  const VIEWS: [name: string, show: () => Promise<void>][] = [
    ['start page', () => open('')],
    ['results', () => open(`?q=${encodeURIComponent(QUERY)}`, resultsShown)],
    ['Similar', () => open('?similar=pointer-networks', resultsShown)],
    [
      'Find related',
      () =>
        open('?tab=related', async () => {
          await page.locator('textarea[name="related"]').fill(PASTED);
          await page.locator('[data-action="find-related"]').click();
          await resultsShown();
        }),
    ],
    ['Your papers', () => open('?tab=library', () => page.locator('ps-library-panel h2').first().waitFor())],
    [
      'the map',
      () =>
        open(`?q=${encodeURIComponent(QUERY)}&map=1`, async () => {
          await resultsShown();
          await page.locator('ps-paper-map[data-count]:not([data-count="0"])').waitFor({ timeout: 120_000 });
        }),
    ],
  ];

  it.each(VIEWS)('finds no violation on %s, light and dark', async (_name, show) => {
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.emulateMedia({ colorScheme: 'light' });
    await show();
    const light = await axeViolations(page);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await axeViolations(page);
    expect({ light, dark }).toEqual({ light: [], dark: [] });
  });
});

describe('keyboard only', () => {
  it('tabs with arrow keys, the result list as one Tab stop, Similar focusing the new list, the map', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.setViewportSize({ width: 1366, height: 900 });
    await open('');
    // The box has focus on load: type and search.
    expect((await focusedElement(page)).tag).toBe('input');
    await page.keyboard.type(QUERY);
    await page.keyboard.press('Enter');
    await resultsShown();

    // Tabs: one stop before the box; arrows move and select; the tab panel follows.
    await page.keyboard.press('Shift+Tab');
    expect(await focusedElement(page)).toMatchObject({ role: 'tab', id: 'tab-search' });
    await page.keyboard.press('ArrowRight');
    await expect.poll(async () => (await focusedElement(page)).id).toBe('tab-related');
    expect(await page.locator('#tab-related').getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('[role="tabpanel"]').getAttribute('aria-labelledby')).toBe('tab-related');
    await page.keyboard.press('End');
    await expect.poll(async () => (await focusedElement(page)).id).toBe('tab-library');
    await page.keyboard.press('Home');
    await expect.poll(async () => (await focusedElement(page)).id).toBe('tab-search');
    await resultsShown();

    // Tab reaches the list in a few stops, and one more Tab leaves it.
    let stops = 0;
    while ((await focusedElement(page)).host !== 'ps-result-list' && stops < 12) {
      await page.keyboard.press('Tab');
      stops++;
    }
    const first = (await cards().first().getAttribute('data-paper-id'))!;
    expect((await focusedElement(page)).paperId).toBe(first);
    await page.keyboard.press('Tab');
    expect((await focusedElement(page)).host).not.toBe('ps-result-list');
    await page.keyboard.press('Shift+Tab');
    expect((await focusedElement(page)).paperId).toBe(first);

    // Inside: ↓ to the next card, → to its buttons and back, s for its similar papers.
    await page.keyboard.press('ArrowDown');
    const second = (await cards().nth(1).getAttribute('data-paper-id'))!;
    expect((await focusedElement(page)).paperId).toBe(second);
    await page.keyboard.press('ArrowLeft'); // wraps to the card's last control: Similar
    expect((await focusedElement(page)).action).toBe('similar');
    await page.keyboard.press('ArrowRight');
    expect((await focusedElement(page)).paperId).toBe(second);
    await page.keyboard.press('s');
    await expect.poll(() => summary().textContent(), { timeout: 60_000 }).toMatch(/similar to/);
    await expect.poll(() => focusedElement(page)).toMatchObject({ id: 'results-heading', inViewport: true });
    expect(new URL(page.url()).searchParams.get('similar')).toBe(second);

    // The map: its toggle is a few Shift+Tabs back; Tab from it lands on the map, Enter opens a paper.
    for (let i = 0; i < 10 && (await focusedElement(page)).action !== 'toggle-map'; i++) {
      await page.keyboard.press('Shift+Tab');
    }
    await page.keyboard.press('Enter');
    // data-count is "0" from the map's first render until its points arrive: wait for the points.
    await page.locator('ps-paper-map[data-count]:not([data-count="0"])').waitFor({ timeout: 120_000 });
    await page.keyboard.press('Tab');
    expect(await focusedElement(page)).toMatchObject({ host: 'ps-paper-map', role: 'application' });
    // Arrow keys put a keyboard cursor on the paper nearest the centre (its title shows); Enter opens it.
    await page.keyboard.press('ArrowRight');
    const tooltip = page.locator('[data-map-tooltip]');
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    const title = (await tooltip.innerText()).replace(/^Your paper/, '').trim();
    await page.keyboard.press('Enter');
    await expect.poll(() => summary().textContent(), { timeout: 60_000 }).toContain(`similar to ${title}`);
  });
});

describe('small screens', () => {
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  it.each([
    ['the start page', ''],
    ['results with the map', `?q=${encodeURIComponent(QUERY)}&map=1`],
    ['Find related', '?tab=related'],
    ['Your papers', '?tab=library'],
  ])('reflows at 320 px: %s does not scroll sideways', async (_name, query) => {
    await page.setViewportSize({ width: 320, height: 640 });
    await open(query, async () => {
      if (!query.includes('map=1')) return;
      await resultsShown();
      await page.locator('ps-paper-map[data-count]:not([data-count="0"])').waitFor({ timeout: 120_000 });
      await page.locator('.options-toggle').press('Enter'); // the unfolded options too
    });
    expect(await overflow()).toBe(0);
  });

  it('on a 390×844 phone, folds the options into one control and shows three results on the first screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open(`?q=${encodeURIComponent(QUERY)}`, resultsShown);
    const toggle = page.locator('.options-toggle');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('input[name="mode"]').first().isVisible()).toBe(false);
    const thirdBottom = await cards().nth(2).evaluate((el) => el.getBoundingClientRect().bottom);
    expect(thirdBottom).toBeLessThanOrEqual(844);
    expect(await overflow()).toBe(0); // and nothing pushed past the right edge to make room
    await toggle.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('ps-search-bar fieldset').first().isVisible()).toBe(true);
  });

  it('shows no keyboard hints on a touch screen', async () => {
    const phone = await launchProfile({ width: 390, height: 844 }, { context: { hasTouch: true, isMobile: true } });
    try {
      await phone.page.goto(site);
      await waitForReady(phone.page);
      expect(await phone.page.evaluate(() => matchMedia('(hover: none) and (pointer: coarse)').matches)).toBe(true);
      const shownKeys = await phone.page.locator('kbd').evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetParent !== null).length);
      expect(shownKeys).toBe(0);
    } finally {
      await phone.close();
    }
  });
});
