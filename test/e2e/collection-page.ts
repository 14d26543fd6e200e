/** What the e2e tests of the user's papers (collection.test.ts on format 2, format3-collection.test.ts) do on the page. */
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import type { EngineInfo } from '../../src/protocol';
import { waitForReady, type Page } from './browser';

export const statsOf = (page: Page): Promise<EngineInfo> => page.evaluate(() => window.__papersift.stats());

/** Ids of the result cards on screen, in order. */
export const shownIdsOf = (page: Page): Promise<string[]> =>
  page.locator('ps-result-list [data-paper-id]').evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));

export async function openTab(page: Page, tab: 'search' | 'related' | 'library'): Promise<void> {
  await page.locator(`[data-tab="${tab}"]`).click();
}

/** Runs a typed search in the Search tab and returns the ids shown for it. */
export async function searchIdsOn(page: Page, query: string): Promise<string[]> {
  await openTab(page, 'search');
  const box = page.locator('input[type="search"]');
  await box.fill(query);
  // Enter searches again even when the same query is on screen: wait for that answer, not an older one
  // (a change to the collection also re-runs the search on screen).
  const shown = page.evaluate(
    (q) =>
      new Promise<void>((resolve) => {
        const onResults = (event: Event) => {
          if ((event as CustomEvent<{ view: { q: string } }>).detail.view.q !== q) return;
          window.removeEventListener('papersift:results', onResults);
          resolve();
        };
        window.addEventListener('papersift:results', onResults);
      }),
    query,
  );
  await box.press('Enter');
  await shown;
  return shownIdsOf(page);
}

/** Exports the collection from the Your papers tab into `folder`; returns the file's path. */
export async function exportCollectionTo(page: Page, folder: string): Promise<string> {
  await openTab(page, 'library');
  const [download] = await Promise.all([page.waitForEvent('download'), page.locator('[data-action="export"]').click()]);
  const file = join(folder, download.suggestedFilename());
  await download.saveAs(file);
  return file;
}

/**
 * Clears everything the site's origin stored (IndexedDB: index and papers; caches; service workers) and
 * opens the site again. The page leaves first, so no worker of it holds a database open meanwhile.
 */
export async function reopenCleared(page: Page, context: BrowserContext, site: string): Promise<void> {
  await page.goto('about:blank');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin: new URL(site).origin, storageTypes: 'all' });
  await cdp.detach();
  await page.goto(site);
  await waitForReady(page);
}
