import { beforeAll, describe, expect, it, vi } from 'vitest';
import { exactVectors } from '../../../test/helpers/exact-vectors';
import { SITE_ARTIFACTS_DIR } from '../../cli/node-env';
import { readArtifactsDir } from '../../cli/open-engine';
import { paperTerms } from '../lexical/analyzer';
import { ChunkedLexicalIndex, ChunkedLexicalWriter, LEXICAL_HOLD_LANES, LEXICAL_HOLD_ROUND_FILES } from '../lexical/chunked';
import { DEFAULT_MODEL_ID, getModel } from '../models';
import { SearchEngine, type SearchOptions, type SearchResult } from '../search';
import type { Paper } from '../types';
import { Format3Engine, FUSION_SHORTLIST, READ_AHEAD_LANES, type Format3Readers, type VectorReader } from './engine';
import { encodeVectors, DEFAULT_VECTOR_PARAMS } from './build';
import type { Format3Manifest } from './manifest';
import { openFormat3Engine, openFormat3KeywordFirst } from './open';
import { PapersReader, PapersWriter } from './papers';
import { fileRef, verifiedSource } from './sharded-files';
import type { VectorSearchOptions } from './reader';

// Counted, not changed: the engine keeps the terms of recent hits instead of analysing their papers again.
vi.mock('../lexical/analyzer', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../lexical/analyzer')>();
  return { ...actual, paperTerms: vi.fn(actual.paperTerms) };
});

const CATEGORIES = ['cs.LG', 'cs.CL', 'stat.ML', 'cs.IR'];
let format2: SearchEngine;
let format3: Format3Engine;
let format3Readers: Format3Readers;
let papers: Paper[];
let paperFilesRead: string[];
let vectors: ReturnType<typeof exactVectors>;

let rotation: Float32Array;
/** The papers section of the format-3 set above, and its files: readers of their own open over them. */
let paperSection: Awaited<ReturnType<typeof textSections>>['papers'];
let setFiles: Map<string, Uint8Array>;

/** The papers and keyword sections of these papers, in this row order, over one Map of files. */
async function textSections(rows: readonly Paper[], files: Map<string, Uint8Array>) {
  const sink = (name: string, bytes: Uint8Array) => void files.set(name, bytes);
  const paperWriter = new PapersWriter(sink, { rowsPerShard: 8, titleRowsPerShard: 64, idBucketBytes: 1024 });
  const lexicalWriter = new ChunkedLexicalWriter({ bucketBytes: 2048, bigTermPostings: 40 });
  for (const paper of rows) {
    await paperWriter.add(paper);
    lexicalWriter.add(paper);
  }
  return { papers: await paperWriter.finish(), lexical: await lexicalWriter.finish(sink) };
}

beforeAll(async () => {
  const model = getModel(DEFAULT_MODEL_ID);
  const artifacts = await readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: model.defaultDtype });
  // Years and categories, which the seed listings lack, so filters have something to narrow.
  papers = artifacts.papers.map((paper, row) => ({
    ...paper,
    ...(row % 9 === 0 ? {} : { published: `${2015 + (row % 10)}-0${1 + (row % 9)}-01` }),
    categories: [CATEGORIES[row % 4]],
  }));
  artifacts.papers.splice(0, papers.length, ...papers);
  format2 = await SearchEngine.open({ ...artifacts, hnsw: new Map() });

  rotation = artifacts.rotation;
  const files = new Map<string, Uint8Array>();
  const sections = await textSections(papers, files);
  const lexicalSection = sections.lexical;
  paperSection = sections.papers;
  setFiles = files;
  paperFilesRead = [];
  const source = verifiedSource(async (name) => {
    paperFilesRead.push(name);
    return files.get(name);
  });
  vectors = exactVectors(format2.vectors.slice(), model.dims, artifacts.rotation);
  format3Readers = {
    modelId: model.id,
    papers: await PapersReader.open(paperSection, source),
    lexical: await ChunkedLexicalIndex.open(lexicalSection, source),
    vectors,
  };
  format3 = new Format3Engine(format3Readers);
});

const ids = (r: SearchResult) => r.hits.map((h) => h.paper.id);
/** What the page shows of a result, scores rounded (float32 rows vs the same rows: equal up to rounding). */
function shown(r: SearchResult) {
  return {
    mode: r.mode,
    ids: ids(r),
    scores: r.hits.map((h) => h.score.toFixed(4)),
    relevance: r.hits.map((h) => h.relevance?.toFixed(4)),
    terms: r.hits.map((h) => h.terms),
    keywordMatches: r.keywordMatches,
    correctedQuery: r.correctedQuery,
    noCloseMatch: r.noCloseMatch,
    matching: r.matching,
  };
}
const EXACT: SearchOptions = { exact: true };

