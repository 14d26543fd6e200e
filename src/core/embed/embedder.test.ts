// Loads real ONNX models: all-MiniLM-L6-v2 q8 (small, fast) for most checks, bge-small-en-v1.5 for the query
// prefix, CLS pooling and true multi-text batches (its fp32 graph is the one that batches). Models are read from
// public/models (after `npm run setup`) or else from ../shared/models.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPapersiftError, type PapersiftError } from '../errors';
import { MODELS, type Dtype } from '../models';
import { createEmbedder, poolAndNormalise } from './embedder';
import type { Embedder } from './types';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MODEL_DIRS = [join(REPO_ROOT, 'public', 'models'), join(REPO_ROOT, '..', 'shared', 'models')];

/** The first models folder holding this model's files for this dtype, or undefined. */
function modelsDirFor(id: string, dtype: Dtype): string | undefined {
  const spec = MODELS[id];
  const paths = [...spec.commonFiles.map((f) => f.path), spec.weights[dtype]?.path ?? 'absent'];
  return MODEL_DIRS.find((dir) => paths.every((p) => existsSync(join(dir, id, p))));
}

const MINILM = 'all-MiniLM-L6-v2';
const BGE = 'bge-small-en-v1.5';
const miniLmDir = modelsDirFor(MINILM, 'q8');
const bgeQ8Dir = modelsDirFor(BGE, 'q8');
const bgeFp32Dir = modelsDirFor(BGE, 'fp32');

const TEXTS = [
  'Sparse autoencoders find interpretable features in language models.',
  'A',
  'Graph neural networks for molecule property prediction, with a long explanation of message passing, pooling, ' +
    'readout functions and how they are trained on quantum chemistry benchmarks.',
  'Attention is all you need.',
  '',
  'State space models such as Mamba scale linearly with sequence length.',
];

function row(matrix: Float32Array, i: number, dims: number): Float32Array {
  return matrix.subarray(i * dims, (i + 1) * dims);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/** The model run by hand: onnxruntime-node on the tokenizer's ids, pooled and normalised here. */
async function referenceEmbedding(dir: string, id: string, dtype: Dtype, text: string): Promise<Float32Array> {
  const spec = MODELS[id];
  const tokenizer = await AutoTokenizer.from_pretrained(join(dir, id));
  const ids = tokenizer.encode(text);
  const session = await ort.InferenceSession.create(join(dir, id, spec.weights[dtype]!.path));
  try {
    const shape = [1, ids.length];
    const outputs = await session.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), shape),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
      token_type_ids: new ort.Tensor('int64', new BigInt64Array(ids.length), shape),
    });
    const states = outputs.last_hidden_state.data as Float32Array;
    const vector = new Float32Array(spec.dims);
    if (spec.pooling === 'cls') {
      vector.set(states.subarray(0, spec.dims));
    } else {
      for (let t = 0; t < ids.length; t++) for (let d = 0; d < spec.dims; d++) vector[d] += states[t * spec.dims + d] / ids.length;
    }
    const norm = Math.hypot(...vector);
    return vector.map((x) => x / norm);
  } finally {
    await session.release();
  }
}

describe('poolAndNormalise', () => {
  // Two rows of three token states (dims 2); row 1 has one padding position holding junk.
  const states = new Float32Array([3, 4, 1, 1, 5, 5, /* row 1 */ 0, 2, 2, 0, 99, 99]);

  it('takes the first token for cls pooling', () => {
    expect(Array.from(poolAndNormalise(states, [3, 2], 3, 2, 'cls'))).toEqual([0.6, 0.8, 0, 1].map(Math.fround));
  });

  it('averages the real tokens only for mean pooling', () => {
    const pooled = poolAndNormalise(states, [3, 2], 3, 2, 'mean');
    // row 0 mean (3, 10/3); row 1 mean (1, 1): padding ignored
    const n0 = Math.hypot(3, 10 / 3);
    expect(maxAbsDiff(pooled, new Float32Array([3 / n0, 10 / 3 / n0, Math.SQRT1_2, Math.SQRT1_2]))).toBeLessThan(1e-7);
  });
});

