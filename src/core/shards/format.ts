/**
 * The embeddings shard: what one slice of a build (`build-index --shard I/N`), the synthetic generator, or
 * any other engine that runs the same model writes, and what `build-index --merge` reads. Documented for
 * people in docs/SHARDS.md; this file is the definition.
 *
 * A shard is three files sharing a stem: `<stem>.json` (this header), `<stem>.ids.jsonl` (one JSON string
 * per line, row order) and `<stem>.f32` (rows × dims little-endian float32, unit length, not rotated), plus
 * optionally `<stem>.papers.jsonl` (one paper record per line, row order) so a merge needs no corpus file.
 * Plain files on purpose: numpy's `tofile` and any JSON writer produce them, and a merge streams them.
 */
import { PapersiftError } from '../errors';
import type { Dtype, ModelSpec, Pooling } from '../models';
import { PAPER_TEXT_FORM } from '../models';

export const SHARD_FORMAT = 'papersift-embeddings';
export const SHARD_VERSION = 1;

export interface ShardFileRef {
  file: string;
  bytes: number;
  sha256: string;
}

export interface ShardHeader {
  format: typeof SHARD_FORMAT;
  version: number;
  /** The model the rows were made with; the merge refuses rows of any other. */
  model: { id: string; dims: number; pooling: Pooling; dtype: Dtype; sha256: string };
  /** How a paper became the embedded text (see PAPER_TEXT_FORM); rows of another form are not comparable. */
  textForm: string;
  /** Which slice of the corpus this is: index in 0..count-1 (count 1: the whole corpus). */
  shard: { index: number; count: number };
  rows: number;
  ids: ShardFileRef;
  vectors: ShardFileRef;
  papers?: ShardFileRef;
  /** Set by the synthetic generator: the rows are clustered vectors, not a model's output. */
  synthetic?: boolean;
  createdBy: string;
  createdAt: string;
}

/** File names of shard `index` of `count` under a folder: `shard-00003-of-00016.json` and its siblings. */
export function shardStem(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `shard-${pad(index)}-of-${pad(count)}`;
}

export const SHARD_FILES = {
  header: (stem: string) => `${stem}.json`,
  ids: (stem: string) => `${stem}.ids.jsonl`,
  vectors: (stem: string) => `${stem}.f32`,
  papers: (stem: string) => `${stem}.papers.jsonl`,
} as const;

/**
 * The shard a paper belongs to: 32-bit FNV-1a of its id's UTF-8 bytes, modulo the shard count. A pure
 * function of the id, so slices never overlap, and a paper keeps its shard when others join the corpus.
 */
export function shardOfId(id: string, count: number): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(id)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % count;
}

