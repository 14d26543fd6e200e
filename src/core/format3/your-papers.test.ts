import { beforeAll, describe, expect, it } from 'vitest';
import { exactVectors } from '../../../test/helpers/exact-vectors';
import { SITE_ARTIFACTS_DIR } from '../../cli/node-env';
import { readArtifactsDir } from '../../cli/open-engine';
import { ChunkedLexicalIndex, ChunkedLexicalWriter } from '../lexical/chunked';
import { DEFAULT_MODEL_ID, getModel } from '../models';
import { SearchEngine, type SearchResult } from '../search';
import type { Paper } from '../types';
import { Format3Engine } from './engine';
import { mapSampleRows } from './map-sample';
import { PapersReader, PapersWriter } from './papers';
import { verifiedSource } from './sharded-files';
import { YourPapers } from './your-papers';

/**
 * The seed corpus twice: whole in a format-2 engine, and as a format-3 set without a few papers that are
 * then imported beside it (YourPapers). Vectors are exact on both sides, so semantic rankings must agree.
 */
const HELD_OUT = [5, 60, 121, 200, 333];
let format2: SearchEngine;
let yours: YourPapers;
let format3: Format3Engine;
let all: Paper[];
let held: Paper[];
/** A YourPapers over the same set and papers whose text reader holds nothing yet. */
let freshYours: () => Promise<YourPapers>;


beforeAll(async () => {
  const model = getModel(DEFAULT_MODEL_ID);
  const artifacts = await readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: model.defaultDtype });
  all = artifacts.papers.map((paper, row) => ({ ...paper, published: `${2016 + (row % 8)}-02-01`, categories: [row % 2 ? 'cs.LG' : 'cs.CL'] }));
  artifacts.papers.splice(0, all.length, ...all);
  format2 = await SearchEngine.open({ ...artifacts, hnsw: new Map() });
  const dims = model.dims;
  const kept = all.flatMap((paper, row) => (HELD_OUT.includes(row) ? [] : [{ paper, row }]));
  held = HELD_OUT.map((row) => ({ ...all[row], imported: true }));

  const files = new Map<string, Uint8Array>();
  const sink = (name: string, bytes: Uint8Array) => void files.set(name, bytes);
  const paperWriter = new PapersWriter(sink, { rowsPerShard: 8, titleRowsPerShard: 64, idBucketBytes: 1024 });
  const lexicalWriter = new ChunkedLexicalWriter({ bucketBytes: 2048, bigTermPostings: 40 });
  const rows = new Float32Array(kept.length * dims);
  for (const [i, { paper, row }] of kept.entries()) {
    await paperWriter.add(paper);
    lexicalWriter.add(paper);
    rows.set(format2.vectors.subarray(row * dims, (row + 1) * dims), i * dims);
  }
  const source = verifiedSource(async (name) => files.get(name));
  const papers = await PapersReader.open(await paperWriter.finish(), source);
  const lexical = await ChunkedLexicalIndex.open(await lexicalWriter.finish(sink), source);
  yours = new YourPapers({ papers, lexical, vectors: exactVectors(rows, dims, artifacts.rotation) }, { model: artifacts.manifest.model, corpusHash: 'test' });
  format3 = new Format3Engine(yours.readers(model.id));
  const raw = new Float32Array(held.length * dims);
  held.forEach((paper, i) => raw.set(format2.embeddingOf(paper.id), i * dims));
  const added = yours.addPapers(held, raw);
  expect(added.added).toHaveLength(held.length);
  const section = papers.section;
  freshYours = async () => {
    const fresh = new YourPapers({ papers: await PapersReader.open(section, source), lexical, vectors: exactVectors(rows, dims, artifacts.rotation) }, { model: artifacts.manifest.model, corpusHash: 'test' });
    fresh.addPapers(held, raw);
    return fresh;
  };
});

const ids = (r: SearchResult) => r.hits.map((h) => h.paper.id);

