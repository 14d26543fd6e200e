/**
 * The Embedder over transformers.js v4: its tokenizer and its ONNX session, with truncation, batching, pooling and
 * normalisation done here from the model registry.
 *
 * Why AutoTokenizer + AutoModel and not pipeline('feature-extraction'): per ONNX run both cost the same as
 * onnxruntime-node called directly (bench/embed.ts: 0.92-1.00 of raw), but the pipeline takes batches as given, padded
 * to their longest text (27% extra tokens on the seed papers in batches of 8, 5% once sorted by length: 1.25x the
 * throughput for bge fp32), and truncates by cutting the token list, which drops the closing [SEP] of long texts
 * (Python transformers and sentence-transformers keep it). Driving tokenizer and session ourselves gives length-sorted
 * batches, truncation as the models were trained and measured, and pooling straight from the output buffer.
 *
 * Runs in Node and in a browser module worker: no Node built-ins and no DOM here; what differs between the two comes
 * in through EmbedderOptions.
 *
 * In Node the session is transformers.js's (onnxruntime-node). In a browser this module opens it with onnxruntime-web
 * itself, for speed: transformers.js imports the asyncify build behind `onnxruntime-web/webgpu` (26.9 MB wasm, ~1.2 s
 * to its first session on a repeat visit, 23 ms a query here), while the wasm-only build needs ~0.44 s and 13 ms
 * (docs/BENCHMARKS.md). So WASM sessions load `onnxruntime-web/wasm`, and the WebGPU build is imported only when
 * WebGPU runs; vite.config.ts keeps transformers.js's own copy out of the site (it only tokenizes there).
 */
import { AutoModel, AutoTokenizer, ModelRegistry, Tensor, env } from '@huggingface/transformers';
import type { PreTrainedModel, PreTrainedTokenizer, ProgressInfo } from '@huggingface/transformers';
import { PapersiftError, describeError } from '../errors';
import {
  OPTIMIZED_GRAPHS_FILE,
  getModel,
  resolveDtype,
  type Dtype,
  type ModelFile,
  type ModelSpec,
  type OptimizedGraph,
  type OptimizedGraphs,
} from '../models';
import type { Backend, EmbedProgress, Embedder, EmbedderOptions, ModelFileFetcher } from './types';

/**
 * Texts per ONNX run when the caller does not say; graphs with dynamicQuantization always run one text at a time.
 * On the 2-core CPU (bench/embed.ts, docs/BENCHMARKS.md) batches of 8 sorted by length were level with or
 * up to ~20% faster than one text at a time for bge fp32; a GPU (WebGPU) gains more from batches.
 */
export const DEFAULT_BATCH_SIZE = 8;

/**
 * Texts are tokenized and sorted by length this many at a time: enough for neighbours of almost equal length,
 * few enough that a 100k-paper corpus never holds all its token ids at once.
 */
const SORT_WINDOW = 4096;

/** Where transformers.js looks for the ONNX graph of each dtype (its subfolder and suffix convention). */
const TRANSFORMERS_WEIGHTS_PATH: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  q8: 'onnx/model_quantized.onnx',
};

/** transformers.js reads env.localModelPath while it loads, so two loads must not interleave. */
let loadQueue: Promise<unknown> = Promise.resolve();

/**
 * In a browser every session of every embedder shares one onnxruntime-web instance and, on WebGPU, one device:
 * one run at a time ("Session already started" otherwise), and a session released while a run of it waits would
 * fail that run: runs and releases share this queue. WASM runs block the thread anyway, so it costs them nothing. Not in Node, where
 * onnxruntime-node runs sessions on its own threads.
 */
let webRunQueue: Promise<unknown> = Promise.resolve();

function serialised<T>(run: () => Promise<T>): Promise<T> {
  const next = webRunQueue.then(run);
  webRunQueue = next.catch(() => undefined);
  return next;
}