describe.skipIf(!miniLmDir)(`${MINILM} q8`, () => {
  let embedder: Embedder;
  const dims = MODELS[MINILM].dims;

  beforeAll(async () => {
    embedder = await createEmbedder({ modelId: MINILM, dtype: 'q8', localModelPath: miniLmDir! });
  });
  afterAll(() => embedder?.dispose());

  it('reports what it runs', () => {
    expect(embedder.model.id).toBe(MINILM);
    expect(embedder.dtype).toBe('q8');
    expect(embedder.backend).toBe('cpu');
  });

  it('returns unit-length rows', async () => {
    const matrix = await embedder.embedDocuments(TEXTS);
    expect(matrix.length).toBe(TEXTS.length * dims);
    for (let i = 0; i < TEXTS.length; i++) expect(Math.abs(Math.hypot(...row(matrix, i, dims)) - 1)).toBeLessThan(1e-5);
  });

  it('is deterministic: the same text gives the same vector', async () => {
    const first = await embedder.embedDocuments(TEXTS);
    const second = await embedder.embedDocuments(TEXTS);
    expect(second).toEqual(first);
    expect(await embedder.embedQuery(TEXTS[0])).toEqual(await embedder.embedQuery(TEXTS[0]));
  });

  it('gives the same vector in a batch as alone, in input order', async () => {
    const progress: Array<[number, number]> = [];
    const batched = await embedder.embedDocuments(TEXTS, { batchSize: 4, onProgress: (p) => progress.push([p.done, p.total]) });
    for (let i = 0; i < TEXTS.length; i++) {
      const alone = await embedder.embedDocuments([TEXTS[i]]);
      expect(maxAbsDiff(row(batched, i, dims), alone)).toBeLessThan(1e-5);
    }
    expect(progress[0]).toEqual([0, TEXTS.length]);
    expect(progress.at(-1)).toEqual([TEXTS.length, TEXTS.length]);
    expect(progress.map(([done]) => done)).toEqual([...progress.map(([done]) => done)].sort((a, b) => a - b));
  });

  it('embeds a query like a document: this model has no prefixes', async () => {
    expect(await embedder.embedQuery(TEXTS[0])).toEqual(row(await embedder.embedDocuments([TEXTS[0]]), 0, dims));
  });

  it('mean-pools like the raw model output', async () => {
    const reference = await referenceEmbedding(miniLmDir!, MINILM, 'q8', TEXTS[2]);
    expect(maxAbsDiff(await embedder.embedQuery(TEXTS[2]), reference)).toBeLessThan(1e-5);
  });

  it(`truncates a 2000-word text to its first ${MODELS[MINILM].maxTokens} tokens, keeping [SEP]`, async () => {
    // Each of these words is one word piece, so "first n tokens" is "[CLS] + first n-2 words + [SEP]".
    const words = Array.from({ length: 2000 }, (_, i) => ['cat', 'dog', 'bird', 'fish'][i % 4]);
    const tokenizer = await AutoTokenizer.from_pretrained(join(miniLmDir!, MINILM));
    expect(tokenizer.encode(words.slice(0, 8).join(' ')).length).toBe(10);

    const keep = MODELS[MINILM].maxTokens - 2;
    const long = await embedder.embedQuery(words.join(' '));
    const firstTokens = await embedder.embedQuery(words.slice(0, keep).join(' '));
    const oneShorter = await embedder.embedQuery(words.slice(0, keep - 1).join(' '));
    expect(maxAbsDiff(long, firstTokens)).toBeLessThan(1e-6);
    expect(maxAbsDiff(long, oneShorter)).toBeGreaterThan(1e-4);
  });

  it('handles an empty list', async () => {
    expect((await embedder.embedDocuments([])).length).toBe(0);
  });

  it('refuses a batch size that is not a whole number ≥ 1', async () => {
    await expect(embedder.embedDocuments(TEXTS, { batchSize: 0 })).rejects.toMatchObject({ code: 'invalid-option' });
  });
});

