/**
 * One page, two workers: the app's engine worker (the same EngineClient the site uses) and a raw
 * onnxruntime-web worker, embedding the same queries in turns, so both see the same machine load.
 */
import { DEFAULT_MODEL_ID, getModel, type Dtype } from '../src/core/models';
import { EngineClient } from '../src/ui/engine-client';
import { startRawOrt } from './browser-raw-ort';

export interface CompareResult {
  dtype: Dtype;
  /** Per query, measured inside each worker (no message passing). */
  appMs: number[];
  rawMs: number[];
  /** Per query, page → app worker → page. */
  appRoundTripMs: number[];
  /** Lowest cosine between the two workers' vectors: proves they compute the same thing. */
  minCosine: number;
}

declare global {
  interface Window {
    __compare(options: { texts: string[]; rounds: number; dtype?: Dtype }): Promise<CompareResult>;
    /** The app's worker embedding each query with every dtype in turn, so machine load hits all alike. */
    __dtypeDuel(options: { texts: string[]; rounds: number }): Promise<Record<string, number[]>>;
    /** Raw onnxruntime-web alone, for a model the site does not run (what another model would cost). */
    __rawOnly(options: { texts: string[]; rounds: number; modelId: string; dtype: Dtype }): Promise<{ loadMs: number; ms: number[] }>;
    /**
     * Lowest cosine between the app's query vectors and those of the path the site ran before (transformers.js's
     * asyncify build, the original graph, default optimisation), over `texts`.
     */
    __againstBefore(texts: string[]): Promise<number>;
    /** A fresh raw onnxruntime-web worker for the site's model: its session creation (wasm start-up included) and first run. */
    __rawStartup(): Promise<{ createMs: number; firstRunMs: number }>;
  }
}

window.__againstBefore = async (texts) => {
  const client = new EngineClient();
  const info = await client.request('init', {});
  const spec = getModel(info.settings.modelId);
  const before = await startRawOrt({
    siteRoot: new URL(import.meta.env.BASE_URL, location.origin).href,
    modelId: spec.id,
    modelFile: spec.weights[info.settings.dtype]!.path,
    queryPrefix: spec.queryPrefix,
    pooling: spec.pooling,
    numThreads: 1,
    build: 'asyncify',
  });
  const app = await client.request('embed', { texts, kind: 'query' });
  const old = await before.embed(texts);
  before.close();
  return Math.min(...app.vectors.map((v, i) => v.reduce((dot, x, d) => dot + x * old.vectors[i][d], 0)));
};

window.__rawStartup = async () => {
  const spec = getModel(DEFAULT_MODEL_ID);
  const raw = await startRawOrt({
    siteRoot: new URL(import.meta.env.BASE_URL, location.origin).href,
    modelId: spec.id,
    modelFile: spec.weights[spec.defaultDtype]!.path,
    queryPrefix: spec.queryPrefix,
    pooling: spec.pooling,
    numThreads: 1,
  });
  raw.close();
  return { createMs: raw.createMs, firstRunMs: raw.firstRunMs };
};

window.__dtypeDuel = async ({ texts, rounds }) => {
  const client = new EngineClient();
  const info = await client.request('init', {});
  const dtypes = Object.keys(getModel(info.settings.modelId).weights) as Dtype[];
  for (const dtype of dtypes) await client.request('embed', { texts, kind: 'query', dtype }); // load and warm up
  const ms: Record<string, number[]> = Object.fromEntries(dtypes.map((d) => [d, []]));
  for (let round = 0; round < rounds; round++) {
    for (const text of texts) {
      // Alternate which dtype goes first, so neither always follows the other.
      for (const dtype of round % 2 ? [...dtypes].reverse() : dtypes) {
        ms[dtype].push((await client.request('embed', { texts: [text], kind: 'query', dtype })).ms);
      }
    }
  }
  return ms;
};

window.__rawOnly = async ({ texts, rounds, modelId, dtype }) => {
  const spec = getModel(modelId);
  const raw = await startRawOrt({
    siteRoot: new URL(import.meta.env.BASE_URL, location.origin).href,
    modelId: spec.id,
    modelFile: spec.weights[dtype]!.path,
    queryPrefix: spec.queryPrefix,
    pooling: spec.pooling,
    numThreads: 1,
  });
  await raw.embed(texts);
  const ms: number[] = [];
  for (let round = 0; round < rounds; round++) ms.push(...(await raw.embed(texts)).ms);
  raw.close();
  return { loadMs: raw.loadMs, ms };
};

window.__compare = async ({ texts, rounds, dtype }) => {
  const client = new EngineClient();
  // Init with the site's settings; another dtype is embedded by a side model, so no index is rebuilt.
  const info = await client.request('init', {});
  const spec = getModel(info.settings.modelId);
  const chosen = dtype ?? info.settings.dtype;
  const weights = spec.weights[chosen]!;
  const raw = await startRawOrt({
    siteRoot: new URL(import.meta.env.BASE_URL, location.origin).href,
    modelId: spec.id,
    modelFile: weights.path,
    queryPrefix: spec.queryPrefix,
    pooling: spec.pooling,
    numThreads: info.settings.numThreads,
  });
  // Warm-up: first runs pay for allocation and JIT on both sides.
  await client.request('embed', { texts, kind: 'query', dtype: chosen });
  await raw.embed(texts);
  const result: CompareResult = { dtype: chosen, appMs: [], rawMs: [], appRoundTripMs: [], minCosine: 1 };
  for (let round = 0; round < rounds; round++) {
    for (const text of texts) {
      const t0 = performance.now();
      const app = await client.request('embed', { texts: [text], kind: 'query', dtype: chosen });
      result.appRoundTripMs.push(performance.now() - t0);
      result.appMs.push(app.ms);
      const rawRun = await raw.embed([text]);
      result.rawMs.push(rawRun.ms[0]);
      let dot = 0;
      for (let d = 0; d < app.vectors[0].length; d++) dot += app.vectors[0][d] * rawRun.vectors[0][d];
      result.minCosine = Math.min(result.minCosine, dot);
    }
  }
  raw.close();
  return result;
};
