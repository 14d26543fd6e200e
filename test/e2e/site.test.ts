/**
 * The site in headless Chromium, against `vite build` + `vite preview` (see global-setup.ts).
 * One browser context for the whole file, in order: the first test is the first visit, a later one
 * reloads and must find the index in IndexedDB.
 */
import '../../src/cli/node-env';
import { existsSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeArtifacts } from '../../src/core/artifacts';
import { createEmbedder } from '../../src/core/embed';
import type { Embedder } from '../../src/core/embed/types';
import { DEFAULT_MODEL_ID, getModel, type Dtype } from '../../src/core/models';
import { SearchEngine } from '../../src/core/search';
import { REPO_ROOT, SITE_ARTIFACTS_DIR, modelsDir } from '../../src/cli/node-env';
import type { EngineInfo } from '../../src/protocol';
import { launchProfile, waitForReady, watchProblems, type Page, type PageProblems, type Profile } from './browser';

const site = inject('siteUrl');

/** Paraphrases whose answer is obvious from the seed titles; the paper must be in the top 3. */
const QUERIES: [query: string, paperId: string][] = [
  ['a neural network whose outputs point to positions in its own input sequence', 'pointer-networks'],
  ['get more varied outputs than beam search when decoding sequences', 'diverse-beam-search-decoding-diverse-solutions-from-neural-sequence-models'],
  ['injecting random noise into gradients helps train very deep networks', 'adding-gradient-noise-improves-learning-for-very-deep-networks'],
];

let profile: Profile;
let page: Page;
let problems: PageProblems;

const search = (p: Page) => p.locator('input[type="search"]');
const cards = (p: Page) => p.locator('[data-paper-id]');
const stats = (p: Page): Promise<EngineInfo> => p.evaluate(() => window.__papersift.stats());

async function searchFor(text: string): Promise<void> {
  await search(page).fill(text);
  await search(page).press('Enter');
}