describe.skipIf(!bgeQ8Dir)(`${BGE} q8`, () => {
  let embedder: Embedder;
  const spec = MODELS[BGE];

  beforeAll(async () => {
    embedder = await createEmbedder({ modelId: BGE, dtype: 'q8', localModelPath: bgeQ8Dir! });
  });
  afterAll(() => embedder?.dispose());

  it('adds the query prefix to queries only', async () => {
    const text = 'sparse autoencoders for interpretability';
    const query = await embedder.embedQuery(text);
    const document = await embedder.embedDocuments([text, spec.queryPrefix + text]);
    expect(dot(query, row(document, 0, spec.dims))).toBeLessThan(0.99);
    expect(maxAbsDiff(query, row(document, 1, spec.dims))).toBeLessThan(1e-6);
  });

  it('CLS-pools like the raw model output', async () => {
    const reference = await referenceEmbedding(bgeQ8Dir!, BGE, 'q8', TEXTS[2]);
    expect(maxAbsDiff((await embedder.embedDocuments([TEXTS[2]])).subarray(0, spec.dims), reference)).toBeLessThan(1e-5);
  });
});

describe.skipIf(!bgeFp32Dir)(`${BGE} fp32 batches`, () => {
  it('gives the same vectors batched (sorted by length, padded) as one by one', async () => {
    const embedder = await createEmbedder({ modelId: BGE, dtype: 'fp32', localModelPath: bgeFp32Dir! });
    try {
      const dims = embedder.model.dims;
      const batched = await embedder.embedDocuments(TEXTS, { batchSize: 3 });
      for (let i = 0; i < TEXTS.length; i++) {
        expect(maxAbsDiff(row(batched, i, dims), await embedder.embedDocuments([TEXTS[i]]))).toBeLessThan(1e-5);
      }
    } finally {
      await embedder.dispose();
    }
  });
});

describe.skipIf(!miniLmDir)('a missing or broken model', () => {
  const spec = MODELS[MINILM];
  const roots: string[] = [];

  /** A models folder holding MiniLM's files except `leaveOut`, and `replace` written over others. */
  function brokenCopy(leaveOut: string[], replace: Record<string, string> = {}): string {
    const root = mkdtempSync(join(tmpdir(), 'papersift-embed-'));
    roots.push(root);
    for (const file of [...spec.commonFiles, spec.weights.q8!]) {
      if (leaveOut.includes(file.path)) continue;
      const dest = join(root, MINILM, file.path);
      mkdirSync(dirname(dest), { recursive: true });
      if (file.path in replace) writeFileSync(dest, replace[file.path]);
      else copyFileSync(join(miniLmDir!, MINILM, file.path), dest);
    }
    return root;
  }

  async function loadError(localModelPath: string): Promise<PapersiftError> {
    const error = await createEmbedder({ modelId: MINILM, localModelPath }).then(
      async (embedder) => {
        await embedder.dispose();
        return null;
      },
      (e: unknown) => e,
    );
    expect(isPapersiftError(error, 'model-load')).toBe(true);
    return error as PapersiftError;
  }

  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('names the folder and the missing weights', async () => {
    const dir = brokenCopy(['onnx/model_quantized.onnx']);
    const error = await loadError(dir);
    expect(error.message).toContain(join(dir, MINILM) + '/');
    expect(error.message).toContain('missing onnx/model_quantized.onnx');
    expect(error.details.missing).toEqual(['onnx/model_quantized.onnx']);
  });

  it('names a missing tokenizer', async () => {
    const error = await loadError(brokenCopy(['tokenizer.json']));
    expect(error.message).toContain('missing tokenizer.json');
  });

  it('names a file of the wrong size', async () => {
    const error = await loadError(brokenCopy([], { 'onnx/model_quantized.onnx': '<!doctype html><p>not a model' }));
    expect(error.message).toMatch(/wrong size onnx\/model_quantized\.onnx \(\d+ bytes; expected 23035869\)/);
  });

  it('says so when right-sized files do not load', async () => {
    const garbage = 'x'.repeat(spec.weights.q8!.bytes);
    const error = await loadError(brokenCopy([], { 'onnx/model_quantized.onnx': garbage }));
    expect(error.message).toContain('could not be loaded');
  });

  it('refuses a backend this runtime lacks', async () => {
    await expect(createEmbedder({ modelId: MINILM, localModelPath: miniLmDir!, backend: 'wasm' })).rejects.toMatchObject({
      code: 'invalid-option',
    });
  });
});
