/**
 * What the worker holds: a search engine over one artifact set, the model that embeds queries, and the
 * counters that let a test see what this page load cost.
 *
 * The index opens long before the model has loaded (a few hundred kB from IndexedDB against tens of MB
 * of weights), so the engine answers as soon as it has one: keyword (BM25) results while the model
 * loads, semantic and hybrid ones after. Searches run one at a time through the worker's job queue;
 * loading runs beside them and swaps the new engine and model in when they are complete.
 */
import type { Embedder, EmbedderOptions } from '../src/core/embed/types';
import { describeError, PapersiftError } from '../src/core/errors';
import { DEFAULT_MODEL_ID, getModel, resolveDtype, type Dtype } from '../src/core/models';
import { checkQueryText, DEFAULT_MODE, EXACT_SEARCH_BELOW, MAX_QUERY_CHARS, SearchEngine, type SearchResult } from '../src/core/search';
import type {
  EmbedParams,
  EmbedReply,
  EngineCounters,
  EngineInfo,
  EngineSettings,
  EngineStatus,
  LoadStep,
  QueryBackend,
  SearchParams,
  SearchReply,
  SimilarParams,
} from '../src/protocol';
import { ArtifactStore } from '../src/store/artifact-store';
import { loadArtifacts, type LoadedArtifacts } from './artifact-loader';

/** The site's root URL path ('/' or a sub-path such as '/papersift/'), as Vite was told at build time. */
const BASE_PATH = import.meta.env.BASE_URL;
/** onnxruntime-web needs a full URL for its wasm (a bare path breaks under Vite dev). */
const SITE_ROOT = new URL(BASE_PATH, self.location.origin).href;

interface Current {
  settings: EngineSettings;
  engine: SearchEngine;
  /** Undefined until the model has loaded: searches are keyword-only until then. */
  embedder?: Embedder;
  activeBackend: QueryBackend;
  source: LoadedArtifacts['source'];
  notice?: string;
  loadTimings: EngineInfo['loadTimings'];
}

type Waiter = { resolve: (current: Current) => void; reject: (reason: unknown) => void };

export class EngineHost {
  private current?: Current;
  private readonly counters: EngineCounters = { documentsEmbedded: 0, queriesEmbedded: 0, artifactFilesFetched: 0 };
  /** The two halves of start-up, reported together so neither hides the other. */
  private steps: { model: LoadStep; index: LoadStep } = { model: waiting, index: waiting };
  private readonly sideEmbedders = new Map<string, Promise<Embedder>>();
  /** configure() calls, one after another. */
  private configuring: Promise<unknown> = Promise.resolve();
  private loading = false;
  /** Commands that arrived before the first engine opened. */
  private engineWaiters: Waiter[] = [];

  /**
   * `emit` reports status; `afterRunningJobs` runs a task once the searches queued before it are done
   * (the worker's job queue), so a replaced model is never disposed under a running search.
   */
  constructor(
    private readonly emit: (status: EngineStatus) => void,
    private readonly afterRunningJobs: (task: () => Promise<void>) => void,
  ) {}

  /** Loads what the settings need, reusing the model or the artifacts when they do not change. */
  configure(partial: Partial<EngineSettings>): Promise<EngineInfo> {
    const run = this.configuring.then(() => this.reconfigure(partial));
    this.configuring = run.catch(() => {});
    return run;
  }

  async search(params: SearchParams, queueMs: number): Promise<SearchReply> {
    const current = await this.whenEngine();
    const text = checkQueryText(params.text);
    const wanted = params.mode ?? DEFAULT_MODE;
    const t0 = performance.now();
    let embedding: Float32Array | null = null;
    if (wanted !== 'lexical' && current.embedder) {
      embedding = await current.embedder.embedQuery(text);
      this.counters.queriesEmbedded++;
    }
    const t1 = performance.now();
    const result = current.engine.searchText(text, embedding, { mode: wanted, k: params.k, dims: params.dims, adaptive: params.adaptive });
    const t2 = performance.now();
    return {
      ...this.reply(result, { queueMs, embedMs: t1 - t0, searchMs: t2 - t1 }),
      modelPending: wanted !== 'lexical' && !current.embedder,
      truncated: params.text.trim().length > MAX_QUERY_CHARS,
    };
  }

