import type { Dtype, ModelSpec } from '../models';

export type Backend = 'wasm' | 'webgpu' | 'cpu';

export interface EmbedProgress {
  done: number;
  total: number;
}

/** Turns text into unit-length vectors. Documents and queries differ only by the model's prefixes. */
export interface Embedder {
  readonly model: ModelSpec;
  readonly dtype: Dtype;
  readonly backend: Backend;
  /** Row-major N x dims, every row L2-normalised, in input order. */
  embedDocuments(
    texts: string[],
    options?: { batchSize?: number; onProgress?: (p: EmbedProgress) => void },
  ): Promise<Float32Array>;
  /** One query (the model's query prefix is added here), L2-normalised. */
  embedQuery(text: string): Promise<Float32Array>;
  dispose(): Promise<void>;
}

export interface EmbedderOptions {
  modelId: string;
  dtype?: Dtype;
  /** Where model folders live: a filesystem path in Node, a URL path ('/models/') in the browser. */
  localModelPath: string;
  /** 'cpu' (onnxruntime-node) in Node; 'wasm' or 'webgpu' in a browser. */
  backend?: Backend;
  /** Browser only: where onnxruntime-web's .wasm/.mjs are served (absolute URL). */
  wasmPaths?: string;
  /** Browser only: WASM threads (needs cross-origin isolation). */
  numThreads?: number;
}
