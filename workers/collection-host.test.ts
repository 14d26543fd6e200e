/**
 * The user's collection as two tabs see it: two engines, two CollectionHosts, one IndexedDB
 * (fake-indexeddb here; Web Locks and BroadcastChannel absent, so each change catches up with the store
 * itself, which is the path that matters).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clear, createStore } from 'idb-keyval';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, SITE_ARTIFACTS_DIR } from '../src/cli/node-env';
import { readArtifactsDir } from '../src/cli/open-engine';
import type { Embedder } from '../src/core/embed/types';
import { DEFAULT_MODEL_ID, getModel } from '../src/core/models';
import { SearchEngine } from '../src/core/search';
import { CollectionStore } from '../src/store/collection-store';
import { openShippedEngine } from '../test/helpers/shipped-engine';
import { CollectionHost, type CollectionTarget } from './collection-host';

const model = getModel(DEFAULT_MODEL_ID);
const expected = { model, dtype: model.defaultDtype };
const bibtex = readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'import', 'papers.bib'), 'utf8');
const pasted = 'Retrieval over spreadsheets\nWe index table cells and headers so that questions find the right table.\n\nSpeech keyword spotting on microcontrollers\nA tiny convolutional model detects wake words within a milliwatt budget.';
const noProgress = () => {};

let embedder: Embedder;
beforeAll(async () => {
  ({ embedder } = await openShippedEngine());
});
afterAll(async () => embedder?.dispose());

/** A tab: its own engine over the shipped artifacts, its own host, the shared store. */
async function openTab(): Promise<{ target: CollectionTarget<SearchEngine>; host: CollectionHost }> {
  const engine = await SearchEngine.open(await readArtifactsDir(SITE_ARTIFACTS_DIR, expected));
  const target = { engine, expected };
  const host = new CollectionHost(() => target);
  await host.restore(target, async () => embedder, noProgress);
  return { target, host };
}

const importedIds = (target: CollectionTarget) => target.engine.importedPapers().map((p) => p.id).sort();

beforeEach(async () => {
  await clear(createStore('papersift-collection', 'collections'));
});

