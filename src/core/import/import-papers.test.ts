import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelsDir, REPO_ROOT, SITE_ARTIFACTS_DIR } from '../../cli/node-env';
import { readArtifactsDir } from '../../cli/open-engine';
import { createEmbedder } from '../embed';
import type { Embedder } from '../embed/types';
import { DEFAULT_MODEL_ID, getModel } from '../models';
import { SearchEngine, type SearchOptions } from '../search';
import { exportCollection, readCollection } from './collection-file';
import type { ImportedPaper } from './imported-paper';
import { importPapers } from './import-papers';
import { parseBibtex } from './parse-import-file';

const model = getModel(DEFAULT_MODEL_ID);
const expected = { model, dtype: model.defaultDtype };
const openEngine = async () => SearchEngine.open(await readArtifactsDir(SITE_ARTIFACTS_DIR, expected));
const ids = (r: { hits: { paper: { id: string } }[] }) => r.hits.map((h) => h.paper.id);

/** Four papers the seed corpus lacks (ColBERT, DDPM, PPO, and one with markup for a title). */
const imported = parseBibtex(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'import', 'papers.bib'), 'utf8'), 'mine.bib').papers;
const colbert = imported[0];
const ddpm = imported[1];
/** Queries about the stored corpus, whose answers the imports must not change. */
const CORPUS_QUERIES = ['sparse autoencoders monosemantic features', 'matryoshka representation learning'];

let engine: SearchEngine;
let embedder: Embedder;
let embeddedTexts = 0;
const before = new Map<string, string[]>();
const queryEmbeddings = new Map<string, Float32Array>();
const search = (query: string, options: SearchOptions = {}) => engine.searchText(query, queryEmbeddings.get(query)!, options);

beforeAll(async () => {
  engine = await openEngine();
  const real = await createEmbedder({ modelId: model.id, dtype: model.defaultDtype, localModelPath: modelsDir() });
  // Counts what gets embedded, to check that duplicates are never embedded.
  embedder = Object.assign(Object.create(real), {
    embedDocuments: (texts: string[], options?: Parameters<Embedder['embedDocuments']>[1]) => {
      embeddedTexts += texts.length;
      return real.embedDocuments(texts, options);
    },
    dispose: () => real.dispose(),
  }) as Embedder;
  for (const query of [...CORPUS_QUERIES, colbert.title, ddpm.title]) queryEmbeddings.set(query, await embedder.embedQuery(query));
  for (const query of CORPUS_QUERIES) {
    for (const mode of ['hybrid', 'semantic'] as const) before.set(`${mode}:${query}`, ids(search(query, { mode, k: 20 })));
  }
});
afterAll(async () => embedder?.dispose());

describe('importPapers', () => {
  it('embeds and adds new papers, reporting progress', async () => {
    const progress: number[] = [];
    const result = await importPapers(engine, embedder, imported, (p) => progress.push(p.done));
    expect(result.added.map((p) => p.id)).toEqual(imported.map((p) => p.id));
    expect(result.duplicates).toEqual([]);
    expect(embeddedTexts).toBe(imported.length);
    expect(progress.at(-1)).toBe(imported.length);
    expect(engine.importedPapers().map((p) => p.id)).toEqual(imported.map((p) => p.id));
  });

  it('reports duplicates of imported and stored papers without embedding them', async () => {
    const stored = engine.papers[10];
    const again: ImportedPaper[] = [
      { ...colbert, sources: ['import:again.bib:1'] },
      { ...stored, id: 'another-id', title: stored.title.toUpperCase(), imported: true, sources: ['import:again.bib:9'] },
    ];
    const result = await importPapers(engine, embedder, again);
    expect(result.added).toEqual([]);
    expect(result.duplicates.map((d) => d.existing.id)).toEqual([colbert.id, stored.id]);
    expect(embeddedTexts).toBe(imported.length);
  });

  it('finds an added paper first for its exact title, in hybrid and semantic mode, graph or brute force', () => {
    for (const paper of [colbert, ddpm]) {
      for (const options of [{ mode: 'hybrid' }, { mode: 'semantic' }, { mode: 'semantic', exact: false }, { mode: 'hybrid', exact: false }, { mode: 'semantic', exact: false, dims: 64, adaptive: true }] as const) {
        expect(ids(search(paper.title, options))[0], JSON.stringify(options)).toBe(paper.id);
      }
    }
  });

  it('finds papers similar to an added paper, itself excluded', () => {
    for (const options of [{ mode: 'semantic', exact: false }, { mode: 'semantic', exact: true }, { mode: 'hybrid' }, { mode: 'lexical' }] as const) {
      const similar = engine.similar(colbert.id, { ...options, k: 10 });
      expect(similar.hits).toHaveLength(10);
      expect(ids(similar)).not.toContain(colbert.id);
    }
    // Retrieval papers are ColBERT's neighbours; the other imports (diffusion, RL, markup) are not.
    const top = engine.similar(colbert.id, { mode: 'semantic', k: 5 }).hits.map((h) => h.paper.title).join(' | ');
    expect(top).toMatch(/retriev|search|embedding|rank/i);
  });

  it('leaves the stored corpus answers unchanged', () => {
    for (const query of CORPUS_QUERIES) {
      for (const mode of ['hybrid', 'semantic'] as const) expect(ids(search(query, { mode, k: 20 }))).toEqual(before.get(`${mode}:${query}`));
    }
  });
});

