import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusHash } from '../core/corpus';
import { DEFAULT_VECTOR_PARAMS } from '../core/format3/build';
import { getModel, PAPER_TEXT_FORM } from '../core/models';
import { mulberry32 } from '../core/random';
import { shardOfId, shardStem } from '../core/shards/format';
import type { Paper } from '../core/types';
import { format3VectorChoices, mergeShardsFormat3 } from './format3-merge';
import { openFormat3Dir } from './format3-search';
import { ShardWriter } from './shard-files';
import { searchCli } from '../../test/helpers/search-cli';

const model = getModel('bge-small-en-v1.5');
const dtype = model.defaultDtype;
const dims = model.dims;
const COUNT = 600;

/** 600 papers around 30 random topic directions. */
function corpus(): { papers: Paper[]; vectors: Float32Array } {
  const random = mulberry32(9);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const topics = Array.from({ length: 30 }, () => Float32Array.from({ length: dims }, gaussian));
  const vectors = new Float32Array(COUNT * dims);
  const papers: Paper[] = [];
  for (let i = 0; i < COUNT; i++) {
    const topic = topics[i % 30];
    let norm = 0;
    for (let d = 0; d < dims; d++) norm += (vectors[i * dims + d] = topic[d] + 0.6 * gaussian()) ** 2;
    for (let d = 0; d < dims; d++) vectors[i * dims + d] /= Math.sqrt(norm);
    papers.push({ id: `p-${(i * 7919) % COUNT}`, title: `Paper ${i} on topic ${i % 30}`, abstract: `About topic ${i % 30}.`, authors: i % 30 === 17 ? ['Grace Hopper', 'Alan Turing'] : null, date: null, sources: [] });
  }
  return { papers, vectors };
}

async function writeShards(count: number, data: ReturnType<typeof corpus>): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'f3-shards-'));
  const writers = Array.from(
    { length: count },
    (_, index) =>
      new ShardWriter(
        dir,
        shardStem(index, count),
        { model: { id: model.id, dims, pooling: model.pooling, dtype, sha256: model.weights[dtype]?.sha256 ?? '' }, textForm: PAPER_TEXT_FORM, shard: { index, count }, createdBy: 'test' },
        { withPapers: true },
      ),
  );
  for (const [i, paper] of data.papers.entries()) await writers[shardOfId(paper.id, count)].add(paper.id, data.vectors.subarray(i * dims, (i + 1) * dims), paper);
  for (const writer of writers) await writer.close();
  return dir;
}

