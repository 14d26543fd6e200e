import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCorpus } from '../corpus';
import { isPapersiftError } from '../errors';
import { verifiedSource, type FileSource } from '../format3/sharded-files';
import { ChunkStore, type ChunkStorage } from '../../store/chunk-store';
import { QUERIES } from '../../../bench/queries';
import { analyze } from './analyzer';
import {
  ChunkedLexicalIndex,
  ChunkedLexicalWriter,
  LEXICAL_HOLD_LANES,
  LEXICAL_HOLD_ROUND_BYTES,
  LEXICAL_HOLD_ROUND_FILES,
  type ChunkedHit,
  type LexicalSection,
} from './chunked';
import { buildLexicalIndex, searchLexicalCounted, similarLexical, suggestCorrections, type LexicalHit } from './index';

const SEEDS = new URL('../../../seeds/', import.meta.url);
const { papers } = buildCorpus(
  readdirSync(SEEDS)
    .filter((name) => name.endsWith('.txt'))
    .map((name) => ({ name: `seeds/${name}`, text: readFileSync(new URL(name, SEEDS), 'utf8') })),
);
const judged = (JSON.parse(readFileSync(new URL('../../../test/eval/queries.json', import.meta.url), 'utf8')) as { queries: { text?: string }[] }).queries
  .map((q) => q.text)
  .filter((text): text is string => Boolean(text));

/** Typed queries, judged and benchmark ones plus some shaped to hit edge cases. */
const queries = [
  ...judged,
  ...QUERIES,
  // From the corpus itself: title beginnings, abstract word pairs.
  ...papers.filter((_, i) => i % 7 === 0).map((p) => p.title.split(' ').slice(0, 3).join(' ')),
  ...papers.filter((_, i) => i % 11 === 0).map((p) => p.abstract.split(' ').slice(10, 12).join(' ')),
  'model model model merging', // repeated terms count again
  'Naïve Bayes', // accents folded
  'the of and', // stopwords only: nothing
  'zzzqx', // no paper
  'language zzzqx', // one term unseen (coverage below 1, no paper matches all)
];

async function writeIndex(options = { bucketBytes: 2048, bigTermPostings: 40 }) {
  const files = new Map<string, Uint8Array>();
  const writer = new ChunkedLexicalWriter(options);
  for (const paper of papers) writer.add(paper);
  const section = await writer.finish((name, bytes) => void files.set(name, bytes));
  return { section, files, source: verifiedSource(async (name) => files.get(name)) };
}

const CLOSE = 1e-9;

/** Same scores rank by rank; same ids except among papers whose scores tie (their order is arbitrary). */
function expectSameRanking(query: string, chunked: ChunkedHit[], reference: LexicalHit[], referenceMore: LexicalHit[]) {
  expect(chunked.length, query).toBe(reference.length);
  chunked.forEach((hit, i) => {
    expect(Math.abs(hit.score - reference[i].score), `${query} #${i}`).toBeLessThan(CLOSE * Math.max(1, reference[i].score));
    expect(Math.abs(hit.coverage - reference[i].coverage), `${query} #${i} coverage`).toBeLessThan(CLOSE);
  });
  const tied = (score: number) => referenceMore.filter((r) => Math.abs(r.score - score) < CLOSE * Math.max(1, score)).length > 1;
  chunked.forEach((hit, i) => {
    if (tied(hit.score)) return;
    expect(papers[hit.row].id, `${query} #${i}`).toBe(reference[i].id);
    expect([...hit.terms].sort(), `${query} #${i} terms`).toEqual([...reference[i].terms].sort());
  });
}