describe('collection file', () => {
  it('round-trips: exported, read and added to a fresh engine, it gives the same answers', async () => {
    const bytes = exportCollection(engine);
    const collection = readCollection(bytes, expected);
    expect(collection.papers).toEqual(engine.importedPapers());
    const fresh = await openEngine();
    expect(fresh.addPapers(collection.papers, collection.embeddings!).added).toHaveLength(imported.length);
    for (const query of [colbert.title, ...CORPUS_QUERIES]) {
      for (const mode of ['hybrid', 'semantic'] as const) {
        const a = search(query, { mode, k: 15 });
        const b = fresh.searchText(query, queryEmbeddings.get(query)!, { mode, k: 15 });
        expect(ids(b)).toEqual(ids(a));
        b.hits.forEach((hit, i) => expect(hit.score).toBeCloseTo(a.hits[i].score, 6));
      }
    }
  });

  it('refuses another model or dtype, saying why, and can still hand over the papers', () => {
    const bytes = exportCollection(engine);
    const other = getModel('all-MiniLM-L6-v2');
    expect(() => readCollection(bytes, { model: other, dtype: 'q8' })).toThrow(
      expect.objectContaining({ code: 'artifacts-stale', message: expect.stringMatching(/model: file has bge-small-en-v1\.5, this site uses all-MiniLM-L6-v2/) }),
    );
    expect(() => readCollection(bytes, { model, dtype: 'fp32' })).toThrow(expect.objectContaining({ code: 'artifacts-stale', message: expect.stringMatching(/dtype: file has q8, this site uses fp32/) }));
    const papersOnly = readCollection(bytes, { model: other, dtype: 'q8' }, { papersOnly: true });
    expect(papersOnly.embeddings).toBeNull();
    expect(papersOnly.papers.map((p) => p.id)).toEqual(imported.map((p) => p.id));
  });

  it('refuses a file of another format or version', () => {
    const bytes = exportCollection(engine);
    expect(() => readCollection(new TextEncoder().encode('{"format":"something"}'), expected)).toThrow(
      expect.objectContaining({ code: 'artifacts-format', message: expect.stringMatching(/^Not a papersift collection file/) }),
    );
    const text = new TextDecoder().decode(bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true)));
    const versioned = new Uint8Array(bytes);
    versioned.set(new TextEncoder().encode(text.replace('"version":1', '"version":9')), 12);
    expect(() => readCollection(versioned, expected)).toThrow(expect.objectContaining({ code: 'artifacts-format', message: expect.stringMatching(/version 9/) }));
    expect(() => readCollection(bytes.subarray(0, bytes.length - 4), expected)).toThrow(expect.objectContaining({ code: 'artifacts-format', message: expect.stringMatching(/truncated/) }));
  });
});

describe('removePapers', () => {
  it('removes an imported paper from search and similar, for good', () => {
    const result = engine.removePapers([colbert.id, engine.papers[0].id, 'no-such-paper']);
    expect(result.removed).toEqual([colbert.id]);
    expect(result.refused.map((r) => r.id)).toEqual([engine.papers[0].id, 'no-such-paper']);
    for (const options of [{ mode: 'hybrid' }, { mode: 'semantic' }, { mode: 'semantic', exact: false }, { mode: 'lexical' }, { mode: 'semantic', exact: false, dims: 32 }] as const) {
      expect(ids(search(colbert.title, { ...options, k: 100 }))).not.toContain(colbert.id);
    }
    expect(() => engine.similar(colbert.id)).toThrow(expect.objectContaining({ code: 'unknown-paper' }));
    for (const source of [ddpm.id, engine.papers[5].id]) {
      for (const exact of [true, false]) expect(ids(engine.similar(source, { mode: 'semantic', exact, k: 100 }))).not.toContain(colbert.id);
    }
    expect(engine.importedPapers().map((p) => p.id)).not.toContain(colbert.id);
    expect(engine.removePapers([colbert.id]).removed).toEqual([]);
  });

  it('after all imports are removed, the corpus answers are as before', () => {
    engine.removePapers(engine.importedPapers().map((p) => p.id));
    expect(engine.importedPapers()).toEqual([]);
    for (const query of CORPUS_QUERIES) {
      for (const mode of ['hybrid', 'semantic'] as const) expect(ids(search(query, { mode, k: 20 }))).toEqual(before.get(`${mode}:${query}`));
    }
  });
});