describe('build-index --merge --format 3', () => {
  it('writes the same set from 1 shard or 3, which finds each paper by its own vector', async () => {
    const data = corpus();
    const outs: string[] = [];
    for (const shards of [1, 3]) {
      const out = mkdtempSync(join(tmpdir(), 'f3-set-'));
      await mergeShardsFormat3([await writeShards(shards, data)], {
        model,
        dtype,
        out,
        createdBy: 'test',
        log: () => {},
        params: { ...DEFAULT_VECTOR_PARAMS, rowsPerShard: 64 },
      });
      outs.push(out);
    }
    const [a, b] = outs;
    const files = readdirSync(a, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'manifest.json')
      .map((entry) => join(entry.parentPath, entry.name).slice(a.length + 1))
      .sort();
    expect(files.length).toBeGreaterThan(20);
    expect(
      readdirSync(b, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && entry.name !== 'manifest.json')
        .map((entry) => join(entry.parentPath, entry.name).slice(b.length + 1))
        .sort(),
    ).toEqual(files);
    for (const name of files) expect(readFileSync(join(b, name)).equals(readFileSync(join(a, name))), name).toBe(true);

    const { manifest, vectors, papers, engine } = await openFormat3Dir(a);
    const byId = [...data.papers].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    expect(manifest.corpusHash).toBe(corpusHash(byId));
    expect(manifest.count).toBe(COUNT);
    // Every file the manifest lists is there with its size; the sections' shards are in their own tables.
    for (const [name, meta] of Object.entries(manifest.files)) expect(readFileSync(join(a, name)).byteLength, name).toBe(meta.bytes);
    for (const i of [0, 17, 599]) {
      const hits = await vectors.search(vectors.rotate(data.vectors.subarray(i * dims, (i + 1) * dims)), 3);
      expect(hits[0].score).toBeGreaterThan(0.99);
      expect((await papers.paper(hits[0].row)).id).toBe(data.papers[i].id);
    }
    // The format-3 engine opens the set: keyword search and "similar" by id.
    const keyword = await engine.searchText('topic 17', null, { k: 5 });
    expect(keyword.hits[0].paper.title).toMatch(/topic 17$/);
    const similar = await engine.similar(data.papers[17].id, { k: 5, mode: 'semantic' });
    expect(similar.hits.every((h) => h.paper.title.endsWith('topic 17'))).toBe(true);

    // npm run search -- --index reads the set (keywords: no model needed), and refuses what it cannot do.
    const cli = await searchCli(['--index', a, '--mode', 'lexical', 'topic 17', '--k', '3', '--json']);
    expect(cli.code).toBe(0);
    const results = (JSON.parse(cli.stdout) as { results: { title: string }[] }).results;
    expect(results.map((r) => r.title.endsWith('topic 17'))).toEqual([true, true, true]);
    // --related: a pasted paper's neighbours (by its words here, so no model loads).
    const pasted = join(mkdtempSync(join(tmpdir(), 'f3-pasted-')), 'paper.txt');
    writeFileSync(pasted, `${data.papers[17].title}\n${data.papers[17].abstract}`);
    const related = await searchCli(['--index', a, '--mode', 'lexical', '--related', pasted, '--k', '3', '--json']);
    expect(related.code, related.stderr).toBe(0);
    expect((JSON.parse(related.stdout) as { results: { title: string }[] }).results.map((r) => r.title.endsWith('topic 17'))).toEqual([true, true, true]);
    const refused = await searchCli(['--index', a, '--exact', 'topic 17']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/format-3 index does not take --exact/);

    // An author's name lists their papers first, from the set's author index (fetched per query word).
    expect(engine.hasAuthors).toBe(true);
    const byName = await engine.searchText('hopper', null, { k: 25 });
    expect(byName.authorMatches).toEqual({ names: ['Grace Hopper'], papers: 20 });
    expect(byName.hits.slice(0, 20).every((h) => h.author === 'Grace Hopper' && h.paper.title.endsWith('topic 17'))).toBe(true);
    // Two co-authors' parts are not one author's name.
    expect((await engine.searchText('grace turing', null)).authorMatches).toBeUndefined();
  });

  it('with --head-dims and --prefix-bits 4 splits rows in heads and tails and halves the prefix, and answers as the whole-row set does', async () => {
    const data = corpus();
    const shards = await writeShards(2, data);
    const sets: string[] = [];
    for (const vectorChoices of [undefined, format3VectorChoices('160', '4', '3', dims)]) {
      const out = mkdtempSync(join(tmpdir(), 'f3-set-'));
      await mergeShardsFormat3([shards], { model, dtype, out, createdBy: 'test', log: () => {}, vectorChoices });
      sets.push(out);
    }
    const [whole, split] = await Promise.all(sets.map((dir) => openFormat3Dir(dir)));
    expect(whole.manifest.rows.headDims).toBe(dims);
    expect(whole.manifest.rows.tails).toEqual([]);
    expect(split.manifest.rows.headDims).toBe(160);
    expect(split.manifest.rows.tails.length).toBe(split.manifest.rows.shards.length);
    expect(split.manifest.prefix.encoding).toBe('u4-range');
    expect(readFileSync(join(sets[1], split.manifest.prefix.file)).byteLength).toBe((COUNT * DEFAULT_VECTOR_PARAMS.prefixDims) / 2);
    // Each tail holds the rest of its rows' dims.
    const tail = split.manifest.rows.tails[0];
    expect(readFileSync(join(sets[1], tail)).byteLength).toBe(Math.min(COUNT, split.manifest.rows.rowsPerShard) * (dims - 160));
    // A paper's own vector finds it at full cosine: its tail was read and joined to its head.
    for (const i of [0, 17, 599]) {
      const hits = await split.vectors.search(split.vectors.rotate(data.vectors.subarray(i * dims, (i + 1) * dims)), 3);
      expect(hits[0].score).toBeGreaterThan(0.99);
      expect((await split.papers.paper(hits[0].row)).id).toBe(data.papers[i].id);
    }
    // Before the refine step, the 8-bit scores of heads joined to their tails are the whole rows' scores (heads
    // alone would score over 160 dims).
    for (const i of [5, 300]) {
      const query = data.vectors.subarray(i * dims, (i + 1) * dims).map((x, d) => x + (d % 7 === 0 ? 0.05 : 0));
      const coded = async (set: typeof whole) => (await set.vectors.search(set.vectors.rotate(query), 10, { refine: 0 })).map((h) => h.score.toFixed(4));
      expect(await coded(split)).toEqual(await coded(whole));
    }
    // The same neighbours at the same full cosines.
    for (const i of [3, 17, 250]) {
      const answer = async (set: typeof whole) => (await set.engine.similar(data.papers[i].id, { k: 5, mode: 'semantic' })).hits.map((h) => [h.paper.id, h.score.toFixed(5)]);
      expect(await answer(split)).toEqual(await answer(whole));
    }
  });

  it('takes --head-dims from the prefix dims to the model dims and --prefix-bits 4 or 8, for format 3 only', () => {
    expect(format3VectorChoices(undefined, undefined, undefined, dims)).toBeUndefined();
    expect(format3VectorChoices('64', '8', '3', dims)).toEqual({ headDims: 64, prefixEncoding: 'u8-range' });
    expect(format3VectorChoices(undefined, '4', '3', dims)).toEqual({ prefixEncoding: 'u4-range' });
    expect(() => format3VectorChoices('160', undefined, undefined, dims)).toThrow(/--head-dims is a format-3 choice: add --format 3/);
    expect(() => format3VectorChoices('63', undefined, '3', dims)).toThrow(/--head-dims must be a whole number from 64 .* to 384/);
    expect(() => format3VectorChoices('385', undefined, '3', dims)).toThrow(/--head-dims must be/);
    expect(() => format3VectorChoices('160.5', undefined, '3', dims)).toThrow(/--head-dims must be/);
    expect(() => format3VectorChoices(undefined, '2', '3', dims)).toThrow(/--prefix-bits takes 4 or 8, not "2"/);
  });
});
