/**
 * Chromium for the e2e tests and the browser benchmark: Debian's binary (never a downloaded one),
 * headless, no network beyond the local server, and a record of every page error.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PAPERSIFT_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The name every profile folder begins with, in the OS's temporary folder. */
export const PROFILE_PREFIX = 'papersift-chromium-';

/**
 * A browser with a fresh profile on disk. Incognito contexts keep the HTTP cache in a small memory
 * cache, and Chromium then fails downloads as large as the model (ERR_CACHE_WRITE_FAILURE); a real
 * profile also keeps IndexedDB and Cache Storage the way a user's browser does.
 */
export async function launchProfile(viewport = { width: 1100, height: 1000 }, options: LaunchOptions = {}): Promise<Profile> {
  const dir = await mkdtemp(join(tmpdir(), PROFILE_PREFIX));
  const args = [...CHROMIUM_ARGS, ...(options.extraArgs ?? [])];
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args, viewport, ...options.context });
  return {
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    version: context.browser()?.version() ?? 'unknown',
    close: async () => {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Grants the site at `url` only `bytes` of storage in this profile, as Chromium does when the disk is nearly full
 * (it keeps about 1 GB free). The override lasts while the profile is open.
 */
export async function limitStorage(profile: Profile, url: string, bytes: number): Promise<void> {
  const cdp = await profile.context.newCDPSession(profile.page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(url).origin, quotaSize: bytes });
}

export interface LaunchOptions {
  /** More Chromium switches, e.g. WEBGPU_ARGS. */
  extraArgs?: string[];
  /** Device emulation, e.g. a phone's touch screen: `{ hasTouch: true, isMobile: true }`. */
  context?: { hasTouch?: boolean; isMobile?: boolean; colorScheme?: 'light' | 'dark' };
}

/**
 * WebGPU in headless Chromium here: without this switch requestAdapter() answers null; with it the adapter is
 * SwiftShader (a CPU emulation, isFallbackAdapter true). --disable-gpu does not turn it off.
 */
export const WEBGPU_ARGS = ['--enable-unsafe-webgpu'];

export interface Profile {
  context: BrowserContext;
  page: Page;
  version: string;
  close(): Promise<void>;
}

/** Uncaught exceptions and console errors of a page, its workers included. */
export interface PageProblems {
  errors: string[];
}

export function watchProblems(page: Page): PageProblems {
  const problems: PageProblems = { errors: [] };
  page.on('pageerror', (error) => problems.errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.errors.push(`console.error: ${message.text()}`);
  });
  page.on('worker', (worker) => {
    worker.on('console', (message) => {
      if (message.type() === 'error') problems.errors.push(`worker console.error: ${message.text()}`);
    });
  });
  return problems;
}

/** The focused element, through shadow roots. */
export function focusedElement(page: Page): Promise<{ tag: string; id: string; role: string; paperId: string; action: string; host: string; inViewport: boolean }> {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    let host = '';
    while (el?.shadowRoot?.activeElement) {
      host = el.tagName.toLowerCase();
      el = el.shadowRoot.activeElement;
    }
    const box = el?.getBoundingClientRect();
    return {
      tag: el?.tagName.toLowerCase() ?? '',
      id: el?.id ?? '',
      role: el?.getAttribute('role') ?? '',
      paperId: el?.getAttribute('data-paper-id') ?? '',
      action: el?.getAttribute('data-action') ?? '',
      host,
      // A pixel of slack: layout positions are fractional.
      inViewport: !!box && box.top >= -1 && box.bottom <= innerHeight + 1,
    };
  });
}

/** Waits until the app says the engine is ready (or fails loudly if it says error). */
export async function waitForReady(page: Page, timeout = 180_000): Promise<void> {
  const app = page.locator('papersift-app');
  await app.and(page.locator('[data-status="ready"], [data-status="error"]')).waitFor({ timeout });
  const status = await app.getAttribute('data-status');
  if (status !== 'ready') {
    // The reason is inside ps-load-status's shadow root, which innerText of the host does not include.
    const text = await page
      .locator('ps-load-status')
      .evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ').trim() ?? '')
      .catch(() => '');
    throw new Error(`The engine failed to start: ${text}`);
  }
}

/**
 * Resolves once the app says it is available offline (its service worker has precached the site, and the
 * index and model are stored); throws what the app said instead when the offline copy is missing or partial,
 * rather than waiting out the timeout.
 */
export async function untilOfflineReady(page: Page, timeout = 120_000): Promise<void> {
  const note = page.locator('[data-offline]');
  await note.first().waitFor({ timeout });
  if ((await note.getAttribute('data-offline')) !== 'ready') throw new Error(`The site is not fully available offline: ${await note.innerText()}`);
}

/** Resolves once the site's service worker controls the page: what a reload offline needs (it serves the app's files). */
export async function untilServiceWorkerControls(page: Page): Promise<void> {
  await untilOfflineReady(page);
  await page.evaluate(async () => {
    if (navigator.serviceWorker.controller) return;
    await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
  });
}

/** Waits for the next `papersift:results` event: results are on screen. */
export function nextResults(page: Page): Promise<{ count: number; timings: Record<string, number> }> {
  return page.evaluate(
    () =>
      new Promise<{ count: number; timings: Record<string, number> }>((resolve) =>
        window.addEventListener('papersift:results', (event) => resolve((event as CustomEvent).detail), { once: true }),
      ),
  );
}

export type { BrowserContext, Page };