/** Paper ids of the cards on screen once results for `what` are shown. */
async function shownIds(what: RegExp | string): Promise<string[]> {
  await expect.poll(() => page.locator('.summary').first().textContent(), { timeout: 60_000 }).toMatch(what);
  return cards(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-paper-id') ?? ''));
}

beforeAll(async () => {
  profile = await launchProfile();
  page = profile.page;
  problems = watchProblems(page);
});

afterAll(async () => {
  await profile?.close();
});

describe('first visit', () => {
  it('shows progress, then becomes ready from the shipped index without embedding papers', async () => {
    await page.goto(site);
    // Never a blank page: a status element exists from the first paint.
    await expect.poll(() => page.locator('[data-status]').count()).toBeGreaterThan(0);
    await waitForReady(page);
    const info = await stats(page);
    expect(info.source).toBe('network');
    expect(info.counters.documentsEmbedded).toBe(0);
    expect(info.corpus.count).toBeGreaterThan(300);
  });

  it('focuses the search box on load', async () => {
    const focused = await page.evaluate(() => {
      let el: Element | null = document.activeElement;
      while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
      return el?.getAttribute('type');
    });
    expect(focused).toBe('search');
  });
});

describe('search', () => {
  it.each(QUERIES)('"%s" finds %s in the top 3', async (query, paperId) => {
    await searchFor(query);
    const ids = await shownIds(query.slice(0, 40));
    expect(ids.slice(0, 3)).toContain(paperId);
    const card = page.locator(`[data-paper-id="${paperId}"]`);
    await expect.poll(() => card.innerText()).toMatch(/\w{4,}/); // the title is in the card
  });

  it('searches as you type, after a pause', async () => {
    await search(page).fill('');
    await search(page).pressSequentially('pointer networks for combinatorial problems', { delay: 20 });
    const ids = await shownIds('pointer networks for combinatorial problems');
    expect(ids.slice(0, 3)).toContain('pointer-networks');
    expect(new URL(page.url()).searchParams.get('q')).toBe('pointer networks for combinatorial problems');
  });

  it('finds similar papers from a card, without the paper itself', async () => {
    await searchFor(QUERIES[2][0]);
    await shownIds(QUERIES[2][0].slice(0, 40));
    const source = page.locator(`[data-paper-id="${QUERIES[2][1]}"]`);
    await source.locator('[data-action="similar"]').click();
    const ids = await shownIds(/similar to/i);
    expect(ids.length).toBe(10);
    expect(ids).not.toContain(QUERIES[2][1]);
    expect(new URL(page.url()).searchParams.get('similar')).toBe(QUERIES[2][1]);
  });

  it('moves through results with the keyboard: / focuses, ↓/j/k move, Enter expands, s finds similar', async () => {
    await searchFor(QUERIES[0][0]);
    await shownIds(QUERIES[0][0].slice(0, 40));
    await page.locator('h1').click(); // focus away from the box
    await page.keyboard.press('/');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('j');
    await page.keyboard.press('k');
    const focusedId = () =>
      page.evaluate(() => {
        let el: Element | null = document.activeElement;
        while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
        return el?.getAttribute('data-paper-id');
      });
    const first = (await cards(page).first().getAttribute('data-paper-id'))!;
    expect(await focusedId()).toBe(first);
    await page.keyboard.press('Enter');
    await expect.poll(() => cards(page).first().locator('button[aria-expanded]').getAttribute('aria-expanded')).toBe('true');
    await page.keyboard.press('s');
    await shownIds(/similar to/i);
    expect(new URL(page.url()).searchParams.get('similar')).toBe(first);
  });
});

describe('URL state', () => {
  it('restores ?q=&dims= on load and goes Back from similar to the query', async () => {
    const query = QUERIES[1][0];
    await page.goto(`${site}?q=${encodeURIComponent(query)}&dims=64`);
    await waitForReady(page);
    const ids = await shownIds(/64 dims/);
    expect(ids.slice(0, 3)).toContain(QUERIES[1][1]);
    expect(await search(page).inputValue()).toBe(query);
    expect(await page.locator('input[name="dims"]:checked + span').innerText()).toBe('64');

    await cards(page).nth(1).locator('[data-action="similar"]').click();
    await shownIds(/similar to/i);
    await page.goBack();
    await shownIds(query.slice(0, 40));
    expect(await search(page).inputValue()).toBe(query);
    expect(new URL(page.url()).searchParams.get('dims')).toBe('64');
  });

  it('changes dims and the adaptive toggle into the URL', async () => {
    await page.locator('input[name="dims"]').first().check(); // 32
    await shownIds(/32 dims/);
    await page.getByLabel('Adaptive re-rank').check();
    await shownIds(/32 dims re-ranked/);
    const params = new URL(page.url()).searchParams;
    expect(params.get('dims')).toBe('32');
    expect(params.get('adaptive')).toBe('1');
  });
});

describe('awkward input', () => {
  it('an empty or blank query gets a message, not an error', async () => {
    await searchFor('   ');
    await expect.poll(() => page.locator('.message').innerText()).toMatch(/type a few words/i);
  });

  it('a 12,000-character query gives results and says it was cut', async () => {
    const long = 'attention mechanisms for long documents '.repeat(300);
    await searchFor(long);
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 60_000 }).toMatch(/first 10,000 characters/);
    expect(await cards(page).count()).toBe(10);
  });

  it.each([
    ['emoji', '🧠🤖 language models that hallucinate 😵'],
    ['right-to-left text', 'نماذج اللغة الكبيرة والهلوسة'],
    ['emoji only', '🦄🌈'],
  ])('%s gives results', async (_kind, text) => {
    await searchFor(text);
    await expect.poll(() => page.locator('.summary').textContent(), { timeout: 60_000 }).toMatch(/10 (results|nearest papers)/);
  });

  it('raised no page errors and logged no console errors so far', () => {
    expect(problems.errors).toEqual([]);
  });
});

describe('repeat visit', () => {
  it('loads the index from IndexedDB and embeds only queries', async () => {
    const fetched: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/artifacts/')) fetched.push(new URL(request.url()).pathname);
    });
    await page.reload();
    await waitForReady(page);
    const info = await stats(page);
    expect(info.source).toBe('indexeddb');
    expect(info.counters.documentsEmbedded).toBe(0);
    // Only the manifest is asked for, to learn whether the site ships a newer index. The service worker
    // answers it from its precache, which holds one deploy's set (a new deploy is a new worker).
    expect(info.counters.artifactFilesFetched).toBe(1);
    expect(fetched.every((path) => path.endsWith('/manifest.json'))).toBe(true);

    // The reloaded URL's own query may have been embedded already; a new search adds exactly one.
    const before = info.counters.queriesEmbedded;
    await searchFor(QUERIES[0][0]);
    expect((await shownIds(QUERIES[0][0].slice(0, 40))).slice(0, 3)).toContain(QUERIES[0][1]);
    const after = await stats(page);
    expect(after.counters.documentsEmbedded).toBe(0);
    expect(after.counters.queriesEmbedded).toBe(before + 1);
  });

  it('replaces a corrupted stored index and says so', async () => {
    await page.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('papersift');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const tx = open.result.transaction('artifacts', 'readwrite');
            const store = tx.objectStore('artifacts');
            const cursor = store.openCursor();
            cursor.onsuccess = () => {
              const c = cursor.result;
              if (!c) return;
              if (String(c.key).endsWith('/vectors.f32')) {
                const bytes = new Uint8Array(c.value as Uint8Array);
                bytes[100] ^= 0xff;
                c.update(bytes);
              }
              c.continue();
            };
            tx.oncomplete = () => resolve();
          };
        }),
    );
    await page.reload();
    await waitForReady(page);
    const info = await stats(page);
    expect(info.source).toBe('network');
    expect(info.notice).toMatch(/corrupted/i);
    expect(info.counters.documentsEmbedded).toBe(0);
    await expect.poll(() => page.locator('.notice').innerText()).toMatch(/replaced/);
  });
});

