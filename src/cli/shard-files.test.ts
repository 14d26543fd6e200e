import { existsSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getModel, PAPER_TEXT_FORM } from '../core/models';
import { SHARD_FILES, shardStem } from '../core/shards/format';
import { readShardHeader, readShardLines, readShardVectors, verifyShard, ShardWriter } from './shard-files';

const model = getModel('bge-small-en-v1.5');
const fields = {
  model: { id: model.id, dims: 8, pooling: model.pooling, dtype: 'q8' as const, sha256: model.weights.q8!.sha256 },
  textForm: PAPER_TEXT_FORM,
  shard: { index: 1, count: 3 },
  createdBy: 'test',
};

async function writeShard(rows: number): Promise<{ dir: string; stem: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'shard-'));
  const stem = shardStem(1, 3);
  const writer = new ShardWriter(dir, stem, fields, { withPapers: true });
  for (let i = 0; i < rows; i++) {
    const v = new Float32Array(8);
    v[i % 8] = 1;
    await writer.add(`id-${i}`, v, { id: `id-${i}`, title: `Paper ${i}` });
  }
  await writer.close();
  return { dir, stem };
}

describe('ShardWriter and the shard reader', () => {
  it('round-trips ids, papers and rows across several buffered writes, and verifies', async () => {
    const { dir, stem } = await writeShard(2500);
    const shard = readShardHeader(join(dir, SHARD_FILES.header(stem)));
    expect(shard.header).toMatchObject({ rows: 2500, shard: { index: 1, count: 3 }, textForm: PAPER_TEXT_FORM });
    await verifyShard(shard);
    const ids: unknown[] = [];
    for await (const id of readShardLines(shard, shard.header.ids)) ids.push(id);
    expect(ids.length).toBe(2500);
    expect(ids[2499]).toBe('id-2499');
    const papers: unknown[] = [];
    for await (const p of readShardLines(shard, shard.header.papers!)) papers.push(p);
    expect(papers[1234]).toEqual({ id: 'id-1234', title: 'Paper 1234' });
    const vectors = readShardVectors(shard);
    expect(vectors.length).toBe(2500 * 8);
    expect(vectors[2499 * 8 + (2499 % 8)]).toBe(1);
  });

  it('refuses a shard whose files were truncated or changed, naming the file', async () => {
    const { dir, stem } = await writeShard(10);
    const shard = readShardHeader(join(dir, SHARD_FILES.header(stem)));
    const vectorsPath = join(dir, SHARD_FILES.vectors(stem));
    const bytes = readFileSync(vectorsPath);
    bytes[5] ^= 0xff;
    writeFileSync(vectorsPath, bytes);
    await expect(verifyShard(shard)).rejects.toThrow(/\.f32 is corrupted/);
    truncateSync(vectorsPath, 16);
    await expect(verifyShard(shard)).rejects.toThrow(/has 16 bytes; its header says 320/);
  });

  it('writes no header until the shard is complete, so a half-written shard cannot be merged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shard-'));
    const writer = new ShardWriter(dir, 'part', fields, { withPapers: false });
    await writer.add('a', new Float32Array(8));
    expect(existsSync(join(dir, SHARD_FILES.header('part')))).toBe(false);
    await writer.close();
    expect(existsSync(join(dir, SHARD_FILES.header('part')))).toBe(true);
    expect(existsSync(join(dir, SHARD_FILES.papers('part')))).toBe(false);
  });
});