/** `--shard I/N` (or the environment's index and count) → {index, count}, with the reason when it is off. */
export function parseShardSpec(spec: string): { index: number; count: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(spec);
  if (!match) throw new PapersiftError('invalid-option', `--shard takes I/N (e.g. 0/4, I counting from 0), not "${spec}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) {
    throw new PapersiftError('invalid-option', `--shard ${spec}: I must be in 0..N-1 and N at least 1`, { index, count });
  }
  return { index, count };
}

/**
 * The shard a batch engine assigned this process, from its environment: a Kubernetes Indexed Job's
 * JOB_COMPLETION_INDEX with PAPERSIFT_SHARD_COUNT (Kubernetes does not pass the completion count on), or a
 * Slurm job array's SLURM_ARRAY_TASK_ID, counted from SLURM_ARRAY_TASK_MIN, with SLURM_ARRAY_TASK_COUNT.
 * PAPERSIFT_SHARD=I/N overrides both. Undefined when none is set: then the build is not sharded.
 */
export function shardFromEnv(env: Record<string, string | undefined>): { index: number; count: number; from: string } | undefined {
  if (env.PAPERSIFT_SHARD) return { ...parseShardSpec(env.PAPERSIFT_SHARD), from: 'PAPERSIFT_SHARD' };
  if (env.JOB_COMPLETION_INDEX !== undefined) {
    if (!env.PAPERSIFT_SHARD_COUNT) {
      throw new PapersiftError('invalid-option', 'JOB_COMPLETION_INDEX is set but PAPERSIFT_SHARD_COUNT is not: set it to the Job\'s completions');
    }
    return { ...parseShardSpec(`${env.JOB_COMPLETION_INDEX}/${env.PAPERSIFT_SHARD_COUNT}`), from: 'JOB_COMPLETION_INDEX' };
  }
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const id = Number(env.SLURM_ARRAY_TASK_ID);
    const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
    if (!env.SLURM_ARRAY_TASK_COUNT) throw new PapersiftError('invalid-option', 'SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
    return { ...parseShardSpec(`${id - min}/${env.SLURM_ARRAY_TASK_COUNT}`), from: 'SLURM_ARRAY_TASK_ID' };
  }
  return undefined;
}

/** Parses and checks a header's shape; the reason names the file. */
export function parseShardHeader(text: string, file: string): ShardHeader {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PapersiftError('artifacts-format', `${file} is not valid JSON`, { file }, { cause: e });
  }
  const h = value as Partial<ShardHeader>;
  const fail = (why: string) => {
    throw new PapersiftError('artifacts-format', `${file} is not a papersift embeddings shard: ${why}`, { file });
  };
  if (typeof h !== 'object' || h === null) return fail('not an object');
  if (h.format !== SHARD_FORMAT) return fail(`"format" is ${JSON.stringify(h.format)}, expected "${SHARD_FORMAT}"`);
  if (h.version !== SHARD_VERSION) return fail(`version ${String(h.version)}; this build reads version ${SHARD_VERSION}`);
  const m = h.model;
  if (!m || typeof m.id !== 'string' || !Number.isInteger(m.dims) || m.dims < 1) return fail('"model" needs id and dims');
  if (typeof h.textForm !== 'string') return fail('"textForm" is missing');
  const s = h.shard;
  if (!s || !Number.isInteger(s.index) || !Number.isInteger(s.count) || s.count < 1 || s.index < 0 || s.index >= s.count) {
    return fail('"shard" needs index in 0..count-1');
  }
  if (!Number.isInteger(h.rows) || (h.rows as number) < 0) return fail('"rows" must be a count');
  for (const key of ['ids', 'vectors'] as const) if (!isFileRef(h[key])) return fail(`"${key}" needs file, bytes and sha256`);
  if (h.papers !== undefined && !isFileRef(h.papers)) return fail('"papers" needs file, bytes and sha256');
  if ((h.vectors as ShardFileRef).bytes !== (h.rows as number) * m.dims * 4) {
    return fail(`vectors hold ${(h.vectors as ShardFileRef).bytes} bytes, not rows × dims × 4 = ${(h.rows as number) * m.dims * 4}`);
  }
  return h as ShardHeader;
}

/**
 * Rows from another model, dtype, pooling or text form are not comparable with ours: refuse them with
 * every difference named. Synthetic rows carry the model of the vectors they were mixed from.
 */
export function checkShardModel(header: ShardHeader, file: string, model: ModelSpec, dtype: Dtype): void {
  const weights = model.weights[dtype];
  const want: Record<string, [unknown, unknown]> = {
    'model id': [header.model.id, model.id],
    dims: [header.model.dims, model.dims],
    pooling: [header.model.pooling, model.pooling],
    dtype: [header.model.dtype, dtype],
    'weights sha256': [header.model.sha256, weights?.sha256],
    'text form': [header.textForm, PAPER_TEXT_FORM],
  };
  const mismatches = Object.entries(want)
    .filter(([, [found, wanted]]) => found !== wanted)
    .map(([what, [found, wanted]]) => `${what}: shard has ${String(found)}, this build uses ${String(wanted)}`);
  if (mismatches.length > 0) {
    throw new PapersiftError('artifacts-stale', `${file} was made with another model or text form (${mismatches.join('; ')})`, {
      file,
      mismatches,
    });
  }
}

/**
 * A set of shards must be one complete partition: the same count everywhere, every index once.
 * Returns the headers ordered by index.
 */
export function checkShardSet<T extends { header: ShardHeader; file: string }>(shards: T[]): T[] {
  if (shards.length === 0) throw new PapersiftError('invalid-option', 'No embeddings shards given to merge');
  const counts = new Set(shards.map((s) => s.header.shard.count));
  if (counts.size > 1) {
    const list = shards.map((s) => `${s.file} is ${s.header.shard.index}/${s.header.shard.count}`).join(', ');
    throw new PapersiftError('invalid-option', `Shards come from builds of different sizes: ${list}`);
  }
  const count = shards[0].header.shard.count;
  const byIndex = new Map<number, T>();
  for (const shard of shards) {
    const seen = byIndex.get(shard.header.shard.index);
    if (seen) {
      throw new PapersiftError('invalid-option', `Shard ${shard.header.shard.index}/${count} is given twice: ${seen.file} and ${shard.file}`, {
        index: shard.header.shard.index,
      });
    }
    byIndex.set(shard.header.shard.index, shard);
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) {
    throw new PapersiftError('invalid-option', `Missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')}: a merge needs all ${count}`, {
      missing,
    });
  }
  return [...byIndex.keys()].sort((a, b) => a - b).map((i) => byIndex.get(i) as T);
}

function isFileRef(value: unknown): value is ShardFileRef {
  const ref = value as ShardFileRef;
  return typeof ref === 'object' && ref !== null && typeof ref.file === 'string' && Number.isInteger(ref.bytes) && /^[0-9a-f]{64}$/.test(ref.sha256);
}