  async similar(params: SimilarParams, queueMs: number): Promise<SearchReply> {
    const { engine } = await this.whenEngine();
    const t0 = performance.now();
    const source = engine.paper(params.paperId);
    const result = engine.similar(source.id, { mode: params.mode, k: params.k, dims: params.dims, adaptive: params.adaptive });
    return { ...this.reply(result, { queueMs, embedMs: 0, searchMs: performance.now() - t0 }), modelPending: false, truncated: false, source };
  }

  async embed(params: EmbedParams): Promise<EmbedReply> {
    const current = this.current;
    if (!current?.embedder) throw new PapersiftError('model-load', 'The model is still loading');
    const embedder =
      params.dtype && params.dtype !== current.settings.dtype ? await this.sideEmbedder(current.settings, params.dtype) : current.embedder;
    const t0 = performance.now();
    let vectors: Float32Array[];
    if (params.kind === 'query') {
      vectors = [];
      // slice(): each vector gets its own buffer, so the reply can transfer them all.
      for (const text of params.texts) vectors.push((await embedder.embedQuery(text)).slice());
      this.counters.queriesEmbedded += params.texts.length;
    } else {
      const matrix = await embedder.embedDocuments(params.texts);
      const dims = embedder.model.dims;
      vectors = params.texts.map((_, i) => matrix.slice(i * dims, (i + 1) * dims));
    }
    return { vectors, ms: performance.now() - t0 };
  }

  stats(): EngineInfo {
    if (!this.current) throw new PapersiftError('model-load', 'The search index is still loading');
    return this.info(this.current);
  }

  private async reconfigure(partial: Partial<EngineSettings>): Promise<EngineInfo> {
    const current = this.current;
    const settings = resolveSettings({ ...current?.settings, ...partial });
    if (current?.embedder && sameSettings(current.settings, settings)) return this.info(current);
    const sameVectors = current !== undefined && current.settings.modelId === settings.modelId && current.settings.dtype === settings.dtype;
    const sameModel =
      sameVectors && current.embedder !== undefined && current.settings.backend === settings.backend && current.settings.numThreads === settings.numThreads;
    this.steps = { model: sameModel ? kept : waiting, index: sameVectors ? kept : waiting };
    this.loading = true;
    const started = performance.now();
    const loadTimings = { indexMs: 0, modelMs: 0 };
    try {
      let loadingModel: Promise<{ embedder: Embedder; backend: QueryBackend }> | undefined;
      const model = () =>
        (loadingModel ??= sameModel
          ? Promise.resolve({ embedder: current.embedder!, backend: current.activeBackend })
          : this.loadEmbedder(settings).then((loaded) => ((loadTimings.modelMs = performance.now() - started), loaded)));
      // A download is network-bound, so the model loads beside it. A stored index opens in well under a
      // second, but not while the model's wasm compiles on this same thread: it opens first, and keyword
      // search works that much sooner. A rebuild of the index asks for the model itself.
      if (sameVectors || !(await this.hasStoredIndex(settings))) model().catch(() => {}); // awaited below
      const index = sameVectors
        ? { engine: current.engine, source: current.source, notice: current.notice }
        : await this.loadEngine(settings, async () => (await model()).embedder);
      if (!sameVectors) loadTimings.indexMs = performance.now() - started;
      if (!this.current) {
        // First load: keyword search can start now.
        this.current = { settings, ...index, activeBackend: settings.backend, loadTimings };
        this.settleWaiters();
      }
      const { embedder, backend } = await model();
      const replaced = this.current.embedder;
      this.current = { settings, ...index, embedder, activeBackend: backend, loadTimings };
      if (replaced && replaced !== embedder) this.afterRunningJobs(() => replaced.dispose());
      const info = this.info(this.current);
      this.emit({ phase: 'ready', info });
      return info;
    } catch (e) {
      this.settleWaiters(e);
      // A failed change keeps what works; a failed first load is an error state (keyword search may still work).
      if (current?.embedder) this.emit({ phase: 'ready', info: this.info(current) });
      else this.emit({ phase: 'error', error: { code: e instanceof PapersiftError ? e.code : 'internal', message: describeError(e) } });
      throw e;
    } finally {
      this.loading = false;
    }
  }

