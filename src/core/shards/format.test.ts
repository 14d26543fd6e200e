import { describe, expect, it } from 'vitest';
import { isPapersiftError } from '../errors';
import { getModel, PAPER_TEXT_FORM } from '../models';
import { checkShardModel, checkShardSet, parseShardHeader, parseShardSpec, shardFromEnv, shardOfId, shardStem, type ShardHeader } from './format';

const model = getModel('bge-small-en-v1.5');
const header = (over: Partial<ShardHeader> = {}): ShardHeader => ({
  format: 'papersift-embeddings',
  version: 1,
  model: { id: model.id, dims: 384, pooling: 'cls', dtype: 'q8', sha256: model.weights.q8!.sha256 },
  textForm: PAPER_TEXT_FORM,
  shard: { index: 0, count: 1 },
  rows: 2,
  ids: { file: 'a.ids.jsonl', bytes: 10, sha256: 'a'.repeat(64) },
  vectors: { file: 'a.f32', bytes: 2 * 384 * 4, sha256: 'b'.repeat(64) },
  createdBy: 'test',
  createdAt: '2026-12-02T00:00:00Z',
  ...over,
});

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    if (isPapersiftError(e)) return e.message;
    throw e;
  }
  throw new Error('expected a PapersiftError');
}

describe('shard assignment', () => {
  it('is a pure function of the id, in range, and spreads ids evenly', () => {
    const counts = new Array(4).fill(0);
    for (let i = 0; i < 4000; i++) {
      const shard = shardOfId(`2106.${String(i).padStart(5, '0')}`, 4);
      expect(shard).toBe(shardOfId(`2106.${String(i).padStart(5, '0')}`, 4));
      counts[shard]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(shardOfId('x', 1)).toBe(0);
    // Pinned (checked against FNV-1a-32 in Python): a changed hash would move papers between the shards of existing builds.
    expect([shardOfId('0704.0001', 16), shardOfId('2106.09685', 16), shardOfId('ü', 7)]).toEqual([1, 0, 0]);
  });

  it('parses I/N and refuses what is off, with the reason', () => {
    expect(parseShardSpec('3/16')).toEqual({ index: 3, count: 16 });
    expect(parseShardSpec(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    expect(errorOf(() => parseShardSpec('4/4'))).toMatch(/0\.\.N-1/);
    expect(errorOf(() => parseShardSpec('1-4'))).toMatch(/takes I\/N/);
    expect(errorOf(() => parseShardSpec('0/0'))).toMatch(/N at least 1/);
    expect(shardStem(3, 16)).toBe('shard-00003-of-00016');
  });
});

describe('shardFromEnv', () => {
  it('reads a Kubernetes Indexed Job, a Slurm array (counted from its minimum) and PAPERSIFT_SHARD', () => {
    expect(shardFromEnv({})).toBeUndefined();
    expect(shardFromEnv({ JOB_COMPLETION_INDEX: '2', PAPERSIFT_SHARD_COUNT: '4' })).toEqual({ index: 2, count: 4, from: 'JOB_COMPLETION_INDEX' });
    expect(shardFromEnv({ SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '8' })).toEqual({ index: 4, count: 8, from: 'SLURM_ARRAY_TASK_ID' });
    expect(shardFromEnv({ PAPERSIFT_SHARD: '1/3', JOB_COMPLETION_INDEX: '0', PAPERSIFT_SHARD_COUNT: '9' })).toEqual({ index: 1, count: 3, from: 'PAPERSIFT_SHARD' });
  });

  it('says what is missing instead of guessing a count', () => {
    expect(errorOf(() => shardFromEnv({ JOB_COMPLETION_INDEX: '0' }))).toMatch(/PAPERSIFT_SHARD_COUNT/);
    expect(errorOf(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '3' }))).toMatch(/SLURM_ARRAY_TASK_COUNT/);
    expect(errorOf(() => shardFromEnv({ JOB_COMPLETION_INDEX: '4', PAPERSIFT_SHARD_COUNT: '4' }))).toMatch(/0\.\.N-1/);
  });
});

describe('shard headers', () => {
  it('reads a well-formed header and refuses broken ones, naming the file', () => {
    expect(parseShardHeader(JSON.stringify(header()), 'h.json').rows).toBe(2);
    expect(errorOf(() => parseShardHeader('{', 'h.json'))).toMatch(/h\.json is not valid JSON/);
    expect(errorOf(() => parseShardHeader(JSON.stringify({ ...header(), format: 'other' }), 'h.json'))).toMatch(/"format"/);
    expect(errorOf(() => parseShardHeader(JSON.stringify({ ...header(), version: 9 }), 'h.json'))).toMatch(/version 9/);
    expect(errorOf(() => parseShardHeader(JSON.stringify(header({ rows: 3 })), 'h.json'))).toMatch(/rows × dims × 4/);
    expect(errorOf(() => parseShardHeader(JSON.stringify(header({ shard: { index: 2, count: 2 } })), 'h.json'))).toMatch(/index in 0\.\.count-1/);
  });

  it('refuses rows from another model, dtype or text form, naming each difference', () => {
    expect(() => checkShardModel(header(), 'h.json', model, 'q8')).not.toThrow();
    const other = header({ model: { ...header().model, id: 'all-MiniLM-L6-v2', pooling: 'mean' } });
    const message = errorOf(() => checkShardModel(other, 'h.json', model, 'q8'));
    expect(message).toMatch(/model id: shard has all-MiniLM-L6-v2, this build uses bge-small-en-v1\.5/);
    expect(message).toMatch(/pooling: shard has mean/);
    expect(errorOf(() => checkShardModel(header({ textForm: 'title-only' }), 'h.json', model, 'q8'))).toMatch(/text form: shard has title-only/);
    expect(errorOf(() => checkShardModel(header(), 'h.json', model, 'fp32'))).toMatch(/dtype: shard has q8, this build uses fp32/);
  });

  it('accepts one complete partition and refuses a missing, duplicated or mixed one', () => {
    const shard = (index: number, count: number, file = `s${index}`) => ({ header: header({ shard: { index, count } }), file });
    expect(checkShardSet([shard(1, 2), shard(0, 2)]).map((s) => s.file)).toEqual(['s0', 's1']);
    expect(errorOf(() => checkShardSet([shard(0, 3), shard(2, 3)]))).toMatch(/Missing shard 1\/3/);
    expect(errorOf(() => checkShardSet([shard(0, 2), shard(0, 2, 'copy'), shard(1, 2)]))).toMatch(/0\/2 is given twice: s0 and copy/);
    expect(errorOf(() => checkShardSet([shard(0, 2), shard(0, 1)]))).toMatch(/different sizes/);
    expect(errorOf(() => checkShardSet([]))).toMatch(/No embeddings shards/);
  });
});
