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
  /**
   * Row-major N x dims, every row L2-normalised, in input order. A text's vector depends on that text alone,
   * never on the others in the call or on batchSize (graphs that quantise activations run one text at a time).
   */
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
  /** 'cpu' (onnxruntime-node) in Node; 'wasm' or 'webgpu' in a browser. Left out: 'cpu' in Node, 'wasm' in a browser. */
  backend?: Backend;
  /** Browser only: where onnxruntime-web's .wasm/.mjs are served (absolute URL). */
  wasmPaths?: string;
  /**
   * Inference threads: WASM threads in a browser (they need cross-origin isolation), onnxruntime-node's
   * intra-op threads in Node. Left out: the runtime's default.
   */
  numThreads?: number;
  /**
   * Browser only: how the weights are fetched (the worker passes one that keeps them in Cache Storage and retries).
   * Left out: one plain GET.
   */
  fetchModelFile?: ModelFileFetcher;
  /** Called as parts of the load end: tokenizerLoaded, ortImported, weightsFetched, sessionCreated (for benchmarks). */
  onPhase?: (name: string) => void;
  /** Bytes of each model file as it loads (a browser fetches 23-133 MB the first time). */
  onLoadProgress?: (p: ModelLoadProgress) => void;
}

export interface ModelLoadProgress {
  /** Path inside the model folder, e.g. "onnx/model_quantized.onnx". */
  file: string;
  loaded: number;
  total: number;
}

/** The bytes of the model file at `url`, which should be `expectedBytes` long; reports bytes as they arrive. */
export type ModelFileFetcher = (url: string, expectedBytes: number, onProgress: (loaded: number, total: number) => void) => Promise<Uint8Array>;