describe('format-3 engine: the same results as the format-2 engine over the same papers and vectors', () => {
  const queries = ['sparse autoencoders monosemantic features', 'retrieval augmented generation', 'matryoshka embeddings', 'zzzqx', 'the of and'];

  it('keyword answers (no model yet): hits, scores, relevance, highlights, match counts', async () => {
    for (const query of queries) {
      const expected = format2.searchText(query, null);
      const got = await format3.searchText(query, null);
      expect(shown(got), query).toEqual(shown(expected));
    }
  });

  it('corrects a mistyped query as format 2 does', async () => {
    const got = await format3.searchText('transfromer atention', null);
    expect(got.correctedQuery).toBeDefined();
    expect(shown(got)).toEqual(shown(format2.searchText('transfromer atention', null)));
  });

  it('does not correct a word that a filter hides: papers outside the filter have it (as format 2)', async () => {
    const filter = { category: 'cs.IR' };
    const words = papers.filter((p) => !p.categories?.includes('cs.IR')).flatMap((p) => p.title.toLowerCase().match(/[a-z]{7,}/g) ?? []);
    const word = words.find((w) => format2.searchText(w, null, { filter }).keywordMatches?.any === 0 && (format2.searchText(w, null).keywordMatches?.any ?? 0) > 0);
    expect(word).toBeDefined();
    // With a word no paper has, which a query no paper in scope matched would have had 'corrected'.
    const query = `${word} transfromer`;
    const expected = format2.searchText(query, null, { filter });
    expect(expected.correctedQuery).toBeUndefined();
    const got = await format3.searchText(query, null, { filter });
    expect(got.correctedQuery).toBeUndefined();
    expect(shown(got)).toEqual(shown(expected));
  });

  it('hybrid and semantic answers with a query embedding', async () => {
    for (const [i, query] of queries.slice(0, 3).entries()) {
      // A stored paper's embedding stands in for the model's: no model is loaded in this test.
      const embedding = format2.embeddingOf(papers[i * 50 + 7].id);
      for (const mode of ['hybrid', 'semantic'] as const) {
        const expected = format2.searchText(query, embedding, { ...EXACT, mode, k: 15 });
        const got = await format3.searchText(query, embedding, { mode, k: 15 });
        expect(ids(got), `${mode}: ${query}`).toEqual(ids(expected));
        expect(shown(got).relevance).toEqual(shown(expected).relevance);
        expect(got.hits[0].cosine).toBeCloseTo(expected.hits[0].cosine as number, 5);
        expect(got.adaptive).toBe(true);
      }
    }
  });

  it('similar, in every mode, never lists the paper itself', async () => {
    for (const source of [papers[3], papers[120], papers[300]]) {
      for (const mode of ['hybrid', 'semantic', 'lexical'] as const) {
        const expected = format2.similar(source.id, { ...EXACT, mode, k: 12 });
        const got = await format3.similar(source.id, { mode, k: 12 });
        expect(ids(got)).not.toContain(source.id);
        expect(shown(got), `${mode}: ${source.id}`).toEqual(shown(expected));
      }
    }
  });

  it('filters by year and category, counts what passes, orders by date', async () => {
    const filter = { yearFrom: 2018, yearTo: 2020, category: 'cs.CL' };
    const embedding = format2.embeddingOf(papers[10].id);
    for (const mode of ['hybrid', 'lexical'] as const) {
      const expected = format2.searchText('language models', embedding, { ...EXACT, mode, filter, sort: 'date' });
      const got = await format3.searchText('language models', embedding, { mode, filter, sort: 'date' });
      expect(shown(got)).toEqual(shown(expected));
      expect(got.matching).toBeGreaterThan(0);
      for (const hit of got.hits) expect(hit.paper.categories).toContain('cs.CL');
    }
    const similar = await format3.similar(papers[5].id, { filter: { category: 'cs.IR' } });
    expect(ids(similar)).toEqual(ids(format2.similar(papers[5].id, { ...EXACT, filter: { category: 'cs.IR' } })));
    await expect(format3.searchText('language', null, { filter: { yearFrom: 1900, yearTo: 1901 } })).rejects.toMatchObject({ code: 'no-match' });
  });

  it('gives facets from the catalog and papers by id', async () => {
    expect(format3.facets()).toEqual(format2.facets());
    expect(await format3.paper(papers[42].id)).toEqual(papers[42]);
    await expect(format3.paper('no-such-id')).rejects.toMatchObject({ code: 'unknown-paper' });
    await expect(format3.similar('no-such-id')).rejects.toMatchObject({ code: 'unknown-paper' });
  });
});