describe('CollectionHost', () => {
  it('imports, saves before answering, and a new tab restores the papers without embedding them', async () => {
    const a = await openTab();
    const reply = await a.host.importText(a.target, embedder, { text: bibtex, fileName: 'mine.bib' }, noProgress);
    expect(reply.format).toBe('bibtex');
    expect(reply.added).toHaveLength(4);
    expect(reply.problems.map((p) => p.line)).toEqual([25, 40]);

    let embedded = 0;
    const counting: Embedder = {
      model: embedder.model,
      dtype: embedder.dtype,
      backend: embedder.backend,
      embedQuery: (text) => embedder.embedQuery(text),
      embedDocuments: (texts, options) => ((embedded += texts.length), embedder.embedDocuments(texts, options)),
      dispose: async () => {},
    };
    const engine = await SearchEngine.open(await readArtifactsDir(SITE_ARTIFACTS_DIR, expected));
    const b = { engine, expected };
    await new CollectionHost(() => b).restore(b, async () => counting, noProgress);
    expect(importedIds(b)).toEqual(importedIds(a.target));
    expect(embedded).toBe(0);
  });

  it('two tabs importing in turn both keep their papers, and a removal reaches the other tab', async () => {
    const a = await openTab();
    const b = await openTab();
    await a.host.importText(a.target, embedder, { text: bibtex, fileName: 'mine.bib' }, noProgress);
    // Tab b has not seen a's import; its own import must not overwrite it.
    const reply = await b.host.importText(b.target, embedder, { text: pasted, fileName: 'pasted' }, noProgress);
    expect(reply.added).toHaveLength(2);
    expect(importedIds(b.target)).toEqual([...importedIds(a.target), ...reply.added.map((p) => p.id)].sort());
    // And a's next change brings b's papers into a.
    await a.host.remove(a.target, []);
    expect(importedIds(a.target)).toEqual(importedIds(b.target));

    const gone = importedIds(a.target)[0];
    await a.host.remove(a.target, [gone]);
    await b.host.remove(b.target, []); // any change in b catches up first
    expect(importedIds(b.target)).not.toContain(gone);
    expect(() => b.target.engine.rowOf(gone)).toThrow(/No paper/);
  });

  it('sets unreadable stored bytes aside and says so, instead of failing or deleting them', async () => {
    const store = new CollectionStore();
    await store.write(new TextEncoder().encode('PSCOLL\r\n\u0000\u0000 garbage'));
    const engine = await SearchEngine.open(await readArtifactsDir(SITE_ARTIFACTS_DIR, expected));
    const target = { engine, expected };
    const notice = await new CollectionHost(() => target).restore(target, async () => embedder, noProgress);
    expect(notice).toMatch(/could not be read .* kept aside .*collection#unreadable-/);
    expect(await store.read()).toBeUndefined();
    expect(engine.importedPapers()).toEqual([]);
  });

  it('maps every live paper, then places an imported one without moving the others', async () => {
    const a = await openTab();
    const first = await a.host.mapOf(a.target, noProgress);
    expect(first.reused).toBe(false);
    expect(first.ids).toHaveLength(a.target.engine.papers.length);
    await a.host.importText(a.target, embedder, { text: bibtex, fileName: 'mine.bib' }, noProgress);
    const second = await a.host.mapOf(a.target, noProgress);
    expect(second.reused).toBe(true);
    expect(second.ids).toHaveLength(first.ids.length + 4);
    expect(Array.from(second.points.subarray(0, first.points.length))).toEqual(Array.from(first.points));
    expect(second.imported.filter(Boolean)).toHaveLength(4);
  }, 300_000);
});

describe('CollectionHost: collection files', () => {
  /** A collection file as another model would have written it: same papers, another dtype in the header. */
  function fromOtherModel(bytes: Uint8Array): Uint8Array {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const length = view.getUint32(8, true);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + length)));
    header.model = { ...header.model, dtype: 'fp32', sha256: 'another-model' };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const out = new Uint8Array(12 + json.length + (bytes.length - 12 - length));
    out.set(bytes.subarray(0, 8));
    new DataView(out.buffer).setUint32(8, json.length, true);
    out.set(json, 12);
    out.set(bytes.subarray(12 + length), 12 + json.length);
    return out;
  }

  it('adds a same-model file without embedding, refuses another model with the reason, and re-embeds it on request', async () => {
    const a = await openTab();
    await a.host.importText(a.target, embedder, { text: bibtex, fileName: 'mine.bib' }, noProgress);
    const exported = a.host.exportFile(a.target);
    expect(exported.count).toBe(4);
    const foreign = fromOtherModel(exported.bytes);

    await clear(createStore('papersift-collection', 'collections'));
    const b = await openTab();
    const same = await b.host.importFile(b.target, undefined, { bytes: exported.bytes, fileName: 'c.pscoll' }, noProgress);
    expect(same).toMatchObject({ format: 'collection', embedded: 0 });
    expect(same.added).toHaveLength(4);

    await clear(createStore('papersift-collection', 'collections'));
    const c = await openTab();
    await expect(c.host.importFile(c.target, embedder, { bytes: foreign, fileName: 'f.pscoll' }, noProgress)).rejects.toMatchObject({
      code: 'artifacts-stale',
      message: expect.stringMatching(/dtype: file has fp32, this site uses q8/),
    });
    expect(c.target.engine.importedPapers()).toHaveLength(0);
    const progress: number[] = [];
    const again = await c.host.importFile(c.target, embedder, { bytes: foreign, fileName: 'f.pscoll', reembed: true }, (p) => progress.push(p.done));
    expect(again.embedded).toBe(4);
    expect(progress.at(-1)).toBe(4);
    expect(importedIds(c.target)).toEqual(importedIds(b.target));
  });
});
