/**
 * The backend choice in Chromium. Without --enable-unsafe-webgpu there is no adapter: 'auto' runs WASM and
 * the page shows no error. With it the adapter is SwiftShader, a CPU emulation: 'auto' stays on WASM and says
 * why, and choosing WebGPU runs the fp32 weights on it, re-embedding the corpus there (the index must come
 * from the weights that run) and embedding queries as Node's fp32 model does.
 *
 * SwiftShader embeds 15-50x slower than WASM (docs/BENCHMARKS.md), so re-embedding the 364 shipped papers on
 * it would take far too long for a test: the WebGPU profile is served a tiny q8 index of short papers instead,
 * built here with Node's Embedder, and its rebuild on WebGPU is the real code path at a small size.
 */
import '../../src/cli/node-env';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildArtifacts } from '../../src/core/build';
import { createEmbedder } from '../../src/core/embed';
import type { Embedder } from '../../src/core/embed/types';
import { DEFAULT_MODEL_ID, getModel } from '../../src/core/models';
import type { Paper } from '../../src/core/types';
import { REPO_ROOT, SITE_ARTIFACTS_DIR, modelsDir } from '../../src/cli/node-env';
import type { EngineInfo } from '../../src/protocol';
import { launchProfile, waitForReady, watchProblems, WEBGPU_ARGS, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');
/** WebGPU runs fp32, which the site serves after `npm run setup -- --all` (as `npm test` runs it). */
const FP32_SERVED = existsSync(join(REPO_ROOT, 'public', 'models', DEFAULT_MODEL_ID, getModel(DEFAULT_MODEL_ID).weights.fp32!.path));

const stats = (p: Page): Promise<EngineInfo> => p.evaluate(() => window.__papersift.stats());
const panelText = (p: Page) => p.locator('ps-engine-panel').evaluate((el) => el.shadowRoot?.textContent?.replace(/\s+/g, ' ') ?? '');

async function searchShows(page: Page, text: string): Promise<number> {
  await page.locator('input[type="search"]').fill(text);
  await page.locator('input[type="search"]').press('Enter');
  await expect.poll(() => page.locator('.summary').first().textContent(), { timeout: 120_000 }).toMatch(/results for/);
  return page.locator('[data-paper-id]').count();
}

async function chooseBackend(page: Page, backend: 'auto' | 'wasm' | 'webgpu'): Promise<void> {
  const summary = page.locator('summary', { hasText: 'Engine settings' });
  if (!(await page.locator('select[name="backend"]').isVisible())) await summary.click();
  await page.locator('select[name="backend"]').selectOption(backend);
}

describe('Chromium without a WebGPU adapter', () => {
  let profile: Profile;
  let problems: PageProblems;

  beforeAll(async () => {
    profile = await launchProfile();
    problems = watchProblems(profile.page);
  });
  afterAll(() => profile?.close());

  it('auto runs WASM q8, says why, shows no error, and searches', async () => {
    const { page } = profile;
    await page.goto(site);
    expect(await page.evaluate(async () => (await (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()) ?? null)).toBeNull();
    await waitForReady(page);
    const info = await stats(page);
    expect(info.settings.backend).toBe('auto');
    expect(info.activeBackend).toBe('wasm');
    expect(info.activeDtype).toBe('q8');
    expect(info.backendReason).toMatch(/No WebGPU adapter/);
    expect(await page.locator('ps-engine-panel .backend').innerText()).toBe('WASM (q8)');
    expect(await panelText(page)).toContain(info.backendReason);
    expect(await searchShows(page, 'attention is all you need')).toBe(10);
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    expect(problems.errors).toEqual([]);
  });
});

describe('Chromium with --enable-unsafe-webgpu (SwiftShader)', () => {
  let profile: Profile;
  let problems: PageProblems;
  let node: Embedder;
  let tiny: { papers: Paper[]; files: Map<string, Uint8Array> };

  beforeAll(async () => {
    tiny = await tinyIndex();
    if (FP32_SERVED) node = await createEmbedder({ modelId: DEFAULT_MODEL_ID, dtype: 'fp32', localModelPath: modelsDir(), backend: 'cpu' });
    profile = await launchProfile(undefined, { extraArgs: WEBGPU_ARGS });
    problems = watchProblems(profile.page);
    // The tiny index stands in for the shipped one. No service worker: it would answer from its precache of
    // the real index, and its requests are beyond page routing.
    await profile.context.route(`${site}sw.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: '// no service worker in this test\n' }));
    await profile.context.route(`${site}artifacts/*`, (route) => {
      const name = new URL(route.request().url()).pathname.split('/').pop()!;
      const bytes = tiny.files.get(name);
      return bytes ? route.fulfill({ body: Buffer.from(bytes), contentType: name.endsWith('.json') ? 'application/json' : 'application/octet-stream' }) : route.fulfill({ status: 404 });
    });
  });
  afterAll(async () => {
    await node?.dispose();
    await profile?.close();
  });

  it('finds the adapter, sees it is a software fallback, and keeps auto on WASM q8, saying why', async () => {
    const { page } = profile;
    await page.goto(site);
    const adapter = await page.evaluate(async () => {
      const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: { isFallbackAdapter?: boolean; architecture?: string } } | null> } }).gpu;
      const found = await gpu?.requestAdapter();
      return found ? { isFallbackAdapter: found.info?.isFallbackAdapter, architecture: found.info?.architecture } : null;
    });
    expect(adapter).toEqual({ isFallbackAdapter: true, architecture: 'swiftshader' });
    await waitForReady(page);
    const info = await stats(page);
    expect(info.corpus.count).toBe(tiny.papers.length); // the routed index, not the shipped one
    expect(info).toMatchObject({ activeBackend: 'wasm', activeDtype: 'q8', source: 'network' });
    expect(info.backendReason).toMatch(/swiftshader\) is a software emulation/);
    expect(await page.locator('ps-engine-panel .backend').innerText()).toBe('WASM (q8)');
    expect(await panelText(page)).toContain(info.backendReason);
    expect(problems.errors).toEqual([]);
  });

  it.skipIf(!FP32_SERVED)('choosing WebGPU re-embeds the papers with fp32 on WebGPU and embeds queries as Node fp32 does', async () => {
    const { page } = profile;
    await chooseBackend(page, 'webgpu');
    await expect.poll(async () => (await stats(page)).activeBackend, { timeout: 420_000, interval: 2000 }).toBe('webgpu');
    const info = await stats(page);
    expect(info).toMatchObject({ activeDtype: 'fp32', source: 'built', settings: { backend: 'webgpu', dtype: 'q8' } });
    expect(info.counters.documentsEmbedded).toBe(tiny.papers.length);
    expect(info.backendReason).toMatch(/WebGPU chosen.*software emulation/);
    expect(await page.locator('ps-engine-panel .backend').innerText()).toBe('WebGPU (fp32)');

    const texts = ['sparse attention for long documents'];
    const browser = await page.evaluate((t) => window.__papersift.embed(t, 'query'), texts);
    for (const [i, text] of texts.entries()) {
      const reference = await node.embedQuery(text);
      const cosine = reference.reduce((sum, x, d) => sum + x * browser[i][d], 0);
      expect(cosine, text).toBeGreaterThan(0.999);
    }
    expect(await searchShows(page, tiny.papers[0].title)).toBeGreaterThan(0);
    expect(await page.locator('[data-paper-id]').first().getAttribute('data-paper-id')).toBe(tiny.papers[0].id);
    expect(problems.errors).toEqual([]);
  }, 600_000);

  it.skipIf(!FP32_SERVED)('back on auto it returns to WASM q8 without embedding again', async () => {
    const { page } = profile;
    const before = (await stats(page)).counters.documentsEmbedded;
    await chooseBackend(page, 'auto');
    await expect.poll(async () => (await stats(page)).activeBackend, { timeout: 120_000 }).toBe('wasm');
    const info = await stats(page);
    expect(info.activeDtype).toBe('q8');
    expect(info.counters.documentsEmbedded).toBe(before); // the q8 index is kept in IndexedDB
    expect(problems.errors).toEqual([]);
  });
});

/**
 * Four shipped papers cut to their first sentence, indexed with Node's q8 Embedder like `build-index`. Short,
 * because SwiftShader takes minutes per full abstract (docs/BENCHMARKS.md).
 */
async function tinyIndex(): Promise<{ papers: Paper[]; files: Map<string, Uint8Array> }> {
  const shipped = JSON.parse(await readFile(join(SITE_ARTIFACTS_DIR, 'papers.json'), 'utf8')) as Paper[];
  const papers = [0, 90, 180, 270].map((i) => ({ ...shipped[i], abstract: shipped[i].abstract.split(/(?<=\.)\s/)[0] }));
  const embedder = await createEmbedder({ modelId: DEFAULT_MODEL_ID, dtype: 'q8', localModelPath: modelsDir(), backend: 'cpu' });
  try {
    const { files } = await buildArtifacts(papers, embedder, { corpusHash: 'e2e-webgpu-tiny', createdBy: 'test/e2e/webgpu.test.ts' });
    return { papers, files };
  } finally {
    await embedder.dispose();
  }
}