export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const spec = getModel(options.modelId);
  const dtype = resolveDtype(spec, options.dtype);
  const weights = spec.weights[dtype] as ModelFile;
  if (weights.path !== TRANSFORMERS_WEIGHTS_PATH[dtype]) {
    throw new PapersiftError(
      'invalid-option',
      `Model "${spec.id}" lists ${dtype} weights at ${weights.path}, but transformers.js loads ${TRANSFORMERS_WEIGHTS_PATH[dtype]}`,
      { model: spec.id, dtype },
    );
  }
  const backend = chooseBackend(options.backend);
  const load = loadQueue.then(() => loadModel(spec, dtype, backend, options));
  loadQueue = load.catch(() => undefined);
  const { tokenizer, runner } = await load;
  return new TransformersEmbedder(spec, dtype, backend, tokenizer, runner);
}

/** transformers.js's own test: Deno and Bun also have `process`, only Node names its release 'node'. */
const IS_NODE = typeof process !== 'undefined' && process.release?.name === 'node';

/** Which onnxruntime transformers.js runs on decides which backends exist: onnxruntime-node has no 'wasm'. */
function chooseBackend(asked: Backend | undefined): Backend {
  const runtimeIsWeb = !IS_NODE;
  const backend = asked ?? (runtimeIsWeb ? 'wasm' : 'cpu');
  const available: Backend[] = runtimeIsWeb ? ['wasm', 'webgpu'] : ['cpu'];
  if (!available.includes(backend)) {
    throw new PapersiftError(
      'invalid-option',
      `Backend "${backend}" is not available here (onnxruntime-${runtimeIsWeb ? 'web' : 'node'}); use ${available.map((b) => `"${b}"`).join(' or ')}`,
      { backend },
    );
  }
  return backend;
}

/** One ONNX session, whichever runtime opened it: token ids in, token states (rows × width × dims) out. */
interface SessionRunner {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, BigInt64Array>, shape: [number, number]): Promise<{ dims: readonly number[]; data: Float32Array } | undefined>;
  dispose(): Promise<void>;
}

async function loadModel(
  spec: ModelSpec,
  dtype: Dtype,
  backend: Backend,
  options: EmbedderOptions,
): Promise<{ tokenizer: PreTrainedTokenizer; runner: SessionRunner }> {
  env.allowRemoteModels = false;
  env.allowLocalModels = true; // the browser build refuses local models without it
  env.localModelPath = options.localModelPath;
  const onLoadProgress = options.onLoadProgress;
  const progress_callback = onLoadProgress
    ? (info: ProgressInfo) => {
        if (info.status === 'progress') onLoadProgress({ file: info.file, loaded: info.loaded, total: info.total });
      }
    : undefined;
  // allSettled, not all: transformers.js shares in-flight file reads by model id, not folder, so a load must not be
  // left running after a failure or the next load (from another folder) would be handed its files.
  const [tokenizer, runner] = await Promise.allSettled([
    AutoTokenizer.from_pretrained(spec.id, { progress_callback }).then((tokenizer) => (options.onPhase?.('tokenizerLoaded'), tokenizer)),
    backend === 'cpu' ? nodeSession(spec, dtype, options, progress_callback) : webSession(spec, dtype, backend, options),
  ]);
  if (tokenizer.status === 'fulfilled' && runner.status === 'fulfilled') {
    return { tokenizer: tokenizer.value, runner: runner.value };
  }
  if (runner.status === 'fulfilled') await runner.value.dispose();
  const cause = tokenizer.status === 'rejected' ? tokenizer.reason : (runner as PromiseRejectedResult).reason;
  throw await loadError(spec, dtype, options.localModelPath, cause);
}

/** Node: transformers.js's model over onnxruntime-node, as the artifacts were built. */
async function nodeSession(
  spec: ModelSpec,
  dtype: Dtype,
  options: EmbedderOptions,
  progress_callback: ((info: ProgressInfo) => void) | undefined,
): Promise<SessionRunner> {
  const model: PreTrainedModel = await AutoModel.from_pretrained(spec.id, {
    dtype,
    device: 'cpu',
    progress_callback,
    session_options: options.numThreads ? { intraOpNumThreads: options.numThreads } : {},
  });
  return {
    inputNames: model.sessions.model?.inputNames ?? [],
    run: async (feeds, shape) => {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, data]) => [name, new Tensor('int64', data, shape)]));
      const hidden = (await model(tensors)).last_hidden_state as Tensor | undefined;
      return hidden && { dims: hidden.dims, data: hidden.data as Float32Array };
    },
    dispose: async () => void (await model.dispose()),
  };
}

