/// <reference lib="webworker" />
/**
 * The contenders of bench/browser-webgpu.ts, all in this one module worker: the app's own Embedder
 * (src/core/embed) on WASM q8, WASM fp32 and WebGPU fp32. One worker, so every run waits for the one
 * before it and all contenders see the same machine load.
 */
import { createEmbedder, type Embedder } from '../src/core/embed';
import type { Dtype } from '../src/core/models';

export type BenchRequest =
  | { adapter: true }
  | { load: { key: string; modelId: string; dtype: Dtype; backend: 'wasm' | 'webgpu'; siteRoot: string } }
  | { documents: { key: string; texts: string[]; batchSize: number } }
  | { query: { key: string; text: string } };

export type BenchReply =
  | { ok: true; adapter: { found: boolean; isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string } }
  | { ok: true; ms: number; vectors?: Float32Array }
  | { ok: false; error: string };

declare const self: DedicatedWorkerGlobalScope;

const embedders = new Map<string, Embedder>();

self.addEventListener('message', async (event: MessageEvent<BenchRequest>) => {
  try {
    self.postMessage({ ok: true, ...(await handle(event.data)) } as BenchReply);
  } catch (e) {
    self.postMessage({ ok: false, error: String((e as Error)?.stack ?? e) } satisfies BenchReply);
  }
});

async function handle(request: BenchRequest) {
  if ('adapter' in request) {
    const gpu = (navigator as Navigator & { gpu?: GPULike }).gpu;
    const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
    if (!adapter) return { adapter: { found: false } };
    const info = adapter.info ?? {};
    return {
      adapter: {
        found: true,
        isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
        vendor: info.vendor,
        architecture: info.architecture,
        description: info.description,
      },
    };
  }
  if ('load' in request) {
    const { key, modelId, dtype, backend, siteRoot } = request.load;
    const t0 = performance.now();
    embedders.set(
      key,
      await createEmbedder({ modelId, dtype, backend, localModelPath: `${new URL(siteRoot).pathname}models/`, wasmPaths: `${siteRoot}ort/`, numThreads: 1 }),
    );
    return { ms: performance.now() - t0 };
  }
  if ('documents' in request) {
    const { key, texts, batchSize } = request.documents;
    const t0 = performance.now();
    await embedders.get(key)!.embedDocuments(texts, { batchSize });
    return { ms: performance.now() - t0 };
  }
  const { key, text } = request.query;
  const t0 = performance.now();
  const vectors = await embedders.get(key)!.embedQuery(text);
  return { ms: performance.now() - t0, vectors };
}

/** The part of WebGPU's types this file reads (the DOM lib has none). */
interface GPULike {
  requestAdapter(): Promise<{
    isFallbackAdapter?: boolean;
    info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
  } | null>;
}
