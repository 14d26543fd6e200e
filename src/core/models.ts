/**
 * The one place that knows the embedding models: ids, dims, pooling, prefixes, token limits and files.
 * Sizes and sha256 come from ../shared/models/<id>/PROVENANCE.txt and the files themselves.
 */
import { PapersiftError } from './errors';

export type Dtype = 'fp32' | 'q8';
export type Pooling = 'cls' | 'mean';

export interface ModelFile {
  /** Path inside the model folder, transformers.js layout. */
  path: string;
  bytes: number;
  sha256: string;
  /**
   * The graph quantises activations while it runs (onnxruntime quantize_dynamic: DynamicQuantizeLinear, one
   * scale for the whole input tensor). Texts batched together share that scale, so a text's vector would
   * depend on its batch neighbours (measured: up to 2e-2 per component); the embedder runs such graphs one
   * text at a time so that a vector depends on its text alone.
   */
  dynamicQuantization?: boolean;
}

/**
 * `npm run setup` writes each copied ONNX graph once more, pre-optimised by onnxruntime (graph level 'extended':
 * fused attention, layer norm, GELU), and lists it in `<model folder>/optimized-graphs.json`. The browser's WASM
 * backend loads that graph with graph optimisation off and skips the optimiser on every visit; its vectors equal the
 * original graph's (test/optimized-graphs.test.ts). The registry's sha256 keeps naming the model: an optimised
 * graph is accepted only for the source file it was made from.
 */
export const OPTIMIZED_GRAPHS_FILE = 'optimized-graphs.json';

export interface OptimizedGraphs {
  /** The onnxruntime level the graphs were optimised at: the browser loads them with optimisation 'disabled'. */
  level: 'extended';
  /** onnxruntime-node's version that wrote them. */
  runtime: string;
  graphs: Partial<Record<Dtype, OptimizedGraph>>;
}

export interface OptimizedGraph {
  /** Path inside the model folder. */
  path: string;
  bytes: number;
  sha256: string;
  /** The registry's weights file it was made from (path and sha256). */
  source: { path: string; sha256: string };
}

export interface ModelSpec {
  id: string;
  dims: number;
  pooling: Pooling;
  /** Prepended to queries only; documents get `documentPrefix`. */
  queryPrefix: string;
  documentPrefix: string;
  /** Longer inputs are truncated to this many tokens. */
  maxTokens: number;
  /** Files shared by every dtype (tokenizer, config). */
  commonFiles: ModelFile[];
  /** The ONNX graph per dtype this model ships. */
  weights: Partial<Record<Dtype, ModelFile>>;
  defaultDtype: Dtype;
}

// Both models share one uncased WordPiece tokenizer and special-tokens map.
const TOKENIZER: ModelFile = {
  path: 'tokenizer.json',
  bytes: 527292,
  sha256: '325e6539e09081160e94f36b13f0869734587b16be2add1a6848ba7eb4c10c38',
};
const SPECIAL_TOKENS: ModelFile = {
  path: 'special_tokens_map.json',
  bytes: 119,
  sha256: '0c995ed077668e947c7a9eeb9547d422dd1c772fe62423438ad94cba6cb8e13f',
};

export const MODELS: Record<string, ModelSpec> = {
  'bge-small-en-v1.5': {
    id: 'bge-small-en-v1.5',
    dims: 384,
    pooling: 'cls',
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    documentPrefix: '',
    maxTokens: 512,
    commonFiles: [
      TOKENIZER,
      SPECIAL_TOKENS,
      { path: 'config.json', bytes: 313, sha256: '207ba302abd8df172231b1f12f0f5f1229b33913dc425e0c84dbad929e0301e3' },
      { path: 'tokenizer_config.json', bytes: 245, sha256: 'b80b04f1988c574becae9f8e46270b001fca7c5cd02dbf6934d888b09656750f' },
    ],
    weights: {
      fp32: { path: 'onnx/model.onnx', bytes: 133093490, sha256: '828e1496d7fabb79cfa4dcd84fa38625c0d3d21da474a00f08db0f559940cf35' },
      q8: { path: 'onnx/model_quantized.onnx', bytes: 34015106, sha256: '8335c20d42885f36d88f49d9efcc2e8b276f7e59206b7155c2de5e48483ce88d', dynamicQuantization: true },
    },
    defaultDtype: 'q8',
  },
  'all-MiniLM-L6-v2': {
    id: 'all-MiniLM-L6-v2',
    dims: 384,
    pooling: 'mean',
    queryPrefix: '',
    documentPrefix: '',
    maxTokens: 256,
    commonFiles: [
      TOKENIZER,
      SPECIAL_TOKENS,
      { path: 'config.json', bytes: 312, sha256: '8306655efe130858cb4f8c3c482fba4e2117f5baae6563719708a777627e835d' },
      { path: 'tokenizer_config.json', bytes: 245, sha256: '12c26fbf5d447b879fdb8c0c7d9c8865dfb9aeb8c13426dbafc094182401b798' },
    ],
    weights: {
      q8: { path: 'onnx/model_quantized.onnx', bytes: 23035869, sha256: '6e9bc8f39381f6561f8a8040ca3cf05193509caebfe04b1a56a07b48f6a2702c', dynamicQuantization: true },
    },
    defaultDtype: 'q8',
  },
};

export const DEFAULT_MODEL_ID = 'bge-small-en-v1.5';

export function getModel(id: string): ModelSpec {
  const spec = MODELS[id];
  if (!spec) {
    throw new PapersiftError('invalid-option', `Unknown model "${id}". Known models: ${Object.keys(MODELS).join(', ')}`, { model: id });
  }
  return spec;
}

/**
 * Names the way paperText turns a paper into the embedded text (the model's document prefix, if any, goes
 * before it). Embeddings shards record it, so rows made another way are refused, not merged. Change it
 * whenever paperText changes.
 */
export const PAPER_TEXT_FORM = 'title-dot-abstract-v1';

/** A paper is embedded as its title and abstract joined, the form the models were measured with. */
export function paperText(paper: { title: string; abstract: string }): string {
  return `${paper.title}. ${paper.abstract}`;
}

/** The dtype to use for a model: the one asked for if the model ships it, else a clear error. */
export function resolveDtype(spec: ModelSpec, dtype?: Dtype): Dtype {
  const chosen = dtype ?? spec.defaultDtype;
  if (!spec.weights[chosen]) {
    throw new PapersiftError(
      'invalid-option',
      `Model "${spec.id}" has no ${chosen} weights; it ships: ${Object.keys(spec.weights).join(', ')}`,
      { model: spec.id, dtype: chosen },
    );
  }
  return chosen;
}