  private async hasStoredIndex(settings: EngineSettings): Promise<boolean> {
    try {
      return (await new ArtifactStore(settings.modelId, settings.dtype).origin()) !== undefined;
    } catch {
      return false; // IndexedDB unavailable (some private modes): there is nothing stored to open first
    }
  }

  /** The engine now, or once the first load has opened one. */
  private whenEngine(): Promise<Current> {
    if (this.current) return Promise.resolve(this.current);
    if (!this.loading) return Promise.reject(new PapersiftError('model-load', 'The engine has not been started (send init first)'));
    return new Promise((resolve, reject) => this.engineWaiters.push({ resolve, reject }));
  }

  private settleWaiters(failure?: unknown): void {
    const waiters = this.engineWaiters;
    this.engineWaiters = [];
    for (const waiter of waiters) {
      if (this.current) waiter.resolve(this.current);
      else waiter.reject(failure);
    }
  }

  private async loadEngine(settings: EngineSettings, embedder: () => Promise<Embedder>) {
    const spec = getModel(settings.modelId);
    const loaded = await loadArtifacts({
      expected: { model: spec, dtype: settings.dtype },
      store: new ArtifactStore(spec.id, settings.dtype),
      artifactsUrl: `${SITE_ROOT}artifacts/`,
      embedder,
      onStep: (step) => this.step('index', step),
      onIndexing: this.emit,
      onFileFetched: () => this.counters.artifactFilesFetched++,
    });
    this.step('index', { message: 'Opening the search index…', done: false });
    // Below EXACT_SEARCH_BELOW papers the engine compares all vectors and never asks its HNSW graphs;
    // leaving them out skips loading hnswlib and its IndexedDB file sync, the slowest part of opening.
    const { artifacts } = loaded;
    const engine = await SearchEngine.open(artifacts.papers.length < EXACT_SEARCH_BELOW ? { ...artifacts, hnsw: new Map() } : artifacts);
    this.step('index', { message: `Ready: ${engine.papers.length} papers; keyword search works already`, done: true });
    return { engine, source: loaded.source, notice: loaded.notice };
  }

  private async loadEmbedder(settings: EngineSettings): Promise<{ embedder: Embedder; backend: QueryBackend }> {
    const spec = getModel(settings.modelId);
    const weights = spec.weights[settings.dtype];
    const backend = settings.backend === 'webgpu' && !(await hasWebGpuAdapter()) ? 'wasm' : settings.backend;
    const what = `${spec.id} (${settings.dtype}${weights ? `, ${Math.round(weights.bytes / 1e6)} MB` : ''}, ${backend})`;
    this.step('model', { message: `Loading ${what}…`, done: false });
    // Bytes per model file. Servers that compress send no length, so the registry's sizes set the total.
    const expected = [...spec.commonFiles, ...(weights ? [weights] : [])].reduce((n, file) => n + file.bytes, 0);
    const loadedByFile = new Map<string, number>();
    const { createEmbedder } = await loadEmbedModule();
    const embedder = await createEmbedder({
      ...embedderOptions(settings, backend),
      onLoadProgress: ({ file, loaded }) => {
        loadedByFile.set(file, loaded);
        const loadedBytes = [...loadedByFile.values()].reduce((n, bytes) => n + bytes, 0);
        this.step('model', { message: `Loading ${what}…`, done: false, loaded: loadedBytes, total: Math.max(expected, loadedBytes) });
      },
    });
    this.step('model', { message: `Loaded ${what}`, done: true });
    return { embedder: countDocuments(embedder, this.counters), backend };
  }

  /** A model with other weights for `embed` only; loaded once and kept. */
  private sideEmbedder(settings: EngineSettings, dtype: Dtype): Promise<Embedder> {
    const key = `${settings.modelId}/${dtype}`;
    let embedder = this.sideEmbedders.get(key);
    if (!embedder) {
      const side = { ...settings, dtype: resolveDtype(getModel(settings.modelId), dtype) };
      embedder = loadEmbedModule()
        .then(({ createEmbedder }) => createEmbedder(embedderOptions(side, 'wasm')))
        .then((created) => countDocuments(created, this.counters));
      embedder.catch(() => this.sideEmbedders.delete(key));
      this.sideEmbedders.set(key, embedder);
    }
    return embedder;
  }