describe('format-3 engine: what it fetches and what it refuses', () => {
  it('reads the text of the hits only, and the vectors of the hits and the feedback papers only', async () => {
    paperFilesRead.length = 0;
    vectors.rowsRead.length = 0;
    const result = await format3.searchText('graph neural networks', format2.embeddingOf(papers[200].id), { k: 5 });
    const textShards = paperFilesRead.filter((name) => name.startsWith('papers/p-'));
    const hitShards = new Set(result.hits.map((h) => `papers/p-${Math.floor(h.row / 8)}.json`));
    // Shards held from earlier searches are not read again; none but the hits' is read.
    for (const shard of textShards) expect(hitShards).toContain(shard);
    // Rocchio's 3 feedback papers and the 5 hits' cosines.
    expect(vectors.rowsRead.length).toBe(3 + 5);
  });

  it("keeps the index terms of recent hits' papers: a query searched again analyses none, and answers as before", async () => {
    const analysed = vi.mocked(paperTerms);
    const engine = new Format3Engine(format3Readers);
    const embedding = format2.embeddingOf(papers[120].id);
    const search = () => engine.searchText('contrastive sentence embeddings', embedding, { k: 12 });
    analysed.mockClear();
    const first = await search();
    expect(analysed).toHaveBeenCalledTimes(12);
    analysed.mockClear();
    const again = await search();
    expect(analysed).not.toHaveBeenCalled();
    expect({ ...again, phases: undefined }).toEqual({ ...first, phases: undefined });
    expect(shown(again)).toEqual(shown(format2.searchText('contrastive sentence embeddings', embedding, { ...EXACT, k: 12 })));
  });

  it('keeps the terms of a bounded number of papers', async () => {
    const analysed = vi.mocked(paperTerms);
    const engine = new Format3Engine(format3Readers, { termsMemoPapers: 5 });
    const search = () => engine.searchText('language models', null, { k: 8 });
    await search();
    analysed.mockClear();
    // Eight hits through a memo of five, least recent first out: each is analysed again.
    await search();
    expect(analysed).toHaveBeenCalledTimes(8);
  });

  /** An engine over the same set whose papers reader holds no shard yet, and the text shards it reads (`failing`: reads throw). */
  async function freshTextEngine(options: ConstructorParameters<typeof Format3Engine>[1] = {}) {
    const read: string[] = [];
    const state = { failing: false };
    const source = verifiedSource(async (name) => {
      if (/^papers\/p-\d+\.json$/.test(name) && state.failing) throw new Error('offline');
      if (/^papers\/p-\d+\.json$/.test(name)) read.push(name);
      return setFiles.get(name);
    });
    const engine = new Format3Engine({ ...format3Readers, papers: await PapersReader.open(paperSection, source) }, options);
    return { engine, read, state };
  }
  const shardOf = (row: number) => `papers/p-${Math.floor(row / 8)}.json`;

  it('reads the text of the ranks past the page when asked (readAhead), and a search that shows them reads no text', async () => {
    const embedding = format2.embeddingOf(papers[120].id);
    for (const mode of ['hybrid', 'lexical'] as const) {
      const { engine, read } = await freshTextEngine({ readAheadRanks: 10 });
      const page = await engine.searchText('contrastive sentence embeddings', embedding, { mode, k: 5 });
      expect(new Set(read)).toEqual(new Set(page.hits.map((h) => shardOf(h.row))));
      read.length = 0;
      expect(await engine.readAhead()).toBe(10);
      // Asked again before another search, nothing is left to read.
      expect(await engine.readAhead()).toBe(0);
      const longer = await engine.searchText('contrastive sentence embeddings', embedding, { mode, k: 15 });
      expect(ids(longer).slice(0, 5)).toEqual(ids(page));
      const past = new Set(longer.hits.slice(5).map((h) => shardOf(h.row)));
      for (const hit of page.hits) past.delete(shardOf(hit.row));
      // Ranks 6-15's shards, each once, none held before; the longer search then read none.
      expect(read.length).toBe(past.size);
      expect(new Set(read)).toEqual(past);
      // The same answer as an engine that reads nothing ahead.
      const plain = await (await freshTextEngine({ readAheadRanks: 0 })).engine.searchText('contrastive sentence embeddings', embedding, { mode, k: 15 });
      expect(shown(longer)).toEqual(shown(plain));
    }
  });

  it('stops reading ahead when another search begins or when told to, and ends quietly when a read fails', async () => {
    const embedding = format2.embeddingOf(papers[10].id);
    const { engine, read, state } = await freshTextEngine({ readAheadRanks: 20 });
    await engine.searchText('language models', embedding, { k: 5 });
    // The titles are read first, as many at a time: stopped by a search, none of the text is read.
    const titlesFirst = engine.readAhead();
    await engine.searchText('language models', embedding, { k: 6 });
    expect(await titlesFirst).toBe(0);
    // Held from here on (the next read ahead finishes them), so the text comes next.
    await engine.readAhead();
    await engine.searchText('language models', embedding, { k: 5 });
    read.length = 0;
    const ahead = engine.readAhead();
    const next = engine.searchText('graph neural networks', embedding, { k: 5 });
    // The reads begun before the search, one a lane, are the only ones.
    expect(await ahead).toBe(READ_AHEAD_LANES);
    await next;
    // Stopped before a search begins (the worker, as a search request arrives).
    const stopped = engine.readAhead();
    engine.stopReadAhead();
    expect(await stopped).toBe(READ_AHEAD_LANES);
    expect(await engine.readAhead()).toBe(0);
    await engine.searchText('sparse attention for long documents', embedding, { k: 5 });
    state.failing = true;
    await expect(engine.readAhead()).resolves.toBeLessThan(20);
  });

  it('sends the hits in order with their titles before their text (onRanked) once readAhead holds the titles', async () => {
    const embedding = format2.embeddingOf(papers[200].id);
    const { engine, read } = await freshTextEngine({ readAheadRanks: 0 });
    const ranked = vi.fn();
    // No titles held yet: nothing is sent ahead.
    await engine.searchText('language models', embedding, { k: 5 }, ranked);
    expect(ranked).not.toHaveBeenCalled();
    await engine.readAhead();
    for (const mode of ['hybrid', 'semantic', 'lexical'] as const) {
      const query = `${mode} graph neural networks for molecules`;
      read.length = 0;
      const result = await engine.searchText(query, embedding, { mode, k: 8 }, ranked);
      expect(read.length).toBeGreaterThan(0);
      expect(ranked).toHaveBeenCalledTimes(1);
      const [preview] = ranked.mock.lastCall!;
      // The reply's hits, in its order, with what the catalog and the titles say of each.
      expect(preview.mode).toBe(result.mode);
      expect(preview.hits.map((h: { row: number }) => h.row)).toEqual(result.hits.map((h) => h.row));
      expect(preview.hits.map((h: { score: number }) => h.score)).toEqual(result.hits.map((h) => h.score));
      expect(preview.hits.map((h: { title: string }) => h.title)).toEqual(result.hits.map((h) => h.paper.title));
      for (const [i, hit] of result.hits.entries()) {
        expect(preview.hits[i].categories).toEqual(hit.paper.categories);
        expect(preview.hits[i].year).toBe(hit.paper.published ? Number(hit.paper.published.slice(0, 4)) : undefined);
      }
      ranked.mockClear();
      // Its text held now: the answer needs no read, so nothing is sent ahead of it.
      await engine.searchText(query, embedding, { mode, k: 8 }, ranked);
      expect(ranked).not.toHaveBeenCalled();
    }
    // Newest first is another order than the ranking's: nothing to show before the dates are read.
    await engine.searchText('attention for long documents', embedding, { k: 8, sort: 'date' }, ranked);
    expect(ranked).not.toHaveBeenCalled();
  });

  it('holds the titles only within its budget, and goes on after being stopped', async () => {
    const counted: string[] = [];
    const source = verifiedSource(async (name) => {
      if (/^papers\/titles-\d+\.json$/.test(name)) counted.push(name);
      return setFiles.get(name);
    });
    const reader = await PapersReader.open(paperSection, source);
    expect(await reader.holdTitles(() => false, reader.titleBytes - 1)).toBe(false);
    expect(counted).toEqual([]);
    let reads = 0;
    expect(await reader.holdTitles(() => ++reads > 2)).toBe(false);
    expect(reader.titlesHeld).toBe(false);
    expect(reader.preview(0)).toBeUndefined();
    expect(await reader.holdTitles()).toBe(true);
    // Each title file read once over both calls.
    expect(counted.length).toBe(paperSection.titles.shards.count);
    expect(new Set(counted).size).toBe(counted.length);
    expect(papers.map((_, row) => reader.preview(row)?.title)).toEqual(papers.map((p) => p.title));
  });

  it('holds the keyword index after the text read-ahead (idleReads), stopped as readAhead is: then searches with new words read no keyword file, and answer as before', async () => {
    const embedding = format2.embeddingOf(papers[10].id);
    const section = (format3Readers.lexical as ChunkedLexicalIndex).section;
    const isText = (name: string) => /^papers\/p-\d+\.json$/.test(name);
    const isKeyword = (name: string) => name.startsWith(section.buckets.prefix) || name.startsWith(section.bigTerms.prefix) || name.startsWith(section.vocabulary.prefix);
    const reads: string[] = [];
    let onKeywordRead: (() => void) | undefined;
    const source = verifiedSource(async (name) => {
      reads.push(name);
      if (isKeyword(name)) onKeywordRead?.();
      return setFiles.get(name);
    });
    const lexical = await ChunkedLexicalIndex.open(section, source);
    const engine = new Format3Engine(
      { ...format3Readers, papers: await PapersReader.open(paperSection, source), lexical },
      { readAheadRanks: 10, idleReads: (stopped) => lexical.hold({ stopped }) },
    );
    await engine.searchText('language models', embedding, { k: 5 });
    reads.length = 0;
    // A search request arrives as the hold reads its first keyword file: it ends after the reads it has in flight (one round).
    onKeywordRead = () => engine.stopReadAhead();
    await engine.readAhead();
    onKeywordRead = undefined;
    const firstKeyword = reads.findIndex(isKeyword);
    expect(reads.slice(0, firstKeyword).filter(isText).length).toBeGreaterThan(0);
    expect(reads.slice(firstKeyword).some(isText), 'the text ahead is read first').toBe(false);
    expect(reads.filter(isKeyword).length).toBeGreaterThanOrEqual(LEXICAL_HOLD_LANES);
    expect(reads.filter(isKeyword).length).toBeLessThanOrEqual(LEXICAL_HOLD_ROUND_FILES);
    expect(lexical.held).toBe(false);
    // Resumed after the next answer, it reads the rest.
    await engine.readAhead();
    expect(lexical.held).toBe(true);
    reads.length = 0;
    const plainLexical = await ChunkedLexicalIndex.open(section, verifiedSource(async (name) => setFiles.get(name)), { holdBytes: 0, cacheBytes: 0 });
    const plain = new Format3Engine({ ...format3Readers, lexical: plainLexical });
    for (const query of ['contrastive sentence embeddings', 'protein structure prediction', 'reinforcement learning from human feedback']) {
      for (const mode of ['hybrid', 'lexical'] as const) {
        expect(shown(await engine.searchText(query, embedding, { mode, k: 10 })), `${mode} ${query}`).toEqual(shown(await plain.searchText(query, embedding, { mode, k: 10 })));
      }
    }
    expect(reads.filter(isKeyword)).toEqual([]);
  });

  it('refuses dims outside 1..full, as format 2 does', async () => {
    const embedding = format2.embeddingOf(papers[1].id);
    await expect(format3.searchText('attention', embedding, { dims: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
    await expect(format3.similar(papers[1].id, { dims: 385 })).rejects.toMatchObject({ code: 'invalid-option' });
  });

  it('refuses parts that disagree on the collection size', async () => {
    const short = exactVectors(new Float32Array(384 * 3), 384, new Float32Array(384 * 384));
    const readers = (format3 as unknown as { readers: ConstructorParameters<typeof Format3Engine>[0] }).readers;
    expect(() => new Format3Engine({ ...readers, vectors: short })).toThrow(/disagree/);
  });
});

describe('format-3 engine over a real format-3 vector set (8-bit rows, prefix graph, locality row order)', () => {
  let real: Format3Engine;
  let realSet: { manifest: Format3Manifest; files: Map<string, Uint8Array> };

  beforeAll(async () => {
    const model = getModel(DEFAULT_MODEL_ID);
    const encoded = encodeVectors(format2.vectors.slice(), model.dims, rotation, { ...DEFAULT_VECTOR_PARAMS, rowsPerShard: 32 });
    const files = new Map<string, Uint8Array>(encoded.files);
    for (let i = 0; i < encoded.shardCount; i++) for (const [name, bytes] of encoded.shardFiles(i)) files.set(name, bytes);
    const listed: Format3Manifest['files'] = {};
    for (const [name, bytes] of files) listed[name] = await fileRef(name, bytes);
    // The papers go in the vector set's row order, as build-index --format 3 writes them.
    const { papers: paperSection, lexical: lexicalSection } = await textSections(Array.from(encoded.order, (i) => papers[i]), files);
    const manifest = {
      ...encoded.manifest,
      formatVersion: 3,
      model: { id: model.id, dims: model.dims },
      count: papers.length,
      files: listed,
      papers: paperSection,
      lexical: lexicalSection,
    } as Format3Manifest;
    realSet = { manifest, files };
    const opened = await openFormat3Engine(manifest, verifiedSource(async (name) => files.get(name)));
    real = opened.engine;
    expect(opened.files.size).toBe(files.size);
    expect(opened.bytes).toBe([...files.values()].reduce((sum, bytes) => sum + bytes.byteLength, 0));
  });

  it('ranks as the exact engine does, up to 8-bit rounding', async () => {
    const overlaps: number[] = [];
    for (const i of [7, 57, 107, 207, 307]) {
      const embedding = format2.embeddingOf(papers[i].id);
      const semantic = await real.searchText('language models', embedding, { mode: 'semantic' });
      // A paper's own vector finds it first.
      expect(semantic.hits[0].paper.id).toBe(papers[i].id);
      const hybrid = ids(await real.searchText('language models', embedding));
      const expected = ids(format2.searchText('language models', embedding, EXACT));
      overlaps.push(hybrid.filter((id) => expected.includes(id)).length / expected.length);
    }
    expect(Math.min(...overlaps)).toBeGreaterThanOrEqual(0.8);
  });

  it('refines the order of semantic answers from refine files; hybrid search, whose vector ranks only feed fusion, reads none', async () => {
    const { manifest, files } = realSet;
    const read: string[] = [];
    const { engine } = await openFormat3Engine(
      manifest,
      verifiedSource(async (name) => {
        read.push(name);
        return files.get(name);
      }),
    );
    const embedding = format2.embeddingOf(papers[57].id);
    await engine.searchText('language models', embedding, { mode: 'hybrid' });
    await engine.searchText('language models', embedding, { mode: 'hybrid', filter: { yearFrom: 2000 } });
    expect(read.some((name) => name.startsWith('rows-'))).toBe(true);
    expect(read.filter((name) => name.startsWith('refine-'))).toEqual([]);
    const semantic = await engine.searchText('language models', embedding, { mode: 'semantic' });
    expect(read.filter((name) => name.startsWith('refine-')).length).toBeGreaterThan(0);
    expect(semantic.hits[0].paper.id).toBe(papers[57].id);
    expect(semantic.phases?.refine).toBeGreaterThanOrEqual(0);
  });

  it('says where a typed search spent its time: keyword, walk, rows, re-rank, fusion, text (phases)', async () => {
    const embedding = format2.embeddingOf(papers[7].id);
    const hybrid = (await real.searchText('language models', embedding)).phases ?? {};
    for (const part of ['keyword', 'walk', 'rows', 'rerank', 'feedback', 'fusion', 'termWeights', 'text', 'hitRows', 'annotate']) {
      expect(hybrid[part], part).toBeGreaterThanOrEqual(0);
    }
    const keyword = (await real.searchText('language models', null)).phases ?? {};
    expect(keyword.keyword).toBeGreaterThanOrEqual(0);
    expect(keyword.walk).toBeUndefined();
  });

  it('reads the row shards of its shortlist while the keyword side still waits for its buckets', async () => {
    const { manifest, files } = realSet;
    const pending = new Set<string>();
    let searching = false;
    let overlapped = false;
    const source = verifiedSource(async (name) => {
      if (searching && name.startsWith('rows') && [...pending].some((other) => other.startsWith('lexical/'))) overlapped = true;
      pending.add(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      pending.delete(name);
      return files.get(name);
    });
    const { engine } = await openFormat3Engine(manifest, source);
    searching = true;
    const embedding = format2.embeddingOf(papers[57].id);
    const got = await engine.searchText('sparse autoencoders', embedding);
    expect(overlapped).toBe(true);
    expect(ids(got)).toEqual(ids(await real.searchText('sparse autoencoders', embedding)));
  });

  it('ranks the feedback query over the shortlist of the first query; walkForFeedback walks for it again', async () => {
    const { manifest, files } = realSet;
    const opened = await openFormat3Engine(manifest, verifiedSource(async (name) => files.get(name)));
    const calls: { candidates?: readonly number[]; shortlisted?: readonly number[] }[] = [];
    const set = opened.vectors;
    const vectors: VectorReader = {
      count: set.count,
      dims: set.dims,
      prefixDims: set.prefixDims,
      rotate: (embedding) => set.rotate(embedding),
      vector: (row) => set.vector(row),
      search: (query, k, options = {}) => {
        const call: (typeof calls)[number] = { candidates: options.candidates };
        calls.push(call);
        return set.search(query, k, { ...options, onShortlist: (rows) => ((call.shortlisted = rows), options.onShortlist?.(rows)) });
      },
    };
    const readers = { modelId: manifest.model.id, papers: opened.papers, lexical: opened.lexical, vectors };
    const embedding = format2.embeddingOf(papers[107].id);
    const reused = await new Format3Engine(readers).searchText('language models', embedding);
    expect(calls).toHaveLength(2);
    expect(calls[0].candidates).toBeUndefined();
    expect(calls[1].candidates).toEqual(calls[0].shortlisted);
    calls.length = 0;
    const walked = await new Format3Engine(readers, { walkForFeedback: true }).searchText('language models', embedding);
    expect(calls.map((c) => c.candidates)).toEqual([undefined, undefined]);
    // The seed set is smaller than the shortlist: both shortlists hold every row, so both rank alike.
    expect(ids(reused)).toEqual(ids(walked));
  });

  it("walks and re-ranks for fusion as Format3EngineOptions.fusion says (default FUSION_SHORTLIST); semantic answers with the set's shortlist", async () => {
    const { manifest, files } = realSet;
    const opened = await openFormat3Engine(manifest, verifiedSource(async (name) => files.get(name)));
    const calls: VectorSearchOptions[] = [];
    const set = opened.vectors;
    const vectors: VectorReader = {
      count: set.count,
      dims: set.dims,
      prefixDims: set.prefixDims,
      rotate: (embedding) => set.rotate(embedding),
      vector: (row) => set.vector(row),
      search: (query, k, options = {}) => (calls.push(options), set.search(query, k, options)),
    };
    const readers = { modelId: manifest.model.id, papers: opened.papers, lexical: opened.lexical, vectors };
    const embedding = format2.embeddingOf(papers[57].id);
    const pick = ({ shortlist, ef, minShardRows, keepBest, refine }: VectorSearchOptions) => ({ shortlist, ef, minShardRows, keepBest, refine });
    await new Format3Engine(readers).searchText('language models', embedding);
    expect(pick(calls[0])).toEqual(pick({ ...FUSION_SHORTLIST, refine: 0 }));
    calls.length = 0;
    const fusion = { shortlist: 50, ef: 60, minShardRows: 3, keepBest: 20 };
    const engine = new Format3Engine(readers, { fusion });
    await engine.searchText('language models', embedding);
    await engine.similar(papers[57].id);
    // The typed query's walk, its feedback query (over the first shortlist), similar's walk: each as `fusion` says.
    expect(calls).toHaveLength(3);
    expect(pick(calls[0])).toEqual({ ...fusion, refine: 0 });
    expect(calls[1].candidates).toBeDefined();
    expect(pick(calls[2])).toEqual({ ...fusion, refine: 0 });
    calls.length = 0;
    await engine.searchText('language models', embedding, { mode: 'semantic' });
    expect(pick(calls[0])).toEqual(pick({}));
  });

  it('similar leaves the paper out and agrees with the exact engine on most neighbours', async () => {
    for (const source of [papers[3], papers[120], papers[300]]) {
      const got = ids(await real.similar(source.id, { mode: 'semantic' }));
      expect(got).not.toContain(source.id);
      const expected = ids(format2.similar(source.id, { ...EXACT, mode: 'semantic' }));
      expect(got.filter((id) => expected.includes(id)).length).toBeGreaterThanOrEqual(8);
    }
  });

  it('searches at d dims: the prefix shortlist ranked by the first d rotated dims, as format 2 ranks at d', async () => {
    let differsFromFull = 0;
    for (const i of [7, 107, 307]) {
      const embedding = format2.embeddingOf(papers[i].id);
      for (const dims of [32, 128]) {
        const got = await real.searchText('language models', embedding, { mode: 'semantic', dims });
        expect(got).toMatchObject({ dims, adaptive: false });
        const expected = format2.searchText('language models', embedding, { ...EXACT, mode: 'semantic', dims });
        expect(ids(got).filter((id) => ids(expected).includes(id)).length).toBeGreaterThanOrEqual(8);
        // Scores are cosines at d dims (8-bit rounding aside), not at full dims.
        expect(got.hits[0].score).toBeCloseTo(expected.hits[0].score, 2);
        if (ids(got).join() !== ids(await real.searchText('language models', embedding, { mode: 'semantic' })).join()) differsFromFull++;
      }
      const similar = await real.similar(papers[i].id, { mode: 'semantic', dims: 32 });
      expect(ids(similar)).not.toContain(papers[i].id);
      expect(similar).toMatchObject({ dims: 32, adaptive: false });
    }
    expect(differsFromFull).toBeGreaterThan(0);
  });

  it('adaptive at any dims is its own search (prefix shortlist, full re-rank) and says so', async () => {
    const embedding = format2.embeddingOf(papers[57].id);
    const plain = await real.searchText('language models', embedding);
    expect(plain).toMatchObject({ dims: 64, adaptive: true });
    for (const options of [{ dims: 32, adaptive: true }, { dims: 128, adaptive: true }, { dims: 384 }]) {
      const got = await real.searchText('language models', embedding, options);
      expect(got).toMatchObject({ dims: 64, adaptive: true });
      expect(ids(got)).toEqual(ids(plain));
    }
    // Hybrid at d dims fuses the d-dim semantic side and says so.
    expect(await real.searchText('language models', embedding, { dims: 32 })).toMatchObject({ mode: 'hybrid', dims: 32, adaptive: false });
    expect(real.dimsChoices).toEqual([32, 64, 128, 256]);
  });

  it('opened keyword-first, holds a keyword index within LEXICAL_HOLD_BYTES, or within lexicalHoldBytes when given', async () => {
    const { manifest, files } = realSet;
    const source = verifiedSource(async (name) => files.get(name));
    expect((await openFormat3KeywordFirst(manifest, source)).lexical.holdable).toBe(true);
    const never = await openFormat3KeywordFirst(manifest, source, { lexicalHoldBytes: 0 });
    expect(never.lexical.holdable).toBe(false);
    expect(await never.lexical.hold()).toBe('too-big');
  });

  it('opened keyword-first, reads no vector file for keyword answers and opens the vector side once, on need', async () => {
    const { manifest, files } = realSet;
    const read: string[] = [];
    const opened = await openFormat3KeywordFirst(
      manifest,
      verifiedSource(async (name) => (read.push(name), files.get(name))),
    );
    // The rotation is read at open (the user's papers are rotated as they are restored); the rest waits.
    const vectorFiles = [manifest.scales.file, manifest.prefix.file, manifest.graph.file, ...manifest.rows.shards];
    const readVectorFiles = () => read.filter((name) => vectorFiles.includes(name));
    expect(shown(await opened.engine.searchText('sparse autoencoders', null))).toEqual(shown(await real.searchText('sparse autoencoders', null)));
    expect(readVectorFiles()).toEqual([]);
    const embedding = format2.embeddingOf(papers[57].id);
    expect(opened.vectors.isOpen).toBe(false);
    // A hybrid search opens the vector side on its way; two at once share one opening.
    const [first, second] = await Promise.all([opened.engine.searchText('language models', embedding), opened.engine.searchText('language models', embedding)]);
    expect(opened.vectors.isOpen).toBe(true);
    expect(read.filter((name) => name === manifest.graph.file || name === manifest.rotation.file)).toEqual([manifest.rotation.file, manifest.graph.file]);
    const expected = ids(await real.searchText('language models', embedding));
    expect(ids(first)).toEqual(expected);
    expect(ids(second)).toEqual(expected);
  });

  it('opened keyword-first, a vector side that fails to open is tried again on the next need', async () => {
    const { manifest, files } = realSet;
    let broken = true;
    const opened = await openFormat3KeywordFirst(
      manifest,
      verifiedSource(async (name) => (broken && name === manifest.graph.file ? undefined : files.get(name))),
    );
    await expect(opened.vectors.open()).rejects.toMatchObject({ code: 'artifacts-missing' });
    broken = false;
    const similar = await opened.engine.similar(papers[3].id, { mode: 'semantic' });
    expect(ids(similar)).toEqual(ids(await real.similar(papers[3].id, { mode: 'semantic' })));
  });

  it('keyword answers do not depend on the row order', async () => {
    expect(shown(await real.searchText('sparse autoencoders', null))).toEqual(shown(format2.searchText('sparse autoencoders', null)));
  });
});