/** The onnxruntime-web build for a backend, imported once: each is a separate chunk with its own wasm. */
const webRuntimes = new Map<Backend, Promise<typeof import('onnxruntime-web')>>();

function webRuntime(backend: Backend, options: EmbedderOptions): Promise<typeof import('onnxruntime-web')> {
  let runtime = webRuntimes.get(backend);
  if (!runtime) {
    runtime = (backend === 'webgpu' ? import('onnxruntime-web/webgpu') : import('onnxruntime-web/wasm')).then((ort) => {
      // Read once, when the first session of this build starts its wasm.
      if (options.wasmPaths) ort.env.wasm.wasmPaths = withTrailingSlash(options.wasmPaths);
      if (options.numThreads) ort.env.wasm.numThreads = options.numThreads;
      ort.env.logLevel = 'error';
      return ort;
    });
    runtime.catch(() => webRuntimes.delete(backend));
    webRuntimes.set(backend, runtime);
  }
  return runtime;
}

/**
 * Browser: the weights fetched by options.fetchModelFile (the worker's cache) and run by onnxruntime-web directly.
 * On WASM, the graph `npm run setup` pre-optimised is loaded with graph optimisation off, when the site lists one
 * made from these weights (see OPTIMIZED_GRAPHS_FILE); should it fail to start, the original graph runs.
 */
async function webSession(spec: ModelSpec, dtype: Dtype, backend: Backend, options: EmbedderOptions): Promise<SessionRunner> {
  const weights = spec.weights[dtype] as ModelFile;
  const folder = `${withTrailingSlash(options.localModelPath)}${spec.id}/`;
  const fetchFile = options.fetchModelFile ?? fetchWholeFile;
  const phase = <T>(name: string) => (value: T) => (options.onPhase?.(name), value);
  const runtime = webRuntime(backend, options).then(phase('ortImported'));
  const open = async (file: { path: string; bytes: number }, graphOptimizationLevel: 'disabled' | 'all') => {
    // The wasm starts (compiles, instantiates) while the weights arrive.
    const [ort, bytes] = await Promise.all([
      runtime,
      fetchFile(`${folder}${file.path}`, file.bytes, (loaded, total) => options.onLoadProgress?.({ file: file.path, loaded, total })).then(
        phase('weightsFetched'),
      ),
    ]);
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [backend], graphOptimizationLevel, logSeverityLevel: 3 });
    options.onPhase?.('sessionCreated');
    return { ort, session };
  };
  const optimized = backend === 'wasm' ? await optimizedGraph(folder, dtype, weights) : undefined;
  const { ort, session } = optimized ? await open(optimized, 'disabled').catch(() => open(weights, 'all')) : await open(weights, 'all');
  return {
    inputNames: session.inputNames,
    run: async (feeds, shape) => {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, data]) => [name, new ort.Tensor('int64', data, shape)]));
      const output = await serialised(() => session.run(tensors));
      const hidden = output.last_hidden_state;
      return hidden && { dims: hidden.dims, data: hidden.data as Float32Array };
    },
    // After any run still queued: releasing a session under a run would fail that run.
    dispose: () => serialised(() => session.release()),
  };
}

/**
 * The pre-optimised graph the site lists for these weights, if any. Made by onnxruntime-node on the CPU provider,
 * whose kernels onnxruntime-web's WASM backend shares (WebGPU lacks some of the fused ones, so it never asks).
 */
async function optimizedGraph(folder: string, dtype: Dtype, weights: ModelFile): Promise<OptimizedGraph | undefined> {
  try {
    const response = await fetch(`${folder}${OPTIMIZED_GRAPHS_FILE}`);
    if (!response.ok || (response.headers.get('content-type') ?? '').includes('html')) return undefined;
    const list = (await response.json()) as OptimizedGraphs;
    const graph = list.graphs?.[dtype];
    return list.level === 'extended' && graph?.source.path === weights.path && graph.source.sha256 === weights.sha256 ? graph : undefined;
  } catch {
    return undefined; // none listed (setup without it, an older deploy): the original graph
  }
}

/** The default fetcher: one GET, no cache of our own (the worker passes one that caches and retries). */
const fetchWholeFile: ModelFileFetcher = async (url) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
};