  private step(which: 'model' | 'index', step: LoadStep): void {
    this.steps = { ...this.steps, [which]: step };
    this.emit({ phase: 'loading', ...this.steps, searchable: this.current !== undefined });
  }

  private reply(result: SearchResult, timings: SearchReply['timings']): Omit<SearchReply, 'modelPending' | 'truncated'> {
    return {
      mode: result.mode,
      hits: result.hits.map((hit) => ({ paper: hit.paper, score: hit.score, terms: hit.terms })),
      dims: result.dims,
      adaptive: result.adaptive,
      timings,
      counters: { ...this.counters },
    };
  }

  private info(current: Current): EngineInfo {
    const { manifest } = current.engine;
    return {
      settings: current.settings,
      activeBackend: current.activeBackend,
      source: current.source,
      corpus: { count: manifest.count, corpusHash: manifest.corpusHash, createdBy: manifest.createdBy, createdAt: manifest.createdAt },
      dims: manifest.model.dims,
      indexDims: manifest.indexDims,
      counters: { ...this.counters },
      loadTimings: current.loadTimings,
      notice: current.notice,
    };
  }
}

/**
 * transformers.js and onnxruntime-web are most of the worker's code (~0.6 MB): a separate chunk, so the
 * worker starts, and opens a stored index, without parsing them first.
 */
function loadEmbedModule() {
  return import('../src/core/embed');
}

function embedderOptions(settings: EngineSettings, backend: QueryBackend): EmbedderOptions {
  return {
    modelId: settings.modelId,
    dtype: settings.dtype,
    // A path, not a URL: transformers.js joins it with the model id itself.
    localModelPath: `${BASE_PATH}models/`,
    backend,
    wasmPaths: `${SITE_ROOT}ort/`,
    numThreads: settings.numThreads,
  };
}

const waiting: LoadStep = { message: 'Waiting…', done: false };
const kept: LoadStep = { message: 'Unchanged', done: true };

function resolveSettings(partial: Partial<EngineSettings>): EngineSettings {
  const spec = getModel(partial.modelId ?? DEFAULT_MODEL_ID);
  const numThreads = partial.numThreads ?? 1;
  if (!Number.isInteger(numThreads) || numThreads < 1 || numThreads > 16) {
    throw new PapersiftError('invalid-option', `numThreads must be a whole number from 1 to 16; got ${numThreads}`);
  }
  if (partial.backend !== undefined && partial.backend !== 'wasm' && partial.backend !== 'webgpu') {
    throw new PapersiftError('invalid-option', `backend must be wasm or webgpu; got ${String(partial.backend)}`);
  }
  return {
    modelId: spec.id,
    dtype: resolveDtype(spec, partial.dtype),
    backend: partial.backend ?? 'wasm',
    // Threads need cross-origin isolation; without it (static hosts without headers) run one.
    numThreads: self.crossOriginIsolated ? numThreads : 1,
  };
}

function sameSettings(a: EngineSettings, b: EngineSettings): boolean {
  return a.modelId === b.modelId && a.dtype === b.dtype && a.backend === b.backend && a.numThreads === b.numThreads;
}

/** `navigator.gpu` exists in more browsers than can run it; only an adapter says WebGPU works. */
async function hasWebGpuAdapter(): Promise<boolean> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return false;
  try {
    return (await gpu.requestAdapter()) !== null;
  } catch {
    return false;
  }
}

/** Counts every document the embedder sees, so a test can prove a visit embedded no corpus. */
function countDocuments(embedder: Embedder, counters: EngineCounters): Embedder {
  return {
    get model() {
      return embedder.model;
    },
    get dtype() {
      return embedder.dtype;
    },
    get backend() {
      return embedder.backend;
    },
    embedQuery: (text) => embedder.embedQuery(text),
    embedDocuments: (texts, options) => {
      counters.documentsEmbedded += texts.length;
      return embedder.embedDocuments(texts, options);
    },
    dispose: () => embedder.dispose(),
  };
}
