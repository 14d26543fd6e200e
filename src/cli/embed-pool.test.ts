import { describe, expect, it } from 'vitest';
import { createEmbedder } from '../core/embed';
import { isPapersiftError } from '../core/errors';
import { getModel, paperText } from '../core/models';
import { readSeedCorpus } from './corpus-files';
import { chunkRows, embedInWorkers } from './embed-pool';
import { modelsDir } from './node-env';

const model = getModel('bge-small-en-v1.5');
const texts = readSeedCorpus().papers.slice(0, 8).map(paperText);
const pool = { modelId: model.id, dtype: 'q8' as const, localModelPath: modelsDir(), dims: model.dims, chunkSize: 2 };

describe('embedInWorkers', () => {
  it('cuts chunks from the texts alone, longest first, covering every row once', () => {
    const chunks = chunkRows(['aaaa', 'b', 'cc', 'ddd', 'ee'], 2);
    expect(chunks).toEqual([[0], [4, 3], [1, 2]]);
    expect(chunks.flat().sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('gives the same bytes with 1 or 2 workers, and the same as the embedder in this thread', async () => {
    const reported: number[] = [];
    const one = await embedInWorkers(texts, { ...pool, workers: 1, threadsPerWorker: 2, onChunk: (rows) => reported.push(...rows) });
    const two = await embedInWorkers(texts, { ...pool, workers: 2, threadsPerWorker: 1 });
    expect(Buffer.from(two.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    expect(reported.sort((a, b) => a - b)).toEqual(texts.map((_, i) => i));
    const embedder = await createEmbedder({ modelId: model.id, dtype: 'q8', localModelPath: modelsDir() });
    try {
      const here = await embedder.embedDocuments(texts);
      expect(Buffer.from(here.buffer).equals(Buffer.from(one.buffer))).toBe(true);
    } finally {
      await embedder.dispose();
    }
  });

  it('stops when aborted, after the chunks it reported, with code "interrupted"', async () => {
    const controller = new AbortController();
    const done: number[] = [];
    const run = embedInWorkers(texts, {
      ...pool,
      workers: 1,
      signal: controller.signal,
      onChunk: (rows) => {
        done.push(...rows);
        controller.abort();
      },
    });
    const error = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPapersiftError(error, 'interrupted')).toBe(true);
    expect(done).toHaveLength(2);
  });

  it('reports a model that cannot load as the reason, not a hang', async () => {
    const error = await embedInWorkers(texts.slice(0, 2), { ...pool, localModelPath: '/nonexistent/models', workers: 1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPapersiftError(error, 'model-load')).toBe(true);
    expect((error as Error).message).toMatch(/Could not load model "bge-small-en-v1.5"/);
  });
});