/**
 * transformers.js says little when a file is missing or wrong (a missing tokenizer_config.json surfaces as "Cannot
 * read properties of undefined"), so on failure we check every file the registry lists and name the culprits.
 */
async function loadError(spec: ModelSpec, dtype: Dtype, localModelPath: string, cause: unknown): Promise<PapersiftError> {
  const folder = `${withTrailingSlash(localModelPath)}${spec.id}/`;
  const missing: string[] = [];
  const wrongSize: string[] = [];
  for (const file of [...spec.commonFiles, spec.weights[dtype] as ModelFile]) {
    const found = await fileMetadata(folder, file.path);
    if (!found.exists) {
      missing.push(file.path);
    } else if (found.size !== undefined && found.size !== file.bytes) {
      // A dev server answers a missing file with its index.html: say so rather than "corrupt".
      const html = found.contentType?.includes('html') ? ', an HTML page' : '';
      wrongSize.push(`${file.path} (${found.size} bytes${html}; expected ${file.bytes})`);
    }
  }
  const problems = [
    missing.length ? `missing ${missing.join(', ')}` : '',
    wrongSize.length ? `wrong size ${wrongSize.join(', ')}` : '',
  ].filter(Boolean);
  const what = problems.length
    ? problems.join('; ')
    : `its files are there with the expected sizes but could not be loaded (${describeError(cause)})`;
  return new PapersiftError(
    'model-load',
    // The fix for missing files is a developer's (in Node, or whoever deploys the site); a visitor is told elsewhere.
    `Could not load model "${spec.id}" (${dtype}) from ${folder}: ${what}.${IS_NODE ? ' `npm run setup` copies and checks the model files.' : ''}`,
    { model: spec.id, dtype, folder, missing, wrongSize, cause: describeError(cause) },
    { cause },
  );
}

/**
 * Size and type of one file in a model folder, through transformers.js's own file access (fs in Node, fetch in a
 * browser). Asked by folder path, not model id: transformers.js memoises these answers per id, so asking by id would
 * repeat what an earlier load from another folder saw.
 */
async function fileMetadata(folder: string, path: string): Promise<{ exists: boolean; size?: number; contentType?: string }> {
  // A leading "./" keeps a relative "models/<id>" from reading as a Hugging Face "owner/name" id.
  const location = /^(\/|\.|[a-z]+:)/i.test(folder) ? folder : `./${folder}`;
  try {
    return await ModelRegistry.get_file_metadata(location.replace(/\/$/, ''), path);
  } catch {
    return { exists: false };
  }
}

class TransformersEmbedder implements Embedder {
  /** How many special tokens the tokenizer puts after the text ([SEP]); truncation keeps them. */
  private readonly closingSpecialTokens: number;
  private readonly needsTokenTypeIds: boolean;
  private readonly padTokenId: bigint;
  private disposed = false;

  constructor(
    readonly model: ModelSpec,
    readonly dtype: Dtype,
    readonly backend: Backend,
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly session: SessionRunner,
  ) {
    const withSpecials = tokenizer.encode('a');
    const bare = tokenizer.encode('a', { add_special_tokens: false });
    this.closingSpecialTokens = withSpecials.length - withSpecials.indexOf(bare[0]) - bare.length;
    this.needsTokenTypeIds = session.inputNames.includes('token_type_ids');
    this.padTokenId = BigInt(tokenizer.pad_token_id ?? 0);
  }

  async embedDocuments(
    texts: string[],
    options: { batchSize?: number; onProgress?: (p: EmbedProgress) => void } = {},
  ): Promise<Float32Array> {
    this.assertOpen();
    const dims = this.model.dims;
    const total = texts.length;
    const out = new Float32Array(total * dims);
    const batchSize = this.effectiveBatchSize(options.batchSize);
    let done = 0;
    options.onProgress?.({ done, total });
    for (let start = 0; start < total; start += SORT_WINDOW) {
      const group = texts.slice(start, start + SORT_WINDOW).map((text, i) => ({
        row: start + i,
        ids: this.tokenize(this.model.documentPrefix + text),
      }));
      // Short texts with short texts: a batch is padded to its longest member.
      group.sort((a, b) => a.ids.length - b.ids.length || a.row - b.row);
      for (let b = 0; b < group.length; b += batchSize) {
        const batch = group.slice(b, b + batchSize);
        const vectors = await this.embedTokenized(batch.map((item) => item.ids));
        batch.forEach((item, i) => out.set(vectors.subarray(i * dims, (i + 1) * dims), item.row * dims));
        done += batch.length;
        options.onProgress?.({ done, total });
      }
    }
    return out;
  }