describe('query vectors: worker vs Node', () => {
  const TEXTS = [
    'sparse attention for long documents',
    'why do language models make things up',
    'graph neural networks',
    '🧠 émotions et langage',
    QUERIES[0][0],
  ];

  let engine: SearchEngine;
  const embedders = new Map<Dtype, Embedder>();

  beforeAll(async () => {
    const info = await stats(page);
    const model = getModel(info.settings.modelId);
    const artifacts = await decodeArtifacts(
      async (name) => readFile(join(SITE_ARTIFACTS_DIR, name)).then((b) => new Uint8Array(b), () => undefined),
      { model, dtype: info.settings.dtype },
    );
    engine = await SearchEngine.open(artifacts);
    for (const dtype of Object.keys(model.weights) as Dtype[]) {
      embedders.set(dtype, await createEmbedder({ modelId: model.id, dtype, localModelPath: modelsDir(), backend: 'cpu' }));
    }
  });

  afterAll(async () => {
    for (const embedder of embedders.values()) await embedder.dispose();
  });

  // The same ten papers; int8 kernels differ between runtimes (≈2e-3 per component), which may swap
  // two papers whose scores differ by less than that, so the order is not compared.
  it('agree for the index dtype: cosine ≥ 0.999 and the same top 10', async () => {
    const { settings } = await stats(page);
    const browserVectors = await page.evaluate((texts) => window.__papersift.embed(texts), TEXTS);
    for (const [i, text] of TEXTS.entries()) {
      const node = await embedders.get(settings.dtype)!.embedQuery(text);
      const browserVector = Float32Array.from(browserVectors[i]);
      expect(cosine(node, browserVector), text).toBeGreaterThanOrEqual(0.999);
      const top = (v: Float32Array) => engine.searchEmbedding(v, { k: 10, exact: true }).hits.map((h) => h.paper.id).sort();
      expect(top(browserVector), text).toEqual(top(node));
    }
  });

  // fp32 weights are served only after `npm run setup -- --model bge-small-en-v1.5:fp32` (or --all).
  it.skipIf(!existsSync(join(REPO_ROOT, 'public', 'models', DEFAULT_MODEL_ID, 'onnx', 'model.onnx')))('agree within 1e-5 per component on fp32', async () => {
    const browserVectors = await page.evaluate((texts) => window.__papersift.embed(texts, 'query', 'fp32'), TEXTS);
    for (const [i, text] of TEXTS.entries()) {
      const node = await embedders.get('fp32')!.embedQuery(text);
      const worst = Math.max(...Array.from(node, (v, d) => Math.abs(v - browserVectors[i][d])));
      expect(worst, text).toBeLessThanOrEqual(1e-5);
    }
  });
});

describe('engine settings', () => {
  it('asking for WebGPU where Chromium has no adapter keeps queries on WASM and says so', async () => {
    await page.locator('summary', { hasText: 'Engine settings' }).click();
    await page.locator('select[name="backend"]').selectOption('webgpu');
    await expect.poll(async () => (await stats(page)).settings.backend, { timeout: 60_000 }).toBe('webgpu');
    await waitForReady(page);
    const info = await stats(page);
    expect(info.activeBackend).toBe('wasm');
    expect(info.counters.documentsEmbedded).toBe(0);
    await expect.poll(() => page.locator('ps-engine-panel').evaluate((el) => el.shadowRoot?.textContent ?? '')).toMatch(/No WebGPU adapter/);
    await searchFor(QUERIES[1][0]);
    expect((await shownIds(QUERIES[1][0].slice(0, 40))).slice(0, 3)).toContain(QUERIES[1][1]);
    await page.locator('select[name="backend"]').selectOption('wasm');
    await expect.poll(async () => (await stats(page)).settings.backend, { timeout: 60_000 }).toBe('wasm');
  });
});

describe('looks', () => {
  it('renders results for a screenshot (PAPERSIFT_SCREENSHOT=1 writes docs/screenshot.png)', async () => {
    await page.goto(site);
    await waitForReady(page);
    // A warm search, so the timings in the picture are the usual ones.
    await searchFor('hallucination');
    await shownIds('hallucination');
    await searchFor('why do language models make things up');
    await shownIds('make things up');
    await page.mouse.move(0, 0);
    const shot = await page.screenshot({ fullPage: false });
    expect(shot.byteLength).toBeGreaterThan(10_000);
    // The README's picture is replaced only when asked, so a test run leaves the tree clean.
    if (process.env.PAPERSIFT_SCREENSHOT) writeFileSync(join(import.meta.dirname, '..', '..', 'docs', 'screenshot.png'), shot);
  });
});

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
}