describe('your papers beside a format-3 set', () => {
  it('ranks by meaning as if they were in the set', async () => {
    for (const [i, source] of [all[7], all[90], held[2]].entries()) {
      const embedding = format2.embeddingOf(source.id);
      const expected = format2.searchText('learning representations', embedding, { exact: true, mode: 'semantic', k: 20 });
      const got = await format3.searchText('learning representations', embedding, { mode: 'semantic', k: 20 });
      expect(ids(got), `query ${i}`).toEqual(ids(expected));
    }
  });

  it('finds an imported paper by the words of its title, scored on the set’s scale', async () => {
    for (const paper of held) {
      const expected = format2.searchText(paper.title, null, { k: 10 });
      const got = await format3.searchText(paper.title, null, { k: 10 });
      expect(ids(got)[0], paper.title).toBe(paper.id);
      // BM25 over the set (the paper counted into its document frequencies) is close to BM25 over everything.
      expect(got.hits[0].score / expected.hits[0].score).toBeGreaterThan(0.9);
      expect(got.hits[0].score / expected.hits[0].score).toBeLessThan(1.1);
      expect(got.hits[0].paper.imported).toBe(true);
    }
  });

  it('hybrid search puts an imported paper where the whole corpus would', async () => {
    const paper = held[1];
    const embedding = format2.embeddingOf(paper.id);
    const got = await format3.searchText(paper.title, embedding, { k: 10 });
    expect(ids(got)[0]).toBe(paper.id);
    expect(got.hits[0].relevance).toBeGreaterThan(0.5);
  });

  it('similar to an imported paper and to a set paper: the same neighbours by meaning as format 2', async () => {
    for (const source of [held[0], all[42]]) {
      const expected = format2.similar(source.id, { exact: true, mode: 'semantic', k: 12 });
      const got = await format3.similar(source.id, { mode: 'semantic', k: 12 });
      expect(ids(got)).toEqual(ids(expected));
      expect(ids(got)).not.toContain(source.id);
    }
    const hybrid = await format3.similar(held[3].id, { k: 10 });
    expect(hybrid.hits).toHaveLength(10);
  });

  it('finds papers related to a pasted one, as format 2 does', async () => {
    const pasted = { title: held[4].title, abstract: held[4].abstract };
    const embedding = format2.embeddingOf(held[4].id);
    const expected = format2.related(pasted, embedding, { exact: true, mode: 'semantic', k: 10 });
    const got = await format3.related(pasted, embedding, { mode: 'semantic', k: 10 });
    expect(ids(got)).toEqual(ids(expected));
    // Not excluded: a paper already held comes first, which tells the user so.
    expect(ids(await format3.related(pasted, embedding, { k: 5 }))[0]).toBe(held[4].id);
  });

  it('shows an imported paper among the ranked titles sent before the text, once the set’s titles are held', async () => {
    const fresh = await freshYours();
    const side = fresh.readers(getModel(DEFAULT_MODEL_ID).id).papers;
    const engine = new Format3Engine(fresh.readers(getModel(DEFAULT_MODEL_ID).id));
    await engine.readAhead();
    const embedding = format2.embeddingOf(held[2].id);
    const ranked: { title: string; year?: number; categories: string[] }[][] = [];
    const result = await engine.searchText('transformer language model pretraining', embedding, { mode: 'semantic', k: 10 }, (r) => ranked.push(r.hits));
    expect(ids(result)).toContain(held[2].id);
    // Sent once, with the imported paper's own title, year and categories in its place.
    expect(ranked).toHaveLength(1);
    expect(ranked[0].map((h) => h.title)).toEqual(result.hits.map((h) => h.paper.title));
    const at = ids(result).indexOf(held[2].id);
    expect(ranked[0][at]).toMatchObject({ year: Number(held[2].published!.slice(0, 4)), categories: held[2].categories });
    // The user's papers are held whole: only the set's rows ever wait for a read.
    const row = fresh.setCount + 2;
    expect(side.holdsText!([row])).toBe(true);
  });

  it('filters and facets count the user’s papers', async () => {
    const filter = { yearFrom: 2016, yearTo: 2016, category: 'cs.CL' };
    const expected = format2.searchText('model', null, { filter, k: 50 });
    const got = await format3.searchText('model', null, { filter, k: 50 });
    expect(got.matching).toBe(expected.matching);
    expect(format3.facets()).toEqual(format2.facets());
  });

  it('knows the set’s papers as duplicates, by id and by title', async () => {
    expect((await yours.existingPaper({ id: all[8].id, title: 'something else entirely' }))?.id).toBe(all[8].id);
    expect((await yours.existingPaper({ id: 'doi:10.1/elsewhere', title: `  ${all[9].title.toUpperCase()} ` }))?.id).toBe(all[9].id);
    expect((await yours.existingPaper({ id: 'doi:10.1/elsewhere', title: held[0].title }))?.id).toBe(held[0].id);
    expect(await yours.existingPaper({ id: 'doi:10.1/new', title: 'A title no paper has: zebra quokka' })).toBeUndefined();
  });

  it('removes a paper: never returned again, and its row is not reused', async () => {
    const gone = held[2];
    const before = format3.count;
    expect(yours.removePapers([gone.id, all[3].id])).toEqual({
      removed: [gone.id],
      refused: [{ id: all[3].id, reason: expect.stringMatching(/stored corpus/) }],
    });
    expect(format3.count).toBe(before);
    expect(ids(await format3.searchText(gone.title, null, { k: 20 }))).not.toContain(gone.id);
    expect(ids(await format3.searchText('x', format2.embeddingOf(gone.id), { mode: 'semantic', k: 20 }))).not.toContain(gone.id);
    await expect(format3.paper(gone.id)).rejects.toThrow(/No paper/);
    expect(yours.importedPapers().map((p) => p.id)).toEqual(held.filter((p) => p !== gone).map((p) => p.id));
  });
});

describe('the map sample of a large set', () => {
  it('draws a small set whole', () => {
    expect(mapSampleRows(300, 16)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('spreads a large set’s sample over the whole row order, from few text shards', () => {
    const rows = mapSampleRows(100_000, 16, 2000);
    expect(rows).toHaveLength(2000);
    expect(new Set(rows).size).toBe(2000);
    expect(rows[0]).toBe(0);
    expect(rows[rows.length - 1]).toBeGreaterThan(99_000);
    const shards = new Set(rows.map((r) => Math.floor(r / 16)));
    expect(shards.size).toBe(250);
    // Under twice the sample's size, whole shards: the sample is still full.
    const whole = mapSampleRows(2500, 16, 2000);
    expect(whole).toHaveLength(2000);
    expect(new Set(whole.map((r) => Math.floor(r / 16))).size).toBe(125);
  });
});
