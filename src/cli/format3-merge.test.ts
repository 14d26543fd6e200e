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
import { mergeShardsFormat3 } from './format3-merge';
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
});
