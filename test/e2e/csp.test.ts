/**
 * Nothing leaves the browser, provably: the built page carries its Content-Security-Policy as a <meta>
 * (src/content-security-policy.ts), with no inline script or style for it to allow, and under it a fetch
 * to another origin fails from the page, and nothing reaches that origin. The engine worker, loaded from
 * its own URL, follows the header policy the README gives (vite preview sends it), not the page's meta:
 * from the worker too, such a fetch fails.
 * The rest of the e2e suite runs the whole app (search, similar, import, map, offline, update) under the
 * same policy; any violation there is a console error those tests fail on.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from '../../src/content-security-policy';
import { launchProfile, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');

let profile: Profile;
let page: Page;
let problems: PageProblems;
/** Another origin (another port), counting every request that reaches it. */
let elsewhere: Server;
let elsewhereUrl: string;
const reached: string[] = [];

beforeAll(async () => {
  elsewhere = createServer((request, response) => {
    reached.push(request.url ?? '');
    response.writeHead(200, { 'Access-Control-Allow-Origin': '*', 'Content-Type': 'text/plain' }).end('reached');
  });
  await new Promise<void>((done) => elsewhere.listen(0, '127.0.0.1', done));
  const address = elsewhere.address();
  if (typeof address !== 'object' || !address) throw new Error('no port');
  // localhost, not 127.0.0.1: another host as well as another port.
  elsewhereUrl = `http://localhost:${address.port}/`;
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
});

afterAll(async () => {
  await profile?.close();
  await new Promise<void>((done) => (elsewhere ? elsewhere.close(() => done()) : done()));
});

describe('Content-Security-Policy', () => {
  it('is the built page’s first <meta>, before any script, with no inline script or style to allow', async () => {
    const html = await (await fetch(site)).text();
    const head = html.slice(0, html.indexOf('</head>'));
    const firstMeta = /<meta[^>]*>/.exec(head)?.[0] ?? '';
    // The charset comes first by rule; the policy straight after, before any script or stylesheet.
    const policy = /<meta http-equiv="Content-Security-Policy" content="([^"]*)"/.exec(head);
    expect(firstMeta).toMatch(/charset|Content-Security-Policy/);
    expect(policy?.[1].replaceAll('&#39;', "'")).toBe(CONTENT_SECURITY_POLICY);
    expect(head.indexOf('Content-Security-Policy')).toBeLessThan(head.search(/<script|<link rel="stylesheet"/));
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/object-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/base-uri 'none'/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
  });

  it('lets the app search and find similar papers, and blocks a fetch to another origin from the page', async () => {
    await page.goto(site);
    await waitForReady(page);
    const box = page.locator('input[type="search"]');
    await box.fill('pointer networks');
    await box.press('Enter');
    await expect.poll(() => page.locator('ps-result-list [data-paper-id]').count(), { timeout: 60_000 }).toBe(10);
    await page.locator('[data-action="similar"]').first().click();
    await expect.poll(() => page.locator('.summary').first().textContent(), { timeout: 60_000 }).toMatch(/similar to/);

    const outcome = await page.evaluate(async (url) => {
      const violations: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
      const result = await fetch(url).then(
        () => 'allowed',
        () => 'blocked',
      );
      await new Promise((done) => setTimeout(done, 100));
      return { result, violations };
    }, `${elsewhereUrl}from-page`);
    expect(outcome.result).toBe('blocked');
    // Once per policy that forbids it: the meta and, where the host sends it, the header.
    expect(outcome.violations.length).toBeGreaterThan(0);
    expect(new Set(outcome.violations)).toEqual(new Set(['connect-src']));
    expect(reached).toEqual([]);
  });

  it('blocks a fetch to another origin from the engine worker, which the header policy covers', async () => {
    // vite preview sends the policy as a header too (vite.config.ts), as the README asks of a host: the worker
    // script's own response carries it. (On a host that sends no header, only the page is covered: README.)
    const response = await fetch(site);
    expect(response.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_HEADER);
    const worker = page.workers().find((w) => /worker/i.test(w.url()));
    if (!worker) throw new Error(`no engine worker among ${page.workers().map((w) => w.url()).join(', ')}`);
    const result = await worker.evaluate(
      (url) =>
        fetch(url).then(
          () => 'allowed',
          () => 'blocked',
        ),
      `${elsewhereUrl}from-worker`,
    );
    expect(result).toBe('blocked');
    expect(reached).toEqual([]);
  });

  it('logged no violation (or any other error) while the app worked', () => {
    // The page's own blocked fetches above are the only refusals expected.
    expect(problems.errors.filter((e) => !e.includes(elsewhereUrl))).toEqual([]);
  });
});
