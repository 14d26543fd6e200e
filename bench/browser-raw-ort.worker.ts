/// <reference lib="webworker" />
/**
 * The yardstick for bench/browser.ts: a query embedded with onnxruntime-web directly (the wasm-only build the
 * app's WASM backend runs, the same wasm, model file and tokenizer), in its own module worker like the
 * app's. What the app's worker spends beyond this is the engine's plumbing.
 */
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import type * as Ort from 'onnxruntime-web';

export interface RawOrtLoad {
  /** The site's root URL, ending in '/'. */
  siteRoot: string;
  modelId: string;
  /** Path inside the model folder, e.g. onnx/model_quantized.onnx. */
  modelFile: string;
  queryPrefix: string;
  pooling: 'cls' | 'mean';
  numThreads: number;
  /**
   * 'wasm' (default): the wasm-only build the app's WASM backend runs. 'asyncify': the build behind
   * `onnxruntime-web/webgpu` that transformers.js ran before, the yardstick for "vectors unchanged".
   */
  build?: 'wasm' | 'asyncify';
}

export type RawOrtRequest = { load: RawOrtLoad } | { embed: string[] };

export type RawOrtReply =
  | { ok: true; loadMs: number; createMs: number; firstRunMs: number }
  | { ok: true; ms: number[]; vectors: number[][] }
  | { ok: false; error: string };

declare const self: DedicatedWorkerGlobalScope;

let loaded: { tokenizer: PreTrainedTokenizer; session: Ort.InferenceSession; ort: typeof Ort; config: RawOrtLoad } | undefined;

self.addEventListener('message', async (event: MessageEvent<RawOrtRequest>) => {
  try {
    if ('load' in event.data) {
      const t0 = performance.now();
      const { createMs, firstRunMs } = await load(event.data.load);
      self.postMessage({ ok: true, loadMs: performance.now() - t0, createMs, firstRunMs } satisfies RawOrtReply);
    } else {
      self.postMessage({ ok: true, ...(await embed(event.data.embed)) } satisfies RawOrtReply);
    }
  } catch (e) {
    self.postMessage({ ok: false, error: String((e as Error)?.stack ?? e) } satisfies RawOrtReply);
  }
});

/** createMs: the session's creation alone, wasm start-up included (the weights already in memory); firstRunMs: its first query. */
async function load(config: RawOrtLoad): Promise<{ createMs: number; firstRunMs: number }> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${new URL(config.siteRoot).pathname}models/`;
  const ort: typeof Ort = config.build === 'asyncify' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  ort.env.wasm.wasmPaths = `${config.siteRoot}ort/`;
  ort.env.wasm.numThreads = config.numThreads;
  const tokenizer = await AutoTokenizer.from_pretrained(config.modelId);
  const weights = new Uint8Array(await (await fetch(`${config.siteRoot}models/${config.modelId}/${config.modelFile}`)).arrayBuffer());
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(weights, { executionProviders: ['wasm'] });
  const createMs = performance.now() - t0;
  loaded = { tokenizer, session, ort, config };
  const firstRunMs = (await embed(['a first query'])).ms[0];
  return { createMs, firstRunMs };
}

/** One text per run, as a query is embedded: tokenize, run, pool, normalise. */
async function embed(texts: string[]): Promise<{ ms: number[]; vectors: number[][] }> {
  if (!loaded) throw new Error('load first');
  const { tokenizer, session, ort, config } = loaded;
  const ms: number[] = [];
  const vectors: number[][] = [];
  for (const text of texts) {
    const start = performance.now();
    const ids = tokenizer.encode(config.queryPrefix + text).slice(0, 512);
    const shape = [1, ids.length];
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), shape),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), shape),
    };
    if (session.inputNames.includes('token_type_ids')) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(ids.length), shape);
    const output = await session.run(feeds);
    const hidden = output[session.outputNames[0]];
    const [, tokens, dims] = hidden.dims as number[];
    const states = hidden.data as Float32Array;
    const vector = new Float32Array(dims);
    if (config.pooling === 'cls') vector.set(states.subarray(0, dims));
    else for (let t = 0; t < tokens; t++) for (let d = 0; d < dims; d++) vector[d] += states[t * dims + d] / tokens;
    const norm = Math.hypot(...vector);
    for (let d = 0; d < dims; d++) vector[d] /= norm;
    ms.push(performance.now() - start);
    vectors.push(Array.from(vector));
  }
  return { ms, vectors };
}