describe('chunked lexical index', () => {
  const reference = buildLexicalIndex(papers);

  it(`ranks ${queries.length} queries over the seed corpus as MiniSearch does (top 10, scores, coverage, match counts)`, async () => {
    const { section, files } = await writeIndex();
    // The small buckets and low big-term bar of the test spread the corpus over many files of both kinds.
    expect(section.buckets.count).toBeGreaterThan(20);
    expect(section.bigTerms.count).toBeGreaterThan(5);
    expect(files.size).toBe(section.buckets.count + section.bigTerms.count + section.vocabulary.count + 4);
    const index = await ChunkedLexicalIndex.open(section, verifiedSource(async (name) => files.get(name)));
    let compared = 0;
    for (const query of queries) {
      const want = searchLexicalCounted(reference, query, 10);
      const more = searchLexicalCounted(reference, query, 40).hits;
      const got = await index.search(query, 10);
      expectSameRanking(query, got.hits, want.hits, more);
      expect(got.matches, query).toEqual(want.matches);
      compared += got.hits.length;
    }
    expect(compared).toBeGreaterThan(queries.length * 5);
  });

  it('gives concurrent queries the answers they get one at a time', async () => {
    const { section, source } = await writeIndex();
    const index = await ChunkedLexicalIndex.open(section, source);
    const some = queries.slice(0, 12);
    const alone: Awaited<ReturnType<typeof index.search>>[] = [];
    for (const query of some) alone.push(await index.search(query, 10));
    // Cold (files being read) and warm (every bucket cached: the queries advance in step).
    expect(await Promise.all(some.map((query) => index.search(query, 10)))).toEqual(alone);
    const cold = await ChunkedLexicalIndex.open(section, source);
    expect(await Promise.all(some.map((query) => cold.search(query, 10)))).toEqual(alone);
  });

  it('filters and excludes rows as searchLexical does', async () => {
    const { section, source } = await writeIndex();
    const index = await ChunkedLexicalIndex.open(section, source);
    const keep = (row: number) => row % 3 !== 0;
    for (const query of queries.slice(0, 30)) {
      const exclude = new Set([5, 6, 7]);
      const want = searchLexicalCounted(reference, query, 10, exclude, keep);
      const got = await index.search(query, 10, exclude, keep);
      expectSameRanking(query, got.hits, want.hits, searchLexicalCounted(reference, query, 40, exclude, keep).hits);
      expect(got.matches, query).toEqual(want.matches);
    }
  });

  it('finds papers like a paper as similarLexical does', async () => {
    const { section, source } = await writeIndex();
    const index = await ChunkedLexicalIndex.open(section, source);
    for (const row of [0, 50, 100, 200, 363]) {
      const want = similarLexical(reference, papers[row], 10);
      const got = await index.similar(papers[row], 10, row);
      expectSameRanking(papers[row].id, got, want, similarLexical(reference, papers[row], 40));
      expect(got.map((h) => h.row)).not.toContain(row);
    }
  });

  it('suggests the corrections suggestCorrections does', async () => {
    const { section, source } = await writeIndex();
    const index = await ChunkedLexicalIndex.open(section, source);
    const text = async (rows: number[]) => rows.map((row) => papers[row]);
    for (const query of ['sparse autoencodrs', 'languag modles halucination', 'interpretabilty of nuerons', 'retreival augmented', 'fine words only']) {
      expect(await index.suggestCorrections(query, text), query).toEqual(suggestCorrections(reference, query, papers));
    }
    expect((await index.suggestCorrections('transformer atention', text)).map((c) => c.word)).toEqual(['attention']);
  });

  it('fetches only the eager files on open, and one bucket per query term after', async () => {
    const { section, files } = await writeIndex();
    const read: string[] = [];
    const source: FileSource = verifiedSource(async (name) => {
      read.push(name);
      return files.get(name);
    });
    const index = await ChunkedLexicalIndex.open(section, source);
    expect(read.sort()).toEqual([section.bigTerms.table.name, section.buckets.table.name, section.lengths.name, section.vocabulary.table.name].sort());
    read.length = 0;
    await index.search('sparse autoencoders', 10);
    const buckets = read.filter((name) => name.startsWith(section.buckets.prefix));
    expect(buckets.length).toBeGreaterThanOrEqual(1);
    expect(buckets.length).toBeLessThanOrEqual(2);
    read.length = 0;
    await index.search('sparse autoencoders', 10);
    expect(read, 'a repeated query is served from the cache').toEqual([]);
  });

  it('warms a query: its buckets and big terms read ahead, the search after reads nothing, and ranks the same', async () => {
    const { section, files } = await writeIndex();
    const read: string[] = [];
    const source: FileSource = verifiedSource(async (name) => (read.push(name), files.get(name)));
    const query = 'language models for protein structure';
    const cold = await (await ChunkedLexicalIndex.open(section, verifiedSource(async (name) => files.get(name)))).search(query, 10);
    const index = await ChunkedLexicalIndex.open(section, source);
    read.length = 0;
    await index.warm(query);
    expect(read.filter((name) => name.startsWith(section.buckets.prefix)).length).toBeGreaterThanOrEqual(1);
    read.length = 0;
    expect(await index.search(query, 10)).toEqual(cold);
    expect(read).toEqual([]);
  });

  it('refuses a corrupt bucket, naming it, and reads it again next time', async () => {
    const { section, files } = await writeIndex();
    let corrupt = true;
    const index = await ChunkedLexicalIndex.open(
      section,
      verifiedSource(async (name) => {
        const bytes = files.get(name);
        if (!corrupt || !bytes || !name.startsWith(section.buckets.prefix) || name === section.buckets.table.name) return bytes;
        const bad = bytes.slice();
        bad[0] ^= 1;
        return bad;
      }),
    );
    const error = await index.search('sparse', 10).catch((e: unknown) => e);
    expect(isPapersiftError(error) && error.code).toBe('artifacts-format');
    expect(String((error as Error).message)).toMatch(new RegExp(`${section.buckets.prefix}\\d+\\.bin`));
    corrupt = false;
    expect((await index.search('sparse', 10)).hits.length).toBeGreaterThan(0);
  });

  it("lists the big terms, file i's at i, and reads a common term's postings beside its bucket, not after it", async () => {
    const { section, files } = await writeIndex();
    const names = section.bigTermNames ?? [];
    expect(names.length).toBe(section.bigTerms.count);
    // Each listed term's own search reads the file the list gives it (terms a query analyses to themselves).
    let checked = 0;
    for (const [file, term] of names.entries()) {
      if (analyze(term).join(' ') !== term) continue;
      checked++;
      const read: string[] = [];
      const index = await ChunkedLexicalIndex.open(section, verifiedSource(async (name) => (read.push(name), files.get(name))));
      await index.search(term, 5);
      expect(read, term).toContain(`${section.bigTerms.prefix}${file}${section.bigTerms.ext}`);
    }
    expect(checked).toBeGreaterThan(names.length / 2);
    // Buckets held back: the big term's file is asked for while its bucket is still on its way.
    const held: (() => void)[] = [];
    const asked: string[] = [];
    const index = await ChunkedLexicalIndex.open(section, verifiedSource(async (name) => {
      asked.push(name);
      if (name.startsWith(section.buckets.prefix) && name !== section.buckets.table.name) await new Promise<void>((release) => held.push(release));
      return files.get(name);
    }));
    asked.length = 0;
    const term = names.find((name) => analyze(name).join(' ') === name) as string;
    const searching = index.search(term, 5);
    await new Promise((done) => setTimeout(done, 10));
    expect(held.length).toBeGreaterThan(0);
    expect(asked).toContain(`${section.bigTerms.prefix}${names.indexOf(term)}${section.bigTerms.ext}`);
    held.forEach((release) => release());
    expect((await searching).hits.length).toBeGreaterThan(0);
  });

  it('reads a set without the big-term list as before, with the same answers', async () => {
    const { section, files } = await writeIndex();
    const { bigTermNames, ...older } = section;
    expect(bigTermNames?.length).toBeGreaterThan(0);
    const source = verifiedSource(async (name) => files.get(name));
    const [listed, unlisted] = await Promise.all([ChunkedLexicalIndex.open(section, source), ChunkedLexicalIndex.open(older, source)]);
    for (const query of queries.slice(0, 40)) expect(await unlisted.search(query, 10), query).toEqual(await listed.search(query, 10));
    await expect(ChunkedLexicalIndex.open({ ...section, bigTermNames: bigTermNames!.slice(1) }, source)).rejects.toSatisfy(
      (e) => isPapersiftError(e) && e.code === 'artifacts-format',
    );
  });

  describe('held whole (hold)', () => {
    /** Counts every read, and lets a test fail them or hold them back. */
    function countingSource(files: Map<string, Uint8Array>) {
      const state = { read: [] as string[], failing: false, inFlight: 0, mostInFlight: 0 };
      const source: FileSource = verifiedSource(async (name) => {
        state.read.push(name);
        state.inFlight++;
        state.mostInFlight = Math.max(state.mostInFlight, state.inFlight);
        await new Promise((done) => setTimeout(done, 1));
        state.inFlight--;
        if (state.failing) throw new Error('offline');
        return files.get(name);
      });
      return { state, source };
    }
    const postingsFiles = (section: LexicalSection) => section.buckets.count + section.bigTerms.count + section.vocabulary.count;

    it('reads every postings file once; then searches with words never searched, similar and corrections read no file and answer as a reader that holds nothing', async () => {
      const { section, files } = await writeIndex();
      const { state, source } = countingSource(files);
      const index = await ChunkedLexicalIndex.open(section, source);
      expect(index.holdable).toBe(true);
      expect(index.held).toBe(false);
      state.read.length = 0;
      state.mostInFlight = 0;
      // Each round's leftovers (the chunk store's writes) are awaited before the next round is asked for.
      const rounds: string[][] = [];
      let seen = 0;
      expect(await index.hold({ settle: async () => void (rounds.push(state.read.slice(seen)), (seen = state.read.length)) })).toBe('held');
      expect(index.held).toBe(true);
      expect(state.read.length).toBe(postingsFiles(section));
      expect(new Set(state.read).size).toBe(state.read.length);
      // A round is LEXICAL_HOLD_LANES files, or more small ones within LEXICAL_HOLD_ROUND_BYTES.
      expect(state.mostInFlight).toBeLessThanOrEqual(LEXICAL_HOLD_ROUND_FILES);
      expect(rounds.flat()).toEqual(state.read);
      for (const round of rounds.slice(0, -1)) {
        expect(round.length).toBeGreaterThanOrEqual(LEXICAL_HOLD_LANES);
        if (round.length > LEXICAL_HOLD_LANES) expect(round.reduce((sum, name) => sum + files.get(name)!.byteLength, 0)).toBeLessThanOrEqual(LEXICAL_HOLD_ROUND_BYTES);
      }
      expect(rounds.some((round) => round.length > LEXICAL_HOLD_LANES)).toBe(true);
      // A reader that keeps nothing (every query reads its files) gives the same answers.
      const plain = await ChunkedLexicalIndex.open(section, verifiedSource(async (name) => files.get(name)), { cacheBytes: 0, holdBytes: 0 });
      expect(plain.holdable).toBe(false);
      state.read.length = 0;
      const text = async (rows: number[]) => rows.map((row) => papers[row]);
      for (const query of queries) expect(await index.search(query, 10), query).toEqual(await plain.search(query, 10));
      for (const row of [0, 50, 363]) expect(await index.similar(papers[row], 10, row)).toEqual(await plain.similar(papers[row], 10, row));
      for (const query of ['sparse autoencodrs', 'retreival augmented']) expect(await index.suggestCorrections(query, text)).toEqual(await plain.suggestCorrections(query, text));
      expect(state.read).toEqual([]);
      expect(await index.hold()).toBe('held');
      expect(state.read).toEqual([]);
    });

    it('through the chunk store: kept in storage as read; on the next visit read back a round per storage read, and searched offline', async () => {
      const { section, files } = await writeIndex();
      const base = 'https://papersift.test/artifacts/';
      const kept = new Map<string, unknown>();
      const storageReads: number[] = [];
      const storage: ChunkStorage = {
        get: async (key) => (storageReads.push(1), kept.get(key)),
        set: async (key, value) => void kept.set(key, value),
        del: async (key) => void kept.delete(key),
        keys: async () => [...kept.keys()],
        getMany: async (wanted) => (storageReads.push(wanted.length), wanted.map((key) => kept.get(key))),
      };
      const network = { requests: 0, offline: false };
      const fetch = (async (input: URL | RequestInfo) => {
        network.requests++;
        if (network.offline) throw new TypeError('Failed to fetch');
        return new Response(files.get(String(input).slice(base.length))!.slice());
      }) as typeof globalThis.fetch;
      const visit = async () => {
        const store = new ChunkStore({ base, fetch, storage });
        // The key listing back, as on a page that has opened.
        await new Promise((done) => setTimeout(done, 0));
        return { store, index: await ChunkedLexicalIndex.open(section, store.read) };
      };
      const first = await visit();
      expect(await first.index.hold({ settle: () => first.store.flush() })).toBe('held');
      const queries = ['sparse autoencoders', 'protein structure prediction', 'retrieval augmented generation for code'];
      const online = await Promise.all(queries.map((query) => first.index.search(query, 10)));
      network.offline = true;
      const next = await visit();
      network.requests = 0;
      storageReads.length = 0;
      let rounds = 0;
      expect(await next.index.hold({ settle: async () => void rounds++ })).toBe('held');
      expect(network.requests).toBe(0);
      // One storage read per round (fewer keys than files when files of a round have the same bytes).
      expect(rounds).toBeGreaterThan(1);
      expect(storageReads.length).toBe(rounds);
      expect(await Promise.all(queries.map((query) => next.index.search(query, 10)))).toEqual(online);
    });

    it('above its budget reads nothing ahead and keeps the caches as they were', async () => {
      const { section, files } = await writeIndex();
      const { state, source } = countingSource(files);
      const sized = await ChunkedLexicalIndex.open(section, source);
      const index = await ChunkedLexicalIndex.open(section, source, { holdBytes: sized.postingsBytes - 1, cacheBytes: 0 });
      expect(index.holdable).toBe(false);
      state.read.length = 0;
      expect(await index.hold()).toBe('too-big');
      expect(state.read).toEqual([]);
      // Without the hold, its cache (0 bytes here) keeps nothing: a repeated query reads again.
      await index.search('sparse', 10);
      const once = state.read.length;
      expect(once).toBeGreaterThan(0);
      await index.search('sparse', 10);
      expect(state.read.length).toBe(2 * once);
    });

    it('stops when asked after the reads in flight, goes on where it stopped, and ends a round quietly when a read fails', async () => {
      const { section, files } = await writeIndex();
      const { state, source } = countingSource(files);
      const index = await ChunkedLexicalIndex.open(section, source);
      state.read.length = 0;
      let stop = false;
      const round = index.hold({ stopped: () => stop, lanes: 3 });
      // A search request arrives while the first reads are in flight.
      stop = true;
      expect(await round).toBe('stopped');
      const firstRound = state.read.length;
      expect(firstRound).toBeGreaterThanOrEqual(3);
      expect(firstRound).toBeLessThanOrEqual(LEXICAL_HOLD_ROUND_FILES);
      state.failing = true;
      expect(await index.hold({ lanes: 3 })).toBe('failed');
      expect(index.held).toBe(false);
      state.failing = false;
      state.read.length = 0;
      expect(await index.hold({ lanes: 3 })).toBe('held');
      // The first round's files are not read again; the failed ones are.
      expect(state.read.length).toBe(postingsFiles(section) - firstRound);
      expect(index.held).toBe(true);
    });
  });

  it('refuses an index from another analyzer', async () => {
    const { section, source } = await writeIndex();
    const stale: LexicalSection = { ...section, analyzer: 'en-other' };
    await expect(ChunkedLexicalIndex.open(stale, source)).rejects.toMatchObject({ code: 'artifacts-stale' });
  });
});
