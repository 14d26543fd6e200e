/**
 * The pre-optimised graphs `npm run setup` writes (the browser's WASM backend loads them with graph optimisation
 * off) give the same query vectors as the registry's graphs with onnxruntime's default optimisation, so the shipped
 * index, built from the originals, stays valid. Every judged query that embeds text (45 of the 60; the other 15 ask
 * for papers similar to a stored one and embed nothing), with the query prefix, pooled as the model is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { poolAndNormalise } from '../src/core/embed';
import { MODELS, OPTIMIZED_GRAPHS_FILE, type Dtype, type ModelSpec, type OptimizedGraphs } from '../src/core/models';
import { REPO_ROOT } from '../scripts/setup';

const MODELS_DIR = join(REPO_ROOT, 'public', 'models');
const QUERIES = (JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'eval', 'queries.json'), 'utf8')) as { queries: { text?: string }[] }).queries
  .map((q) => q.text)
  .filter((text): text is string => Boolean(text));

function listed(spec: ModelSpec): OptimizedGraphs | undefined {
  const path = join(MODELS_DIR, spec.id, OPTIMIZED_GRAPHS_FILE);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as OptimizedGraphs) : undefined;
}

const cases = Object.values(MODELS).flatMap((spec) =>
  Object.entries(listed(spec)?.graphs ?? {})
    // fp32 weights are large and WebGPU runs them; checking the default q8 graphs keeps this test short.
    .filter(([dtype]) => dtype === 'q8')
    .map(([dtype, graph]) => ({ spec, dtype: dtype as Dtype, graph: graph! })),
);

describe.skipIf(cases.length === 0)('pre-optimised graphs (npm run setup)', () => {
  it('has the judged queries', () => {
    expect(QUERIES.length).toBeGreaterThanOrEqual(45);
  });

  it.each(cases.map((c) => [`${c.spec.id} ${c.dtype}`, c] as const))('%s: same vectors as the original graph (cosine ≥ 0.9999)', async (_, { spec, dtype, graph }) => {
    const weights = spec.weights[dtype]!;
    expect(graph.source).toEqual({ path: weights.path, sha256: weights.sha256 });
    env.allowRemoteModels = false;
    env.localModelPath = MODELS_DIR;
    const tokenizer = await AutoTokenizer.from_pretrained(spec.id);
    const folder = join(MODELS_DIR, spec.id);
    const original = await ort.InferenceSession.create(join(folder, weights.path), { intraOpNumThreads: 1 });
    const optimized = await ort.InferenceSession.create(join(folder, graph.path), { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
    let lowest = 1;
    try {
      for (const text of QUERIES) {
        const ids = tokenizer.encode(spec.queryPrefix + text);
        const shape = [1, ids.length];
        const feeds: Record<string, ort.Tensor> = {
          input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
          attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
        };
        if (original.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), shape);
        const [a, b] = await Promise.all(
          [original, optimized].map(async (session) =>
            poolAndNormalise((await session.run(feeds)).last_hidden_state.data as Float32Array, [ids.length], ids.length, spec.dims, spec.pooling),
          ),
        );
        lowest = Math.min(lowest, a.reduce((dot, x, i) => dot + x * b[i], 0));
      }
    } finally {
      await original.release();
      await optimized.release();
    }
    expect(lowest).toBeGreaterThanOrEqual(0.9999);
  });
});