  async embedQuery(text: string): Promise<Float32Array> {
    this.assertOpen();
    return this.embedTokenized([this.tokenize(this.model.queryPrefix + text)]);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.session.dispose();
  }

  private effectiveBatchSize(asked: number | undefined): number {
    if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1)) {
      throw new PapersiftError('invalid-option', `batchSize must be a whole number ≥ 1, got ${asked}`, { batchSize: asked });
    }
    // One scale per batch tensor would tie a text's vector to its neighbours (see ModelFile.dynamicQuantization).
    if (this.model.weights[this.dtype]?.dynamicQuantization) return 1;
    return asked ?? DEFAULT_BATCH_SIZE;
  }

  /**
   * Token ids with the model's special tokens, at most maxTokens long. Long texts keep their first
   * maxTokens - 2 word pieces between [CLS] and [SEP], as Python transformers truncates.
   */
  private tokenize(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    const max = this.model.maxTokens;
    if (ids.length <= max) return ids;
    const closing = this.closingSpecialTokens;
    return [...ids.slice(0, max - closing), ...ids.slice(ids.length - closing)];
  }

  /** One ONNX run over texts padded to the longest; returns rows of pooled, L2-normalised vectors. */
  private async embedTokenized(batch: number[][]): Promise<Float32Array> {
    const rows = batch.length;
    const width = Math.max(...batch.map((ids) => ids.length));
    const inputIds = new BigInt64Array(rows * width).fill(this.padTokenId);
    const attentionMask = new BigInt64Array(rows * width);
    batch.forEach((ids, r) => {
      for (let t = 0; t < ids.length; t++) {
        inputIds[r * width + t] = BigInt(ids[t]);
        attentionMask[r * width + t] = 1n;
      }
    });
    const feeds: Record<string, BigInt64Array> = { input_ids: inputIds, attention_mask: attentionMask };
    if (this.needsTokenTypeIds) feeds.token_type_ids = new BigInt64Array(rows * width);
    const hidden = await this.session.run(feeds, [rows, width]);
    const hiddenSize = hidden?.dims[2];
    if (!hidden || hiddenSize !== this.model.dims) {
      throw new PapersiftError(
        'model-load',
        `Model "${this.model.id}" (${this.dtype}) returned ${hidden ? `${hiddenSize}-d token states` : 'no last_hidden_state'}; the registry says ${this.model.dims}-d`,
        { model: this.model.id, dtype: this.dtype },
      );
    }
    return poolAndNormalise(hidden.data, batch.map((ids) => ids.length), width, hiddenSize, this.model.pooling);
  }

  private assertOpen(): void {
    if (this.disposed) throw new Error(`The ${this.model.id} embedder was disposed`);
  }
}

/**
 * From token states (rows x width x dims, row-major) to one unit vector per row: the [CLS] state, or the mean over
 * the row's real tokens (special tokens included, padding excluded, as sentence-transformers pools).
 */
export function poolAndNormalise(
  states: Float32Array,
  lengths: number[],
  width: number,
  dims: number,
  pooling: ModelSpec['pooling'],
): Float32Array {
  const out = new Float32Array(lengths.length * dims);
  const sum = new Float64Array(dims);
  lengths.forEach((length, r) => {
    const rowStart = r * width * dims;
    if (pooling === 'cls') {
      for (let d = 0; d < dims; d++) sum[d] = states[rowStart + d];
    } else {
      sum.fill(0);
      for (let t = 0; t < length; t++) {
        const at = rowStart + t * dims;
        for (let d = 0; d < dims; d++) sum[d] += states[at + d];
      }
      for (let d = 0; d < dims; d++) sum[d] /= length;
    }
    let squares = 0;
    for (let d = 0; d < dims; d++) squares += sum[d] * sum[d];
    const scale = 1 / Math.max(Math.sqrt(squares), 1e-12);
    for (let d = 0; d < dims; d++) out[r * dims + d] = sum[d] * scale;
  });
  return out;
}

function withTrailingSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}
