import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCorpus } from '../corpus';
import { paperFacets, paperMatcher, type PaperFilter } from '../filter';
import type { Paper } from '../types';
import { PapersReader, PapersWriter } from './papers';
import { verifiedSource } from './sharded-files';

const SEEDS = new URL('../../../seeds/', import.meta.url);
const CATEGORIES = ['cs.LG', 'cs.CL', 'stat.ML', 'hep-ph', 'math.CO', 'cs.CV'];
/** The seed papers, given the years and categories the seed listings lack (some left without either). */
const papers: Paper[] = buildCorpus(
  readdirSync(SEEDS)
    .filter((name) => name.endsWith('.txt'))
    .map((name) => ({ name: `seeds/${name}`, text: readFileSync(new URL(name, SEEDS), 'utf8') })),
).papers.map((paper, row) => ({
  ...paper,
  ...(row % 9 === 0 ? {} : { published: `${1995 + (row % 30)}-0${1 + (row % 9)}` }),
  ...(row % 13 === 0 ? {} : { categories: [CATEGORIES[row % 6], ...(row % 4 === 0 ? [CATEGORIES[(row + 1) % 6]] : [])] }),
}));

async function write(options = { rowsPerShard: 10, titleRowsPerShard: 100, idBucketBytes: 512 }) {
  const files = new Map<string, Uint8Array>();
  const writer = new PapersWriter((name, bytes) => void files.set(name, bytes), options);
  for (const paper of papers) await writer.add(paper);
  const section = await writer.finish();
  const read: string[] = [];
  const source = verifiedSource(async (name) => {
    read.push(name);
    return files.get(name);
  });
  return { section, files, read, source };
}

describe('format 3 papers', () => {
  it('gives each row its paper, fetching only the shards of the rows asked for', async () => {
    const { section, read, source } = await write();
    expect(section.count).toBe(papers.length);
    expect(section.shards.count).toBe(Math.ceil(papers.length / 10));
    const reader = await PapersReader.open(section, source);
    expect(read.sort()).toEqual([section.catalog.name, section.shards.table.name, section.ids.table.name, section.titles.shards.table.name].sort());
    read.length = 0;
    const rows = [363, 0, 5, 9, 200, 201];
    expect(await reader.papers(rows)).toEqual(rows.map((row) => papers[row]));
    expect(read.sort()).toEqual(['papers/p-0.json', 'papers/p-20.json', 'papers/p-36.json'].sort());
    read.length = 0;
    expect(await reader.paper(7)).toEqual(papers[7]);
    expect(read, 'a shard already read comes from the cache').toEqual([]);
    await expect(reader.paper(papers.length)).rejects.toMatchObject({ code: 'unknown-paper' });
  });

  it('keeps decoded shards up to a byte budget: within it a shard is not read again, past it the oldest is', async () => {
    const { section, read, source } = await write();
    const shardBytes = (i: number) => new TextEncoder().encode(JSON.stringify(papers.slice(i * 10, i * 10 + 10))).byteLength;
    // Room for shards 0 and 1, not for a third.
    const reader = await PapersReader.open(section, source, { cacheBytes: shardBytes(0) + shardBytes(1) + Math.min(shardBytes(0), shardBytes(1), shardBytes(2)) - 1 });
    read.length = 0;
    await reader.papers([0, 10]);
    await reader.papers([1, 11]);
    expect(read.sort()).toEqual(['papers/p-0.json', 'papers/p-1.json']);
    await reader.paper(20);
    await reader.paper(3);
    expect(read, 'shard 0 was the least recently used when shard 2 came').toEqual(['papers/p-0.json', 'papers/p-1.json', 'papers/p-2.json', 'papers/p-0.json']);
  });

  it('finds the row of an id through one id bucket', async () => {
    const { section, read, source } = await write();
    expect(section.ids.count).toBeGreaterThan(5);
    const reader = await PapersReader.open(section, source);
    for (const row of [0, 17, 363]) {
      read.length = 0;
      expect(await reader.rowOf(papers[row].id)).toBe(row);
      expect(read.length).toBeLessThanOrEqual(1);
    }
    expect(await reader.rowOf('no-such-paper')).toBeUndefined();
    expect(await reader.rowOf('constructor'), 'an id is looked up as data, not as an object property').toBeUndefined();
    const files = new Map<string, Uint8Array>();
    const odd = new PapersWriter((name, bytes) => void files.set(name, bytes));
    await odd.add({ ...papers[0], id: '__proto__' });
    const oddReader = await PapersReader.open(await odd.finish(), verifiedSource(async (name) => files.get(name)));
    expect(await oddReader.rowOf('__proto__')).toBe(0);
  });

  it('filters and counts facets from the eager catalog as paperMatcher and paperFacets do over the papers', async () => {
    const { section, source } = await write();
    const reader = await PapersReader.open(section, source);
    expect(reader.facets()).toEqual(paperFacets(papers));
    const live = [1, 2, 3, 50, 60, 363];
    expect(reader.facets(live)).toEqual(paperFacets(live.map((row) => papers[row])));
    const filters: PaperFilter[] = [{ yearFrom: 2000 }, { yearTo: 2001 }, { yearFrom: 2003, yearTo: 2010, category: 'cs' }, { category: 'hep-ph' }, { category: 'stat.ML' }, { category: 'nope' }];
    for (const filter of filters) {
      const want = papers.map(paperMatcher(filter));
      const match = reader.matcher(filter);
      expect(papers.map((_, row) => match(row)), JSON.stringify(filter)).toEqual(want);
      expect(want.some(Boolean) || filter.category === 'nope').toBe(true);
    }
    expect(() => reader.matcher({ yearFrom: 2010, yearTo: 2001 })).toThrow(/empty/);
  });

  it('gives titles by row and all of them in order', async () => {
    const { section, source } = await write();
    const reader = await PapersReader.open(section, source);
    expect(await reader.titles([5, 250])).toEqual([papers[5].title, papers[250].title]);
    const progress: number[] = [];
    expect(await reader.allTitles((done) => progress.push(done))).toEqual(papers.map((p) => p.title));
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('refuses a corrupt shard, naming it, and lists every file for offline use', async () => {
    const { section, files, source } = await write();
    const reader = await PapersReader.open(section, source);
    const listed = [...reader.files()].map(([name]) => name);
    expect(listed.sort()).toEqual([...files.keys()].sort());
    files.get('papers/p-3.json')![2] ^= 1;
    await expect(reader.paper(31)).rejects.toThrow(/papers\/p-3\.json is corrupted/);
  });
});
