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
import { describeError, isPapersiftError, PapersiftError } from '../src/core/errors';
import { DEFAULT_MODEL_ID, getModel, resolveDtype, type Dtype } from '../src/core/models';
import { checkQueryText, DEFAULT_MODE, EXACT_SEARCH_BELOW, MAX_QUERY_CHARS, SearchEngine, type SearchOptions, type SearchResult } from '../src/core/search';
import type {
  BackendChoice,
  EmbedParams,
  EmbedReply,
  ExportReply,
  ImportCollectionParams,
  ImportParams,
  ImportReply,
  MapReply,
  RelatedParams,
  RemoveReply,
  EngineCounters,
  EngineInfo,
  EngineSettings,
  EngineStatus,
  LoadStep,
  QueryBackend,
  RankedPreview,
  SearchParams,
  SearchReply,
  SimilarParams,
} from '../src/protocol';
import { ArtifactStore } from '../src/store/artifact-store';
import { keepsAnyFile, type ChunkStats } from '../src/store/chunk-store';
import { chooseBackend, isSoftwareAdapter, WEBGPU_DTYPE, type AdapterFacts, type BackendDecision } from './backend-choice';
import { pastedPaper } from '../src/core/pasted-paper';
import type { Paper } from '../src/core/types';
import { CollectionHost, type CollectionTarget, type ProgressSink } from './collection-host';
import { loadArtifacts, type LoadedArtifacts } from './artifact-loader';
import type { Format3Engine, RankedHits } from '../src/core/format3/engine';
import type { Format3Site } from './format3-site';
import { fetchCachedModelFile, modelFilesKept } from '../src/store/model-cache';
import { warmUpCompiledCode } from './code-warm-up';
import { QueryVectors } from './query-vectors';

/** The site's root URL path ('/' or a sub-path such as '/papersift/'), as Vite was told at build time. */
const BASE_PATH = import.meta.env.BASE_URL;
/** Set by vite.config.ts: 'index-first' (the default, see reconfigure) or 'parallel' (a variant bench/browser.ts measures). */
declare const __PAPERSIFT_LOAD_ORDER__: string;
const LOAD_ORDER = typeof __PAPERSIFT_LOAD_ORDER__ === 'string' ? __PAPERSIFT_LOAD_ORDER__ : 'index-first';
/** Set by vite.config.ts from PAPERSIFT_BUILD_ID: a deploy warms up its compiled code once (see warmUp). */
declare const __PAPERSIFT_BUILD_ID__: string;
const BUILD_ID = typeof __PAPERSIFT_BUILD_ID__ === 'string' ? __PAPERSIFT_BUILD_ID__ : 'local';
/** onnxruntime-web needs a full URL for its wasm (a bare path breaks under Vite dev). */
const SITE_ROOT = new URL(BASE_PATH, self.location.origin).href;

interface Current {
  /** What runs: `dtype` is the active weights, and so the artifacts' dtype (fp32 on WebGPU). */
  settings: EngineSettings;
  /** What the user asked for (EngineInfo.settings); `dtype` there is the weights WASM would run. */
  asked: EngineSettings;
  /** The backend and weights chosen for `asked` (workers/backend-choice.ts). */
  decision: BackendDecision;
  /** Format 2 (the whole set in memory) or format 3 (files fetched as queries need them). */
  engine: SearchEngine | Format3Engine;
  /** Set for a format-3 set: its manifest and chunk store. */
  format3?: Format3Site;
  /** Undefined until the model has loaded: searches are keyword-only until then. */
  embedder?: Embedder;
  /** decision.backend, unless WebGPU failed to start and the same weights run on WASM. */
  activeBackend: QueryBackend;
  backendReason: string;
  source: LoadedArtifacts['source'];
  /** Format 2: whether the set is stored for the next visit. */
  indexKept?: boolean;
  notice?: string;
  loadTimings: EngineInfo['loadTimings'];
}

interface LoadedEmbedder {
  embedder: Embedder;
  backend: QueryBackend;
  reason: string;
}

type Waiter = { resolve: (current: Current) => void; reject: (reason: unknown) => void };

export class EngineHost {
  private current?: Current;
  private readonly counters: EngineCounters = { documentsEmbedded: 0, queriesEmbedded: 0, artifactFilesFetched: 0 };
  /** The two halves of start-up, reported together so neither hides the other. */
  private steps: { model: LoadStep; index: LoadStep } = { model: waiting, index: waiting };
  private readonly sideEmbedders = new Map<string, Promise<Embedder>>();
  /** Model files a HEAD request found on the server (see servesFile). */
  private readonly servedFiles = new Set<string>();
  private readonly collection = new CollectionHost(() => (this.current ? this.target(this.current) : undefined));
  /** configure() calls, one after another. */
  private configuring: Promise<unknown> = Promise.resolve();
  /** configure() calls not yet settled: while any is, commands wait for an engine instead of failing. */
  private loading = 0;
  /** Commands that arrived before the first engine opened. */
  private engineWaiters: Waiter[] = [];
  /** Recent query vectors by model, weights and text: back/forward and mode or dims switches re-use them. */
  private readonly queryVectors = new QueryVectors(64);
  /** The model failed to load for the current settings: searches are keyword searches, and say so. */
  private modelFailed = false;
  /** When each part of start-up ended (epoch ms, comparable with the page's clock), for bench/browser.ts. */
  private readonly phases: Record<string, number> = { workerStart: performance.timeOrigin, workerScriptRun: performance.timeOrigin + performance.now() };
  /**
   * Searches begun and not yet answered. On a first visit the model can be ready before the first keyword
   * answer has gone out (a big format-3 set, an idle machine): the vector side then opens after that answer,
   * not beside it, so the answer neither shares the network and the thread with it nor arrives after 'ready'.
   */
  private readonly searchesRunning = new Set<Promise<void>>();
  /** Texts of the searches waiting for the first engine to open. */
  private readonly waitingQueries = new Set<string>();
  /** Why a format-3 set's files are not being kept for offline use (quota, private mode), once storing failed. */
  private storageProblem?: string;

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
    // Counted now, not when the chain reaches it: a search sent right after init must wait, not fail.
    this.loading++;
    const run = this.configuring
      .then(() => this.reconfigure(partial))
      .finally(() => {
        this.loading--;
        // Settings refused before loading began leave nothing to wait for.
        if (this.loading === 0 && !this.current) this.settleWaiters(new PapersiftError('model-load', 'The search engine could not start'));
      });
    this.configuring = run.catch(() => {});
    return run;
  }

  /** `onRanked`: the hits in order before their text, when the set's engine can send them (RankedPreview). */
  search(params: SearchParams, queueMs: number, onRanked?: (ranked: RankedPreview) => void): Promise<SearchReply> {
    // The text read ahead after the last answer yields to this search before its query is embedded.
    this.current?.format3?.engine.stopReadAhead();
    const answer = this.answerSearch(params, queueMs, onRanked);
    const settled = answer.then(
      () => {},
      () => {},
    );
    this.searchesRunning.add(settled);
    void settled.then(() => this.searchesRunning.delete(settled));
    return answer;
  }

  private async answerSearch(params: SearchParams, queueMs: number, onRanked?: (ranked: RankedPreview) => void): Promise<SearchReply> {
    let current: Current;
    if (this.current) current = this.current;
    else {
      const waiting = params.text.slice(0, MAX_QUERY_CHARS);
      this.waitingQueries.add(waiting);
      try {
        current = await this.whenEngine();
      } finally {
        this.waitingQueries.delete(waiting);
      }
    }
    this.phase('firstSearchStarted');
    const text = checkQueryText(params.text);
    const wanted = params.mode ?? DEFAULT_MODE;
    const t0 = performance.now();
    let embedding: Float32Array | null = null;
    let vectorFrom: SearchReply['vectorFrom'];
    if (wanted !== 'lexical' && current.embedder) {
      const key = queryKey(current.settings, text);
      const kept = this.queryVectors.get(key);
      if (kept) {
        embedding = kept.vector;
        vectorFrom = kept.from === 'prefetch' ? 'prefetched' : 'recent';
      } else {
        embedding = await current.embedder.embedQuery(text);
        this.phase('firstQueryEmbedded');
        this.queryVectors.set(key, embedding);
        this.counters.queriesEmbedded++;
        vectorFrom = 'embedded';
      }
    }
    const t1 = performance.now();
    const before = current.format3 && structuredClone(current.format3.store.stats);
    const options = { ...rankingOptions(params), mode: wanted };
    let rankedMs: number | undefined;
    const sendRanked = (ranked: RankedHits) => {
      rankedMs = performance.now() - t1;
      onRanked?.({ mode: ranked.mode, hits: ranked.hits.map(({ row: _, ...hit }) => hit), rankedMs });
    };
    const result = await (current.format3 && onRanked
      ? current.format3.engine.searchText(text, embedding, options, sendRanked)
      : current.engine.searchText(text, embedding, options));
    const t2 = performance.now();
    this.phase('firstSearchDone');
    const reads = before && readsSince(before, current.format3!.store.stats);
    // After the first keyword answer, the vector side opens for the hybrid one (a failure shows on that search).
    current.format3?.vectors.open().catch(() => {});
    // After a failed model load nothing follows: the keyword answer is the answer.
    const modelPending = wanted !== 'lexical' && !current.embedder && !this.modelFailed;
    // Once this reply is posted (a timer runs after it), the text a refined query most likely needs is read in idle
    // time; not after a keyword answer that the hybrid one replaces in a moment.
    if (current.format3 && !modelPending) {
      const engine = current.format3.engine;
      setTimeout(() => void engine.readAhead(), 0);
    }
    return {
      ...this.reply(result, { queueMs, embedMs: t1 - t0, searchMs: t2 - t1, ...(rankedMs !== undefined ? { rankedMs } : {}), ...(reads ? { reads } : {}) }),
      modelPending,
      truncated: params.text.trim().length > MAX_QUERY_CHARS,
      ...(vectorFrom ? { vectorFrom } : {}),
    };
  }

  /**
   * A query's vector made ahead of its search, while the visitor types (workers/query-prefetch.ts runs this as a
   * low-priority job): kept in the recent-vector cache, where the search finds it. Nothing is searched or shown.
   */
  async prefetchQuery(text: string): Promise<'embedded' | 'cached' | 'no-model'> {
    const current = this.current;
    if (!current?.embedder) return 'no-model';
    const clean = checkQueryText(text);
    const key = queryKey(current.settings, clean);
    if (this.queryVectors.has(key)) return 'cached';
    const vector = await current.embedder.embedQuery(clean);
    this.queryVectors.setAhead(key, vector);
    this.counters.queriesEmbedded++;
    return 'embedded';
  }

  async similar(params: SimilarParams, queueMs: number): Promise<SearchReply> {
    const { engine } = await this.whenEngine();
    const t0 = performance.now();
    const source = await engine.paper(params.paperId);
    const result = await engine.similar(source.id, rankingOptions(params));
    return { ...this.reply(result, { queueMs, embedMs: 0, searchMs: performance.now() - t0 }), modelPending: false, truncated: false, source };
  }

  async related(params: RelatedParams, queueMs: number): Promise<SearchReply> {
    const current = await this.whenEngine();
    const pasted = pastedPaper(params.text);
    const wanted = params.mode ?? DEFAULT_MODE;
    const { engine } = current;
    if (!current.embedder && wanted !== 'lexical') throw new PapersiftError('model-load', 'The model is still loading; related papers need it');
    const t0 = performance.now();
    // A paper's text, embedded as the corpus's papers were: document, not query.
    const embedding = current.embedder ? (await current.embedder.embedDocuments([pasted.text])).slice() : new Float32Array(engine.dims);
    const t1 = performance.now();
    const result = await engine.related(pasted, embedding, { ...rankingOptions(params), mode: wanted });
    const source: Paper = { id: '', title: pasted.title, abstract: pasted.abstract, authors: null, date: null, sources: [] };
    return { ...this.reply(result, { queueMs, embedMs: t1 - t0, searchMs: performance.now() - t1 }), modelPending: false, truncated: pasted.truncated, source };
  }

  async importPapers(params: ImportParams, onProgress: ProgressSink): Promise<ImportReply> {
    const current = await this.whenModel('Importing papers');
    return this.collection.importText(this.target(current), current.embedder, params, onProgress);
  }

  async importCollection(params: ImportCollectionParams, onProgress: ProgressSink): Promise<ImportReply> {
    const current = await this.whenEngine();
    return this.collection.importFile(this.target(current), current.embedder, params, onProgress);
  }

  async removePapers(ids: string[]): Promise<RemoveReply> {
    return this.collection.remove(this.target(await this.whenEngine()), ids);
  }

  async listImported(): Promise<{ papers: Paper[] }> {
    return { papers: this.target(await this.whenEngine()).engine.importedPapers() };
  }

  async exportCollection(): Promise<ExportReply> {
    const { bytes, count } = this.collection.exportFile(this.target(await this.whenEngine()));
    return { bytes, count, fileName: `papersift-collection-${new Date().toISOString().slice(0, 10)}.pscoll` };
  }

  async map(onProgress: ProgressSink): Promise<MapReply> {
    const current = await this.whenEngine();
    const { format3 } = current;
    const target = this.target(current);
    if (!format3) return this.collection.mapOf(target, onProgress);
    // A format-3 set is drawn from a sample whose papers are fetched only now, when the map is opened.
    const key = `${target.expected.model.id}/${target.expected.dtype}/${format3.manifest.corpusHash}`;
    return this.collection.mapOf(target, onProgress, () =>
      format3.mapSource(key, (done, total) => onProgress({ message: `Reading a sample of the collection for the map: ${done} of ${total} papers`, done, total })),
    );
  }

  /** Fetches every file of a format-3 collection not kept yet, reporting bytes; format 2 is kept whole already. */
  async makeAvailableOffline(onProgress: ProgressSink): Promise<{ files: number; bytes: number }> {
    const { format3 } = await this.whenEngine();
    if (!format3) throw new PapersiftError('unavailable', 'This collection is kept whole on this device on every visit: it is available offline already.');
    const done = await format3.store.makeAllAvailableOffline(format3.files(), (p) =>
      onProgress({ message: `Keeping the collection on this device: ${p.files} of ${p.totalFiles} files`, done: p.bytes, total: p.totalBytes }),
    );
    return { files: done.files, bytes: done.bytes };
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
    const asked = resolveSettings({ ...current?.asked, ...partial });
    const decision = await this.decideBackend(asked);
    // The index follows the weights that run: choosing WebGPU (fp32) over a q8 index re-embeds the corpus.
    const settings: EngineSettings = { ...asked, dtype: decision.dtype };
    const sameDecision = current !== undefined && current.decision.backend === decision.backend && current.decision.dtype === decision.dtype;
    if (current?.embedder && sameDecision && sameSettings(current.asked, asked)) return this.info(current);
    const sameVectors = current !== undefined && current.settings.modelId === settings.modelId && current.settings.dtype === settings.dtype;
    // A new WASM dtype asked for while WebGPU runs fp32 changes nothing that runs.
    const sameModel = sameVectors && sameDecision && current.embedder !== undefined && current.settings.numThreads === settings.numThreads;
    this.steps = { model: sameModel ? kept : waiting, index: sameVectors ? kept : waiting };
    this.modelFailed = false;
    this.phase('initReceived');
    const started = performance.now();
    const loadTimings = { indexMs: 0, modelMs: 0 };
    try {
      let loadingModel: Promise<LoadedEmbedder> | undefined;
      const model = () =>
        (loadingModel ??= sameModel
          ? Promise.resolve({ embedder: current.embedder!, backend: current.activeBackend, reason: current.backendReason })
          : this.loadEmbedder(settings, decision).then((loaded) => ((loadTimings.modelMs = performance.now() - started), loaded)));
      // A download is network-bound, so the model loads beside it. A stored index opens in well under a
      // second, but not while the model's wasm compiles on this same thread: it opens first, and keyword
      // search works that much sooner. A rebuild of the index asks for the model itself.
      if (sameVectors || LOAD_ORDER === 'parallel' || !(await this.hasStoredIndex(settings))) model().catch(() => {}); // awaited below
      const index = sameVectors
        ? { engine: current.engine, format3: current.format3, source: current.source, indexKept: current.indexKept, notice: current.notice }
        : await this.loadEngine(settings, async () => (await model()).embedder);
      if (!sameVectors) loadTimings.indexMs = performance.now() - started;
      if (!this.current) {
        // First load: keyword search can start now.
        this.current = { settings, asked, decision, ...index, activeBackend: decision.backend, backendReason: decision.reason, loadTimings };
        this.phase('keywordReady');
        this.settleWaiters();
      }
      // A format-3 set opened from IndexedDB answers its first keyword search with a few more reads (postings,
      // text shards): the model, whose start (scripts to compile, a session to create on this thread) held those
      // reads back by up to seconds, starts once they are done, or after KEYWORD_FIRST_MS at most.
      if (!loadingModel && index.format3 && !this.current.embedder) await settledWithin([...this.searchesRunning], KEYWORD_FIRST_MS);
      const { embedder, backend, reason } = await model();
      // With the model ready a hybrid search can run: have a format-3 set's vector side open for it, once the
      // keyword answers asked for meanwhile have gone out (each search opens it too, right after answering).
      if (this.current.format3 && !this.current.embedder) await Promise.all([...this.searchesRunning]);
      await this.current.format3?.vectors.open().catch(() => {});
      const replaced = this.current.embedder;
      this.current = { settings, asked, decision, ...index, embedder, activeBackend: backend, backendReason: reason, loadTimings };
      if (replaced && replaced !== embedder) this.afterRunningJobs(() => replaced.dispose());
      this.phase('modelReady');
      const info = this.info(this.current);
      this.emit({ phase: 'ready', info });
      if (backend === 'wasm' && embedder !== replaced) this.warmUp(embedder);
      return info;
    } catch (e) {
      this.settleWaiters(e);
      // A failed change keeps what works; a failed first load is an error state (keyword search may still work).
      if (current?.embedder) this.emit({ phase: 'ready', info: this.info(current) });
      else {
        this.modelFailed = this.current !== undefined;
        this.emit({
          phase: 'error',
          error: { code: e instanceof PapersiftError ? e.code : 'internal', message: describeError(e) },
          keywordSearch: this.current !== undefined,
        });
      }
      throw e;
    }
  }

  /** A format-2 set stored whole, or files of a format-3 set kept: the index opens from IndexedDB. */
  private async hasStoredIndex(settings: EngineSettings): Promise<boolean> {
    // IndexedDB unavailable (some private modes): there is nothing stored to open first.
    const [origin, chunks] = await Promise.all([
      new ArtifactStore(settings.modelId, settings.dtype).origin().catch(() => undefined),
      keepsAnyFile().catch(() => false),
    ]);
    return origin !== undefined || chunks;
  }

  /** What the collection host changes: the format-2 engine, or the user's papers beside a format-3 set. */
  private target(current: Current): CollectionTarget {
    return { engine: current.format3?.yours ?? (current.engine as SearchEngine), expected: { model: getModel(current.settings.modelId), dtype: current.settings.dtype } };
  }

  /** The engine with its model, for work that embeds; refused while the model loads. */
  private async whenModel(what: string): Promise<Current & { embedder: Embedder }> {
    const current = await this.whenEngine();
    if (!current.embedder) throw new PapersiftError('model-load', `${what} needs the model, which is still loading; try again in a moment`);
    return current as Current & { embedder: Embedder };
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
      onStorageProblem: (problem) => (this.storageProblem = problem.message),
      onPhase: (name) => this.phase(name),
      // The model waits for a stored index (hasStoredIndex); a download is network-bound, and it loads beside it.
      onDownload: () => void embedder().catch(() => {}),
      waitingQueries: () => this.waitingQueries,
    });
    if ('format3' in loaded) {
      const { format3 } = loaded;
      const restored = await this.restoreYourPapers({ engine: format3.yours, expected: { model: spec, dtype: settings.dtype } }, embedder);
      this.phase('yourPapersRestored');
      this.step('index', { message: `Ready: ${format3.engine.count} papers; keyword search works already`, done: true });
      return { engine: format3.engine, format3, source: loaded.source, notice: [loaded.notice, restored].filter(Boolean).join(' ') || undefined };
    }
    this.step('index', { message: 'Opening the search index…', done: false });
    // Below EXACT_SEARCH_BELOW papers the engine compares all vectors and never asks its HNSW graphs;
    // leaving them out skips loading hnswlib and its IndexedDB file sync, the slowest part of opening.
    const { artifacts } = loaded;
    const engine = await SearchEngine.open(artifacts.papers.length < EXACT_SEARCH_BELOW ? { ...artifacts, hnsw: new Map() } : artifacts);
    this.phase('engineOpened');
    const restored = await this.restoreYourPapers({ engine, expected: { model: spec, dtype: settings.dtype } }, embedder);
    this.phase('yourPapersRestored');
    this.step('index', { message: `Ready: ${engine.papers.length} papers; keyword search works already`, done: true });
    const notice = [loaded.notice, restored].filter(Boolean).join(' ') || undefined;
    return { engine, source: loaded.source, indexKept: loaded.kept, notice };
  }

  /** Puts the user's stored papers into a freshly opened engine (either format); a notice when they had to be embedded again or set aside. */
  private restoreYourPapers(target: CollectionTarget, embedder: () => Promise<Embedder>): Promise<string | undefined> {
    this.step('index', { message: 'Adding your papers…', done: false });
    return this.collection.restore(target, embedder, (p) =>
      this.emit({ phase: 'indexing', stage: 'embed', message: p.message, done: p.done, total: p.total, rate: p.rate ?? 0, etaSeconds: p.etaSeconds ?? Number.POSITIVE_INFINITY }),
    );
  }

  private async loadEmbedder(settings: EngineSettings, decision: BackendDecision): Promise<LoadedEmbedder> {
    const spec = getModel(settings.modelId);
    const weights = spec.weights[settings.dtype];
    const { createEmbedder } = await loadEmbedModule();
    this.phase('embedModuleImported');
    const loadOnce = async (backend: QueryBackend) => {
      const what = `${spec.id} (${settings.dtype}${weights ? `, ${Math.round(weights.bytes / 1e6)} MB` : ''}, ${backend === 'webgpu' ? 'WebGPU' : 'WASM'})`;
      this.step('model', { message: `Loading ${what}…`, done: false });
      // Bytes per model file. Servers that compress send no length, so the registry's sizes set the total.
      const expected = [...spec.commonFiles, ...(weights ? [weights] : [])].reduce((n, file) => n + file.bytes, 0);
      const loadedByFile = new Map<string, number>();
      let progressShownAt = -Infinity;
      const embedder = await createEmbedder({
        ...embedderOptions(settings, backend),
        onPhase: (name) => this.phase(name),
        onLoadProgress: ({ file, loaded, total }) => {
          loadedByFile.set(file, loaded);
          // A status per chunk read (hundreds for the weights) re-rendered the page as often: a few a second show the progress.
          const now = performance.now();
          if (loaded < total && now - progressShownAt < PROGRESS_EVERY_MS) return;
          progressShownAt = now;
          const loadedBytes = [...loadedByFile.values()].reduce((n, bytes) => n + bytes, 0);
          this.step('model', { message: `Loading ${what}…`, done: false, loaded: loadedBytes, total: Math.max(expected, loadedBytes) });
        },
      });
      this.step('model', { message: `Loaded ${what}`, done: true });
      return countDocuments(embedder, this.counters);
    };
    // The weights' download retries on its own (src/store/model-cache.ts); this covers the rest (tokenizer files,
    // session start). Missing files stay missing.
    const load = async (backend: QueryBackend) => {
      try {
        return await loadOnce(backend);
      } catch (e) {
        if (isPapersiftError(e) && (e.details.missing as unknown[] | undefined)?.length) throw e;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return loadOnce(backend);
      }
    };
    if (decision.backend === 'wasm') return { embedder: await load('wasm'), backend: 'wasm', reason: decision.reason };
    try {
      return { embedder: await load('webgpu'), backend: 'webgpu', reason: decision.reason };
    } catch (e) {
      // An adapter is no promise that a session starts (lost device, missing feature). The same weights on
      // WASM give the same vectors, so the index being built or opened for them stays right.
      if (isPapersiftError(e) && (e.details.missing as unknown[] | undefined)?.length) throw e; // no weights: WASM has none either
      const reason = `WebGPU could not start the model (${describeError(e)}), so the ${settings.dtype} weights run on WASM.`;
      return { embedder: await load('wasm'), backend: 'wasm', reason };
    }
  }

  /** The backend and weights for these settings; probes the adapter and the fp32 weights only when WebGPU is wanted. */
  private async decideBackend(asked: EngineSettings): Promise<BackendDecision> {
    const spec = getModel(asked.modelId);
    const adapter = asked.backend === 'wasm' ? { found: false } : await webGpuAdapter();
    const gpuWeights = spec.weights[WEBGPU_DTYPE];
    // No request when the answer cannot change the choice (auto never takes a software adapter).
    const worthAsking = adapter.found && (asked.backend === 'webgpu' || !isSoftwareAdapter(adapter));
    const webgpuWeights = worthAsking && gpuWeights !== undefined && (await this.servesFile(`${SITE_ROOT}models/${spec.id}/${gpuWeights.path}`));
    return chooseBackend({ choice: asked.backend, wasmDtype: asked.dtype, adapter, webgpuWeights });
  }

  /**
   * Whether the site serves a file now, without downloading it. The service worker precaches only the default
   * weights, so offline the fp32 ones are missing and WebGPU is not chosen. Only a yes is remembered.
   */
  private async servesFile(url: string): Promise<boolean> {
    if (this.servedFiles.has(url)) return true;
    try {
      const response = await fetch(url, { method: 'HEAD', cache: 'no-cache' });
      // Dev servers answer a missing file with index.html.
      const served = response.ok && !(response.headers.get('content-type') ?? '').includes('text/html');
      if (served) this.servedFiles.add(url);
      return served;
    } catch {
      return false; // offline
    }
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

  /** Lets V8 keep onnxruntime-web's compiled code for the next visit (see workers/code-warm-up.ts). */
  private warmUp(embedder: Embedder): void {
    void warmUpCompiledCode({
      embedder,
      afterRunningJobs: this.afterRunningJobs,
      key: `${SITE_ROOT}ort/ort-wasm-simd-threaded.wasm?v8-code-warmed-up=${encodeURIComponent(BUILD_ID)}`,
      onDone: () => this.phase('codeWarmedUp'),
    }).catch(() => {});
  }

  private step(which: 'model' | 'index', step: LoadStep): void {
    this.steps = { ...this.steps, [which]: step };
    this.emit({ phase: 'loading', ...this.steps, searchable: this.current !== undefined });
  }

  private reply(result: SearchResult, timings: SearchReply['timings']): Omit<SearchReply, 'modelPending' | 'truncated'> {
    return {
      mode: result.mode,
      hits: result.hits.map((hit) => ({ paper: hit.paper, score: hit.score, terms: hit.terms, relevance: hit.relevance, author: hit.author })),
      noCloseMatch: result.noCloseMatch ?? false,
      hasAuthors: this.current?.engine.hasAuthors ?? false,
      ...(result.keywordMatches ? { keywordMatches: result.keywordMatches } : {}),
      ...(result.correctedQuery ? { correctedQuery: result.correctedQuery } : {}),
      ...(result.authorMatches ? { authorMatches: result.authorMatches } : {}),
      dims: result.dims,
      adaptive: result.adaptive,
      sort: result.sort,
      ...(result.matching !== undefined ? { matching: result.matching } : {}),
      timings: result.phases ? { ...timings, phases: result.phases } : timings,
      counters: this.countersNow(),
    };
  }

  /** The counters, with the format-3 chunk store's network and storage reads when there is one. */
  private countersNow(): EngineCounters {
    const format3 = this.current?.format3;
    return { ...this.counters, ...(format3 ? { format3Files: structuredClone(format3.store.stats), format3TitlesHeld: format3.engine.titlesHeld } : {}) };
  }

  private info(current: Current): EngineInfo {
    const { engine } = current;
    const manifest = current.format3?.manifest ?? (engine as SearchEngine).manifest;
    const notice = [current.notice, this.storageProblem].filter(Boolean).join(' ') || undefined;
    return {
      settings: current.asked,
      activeBackend: current.activeBackend,
      activeDtype: current.settings.dtype,
      backendReason: current.backendReason,
      source: current.source,
      ...(current.indexKept === undefined ? {} : { indexKept: current.indexKept }),
      ...(current.embedder ? { modelKept: modelFilesKept() } : {}),
      corpus: {
        count: manifest.count,
        corpusHash: manifest.corpusHash,
        createdBy: manifest.createdBy,
        createdAt: manifest.createdAt,
        ...(manifest.collection?.name ? { name: manifest.collection.name } : {}),
      },
      facets: engine.facets(),
      dims: manifest.model.dims,
      indexDims: engine instanceof SearchEngine ? engine.manifest.indexDims : engine.dimsChoices,
      counters: this.countersNow(),
      loadTimings: current.loadTimings,
      notice,
      imported: this.target(current).engine.importedPapers().length,
      ...(current.format3 ? { wholeCollection: { ...current.format3.size, kept: current.format3.kept() } } : {}),
      loadPhases: { ...this.phases },
    };
  }

  /** The first time a part of start-up ends; later loads (settings changes) do not move it. */
  private phase(name: string): void {
    this.phases[name] ??= performance.timeOrigin + performance.now();
  }
}

/**
 * How long a repeat visit's model waits for the keyword answers asked for before it starts (see reconfigure): the
 * keyword answer of a 100k-paper set from IndexedDB takes ~0.1 s on an idle machine.
 */
const KEYWORD_FIRST_MS = 1500;

/** Resolves when every promise has settled, or after `ms`, whichever comes first. */
function settledWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    Promise.allSettled(promises).then(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]).finally(() => clearTimeout(timer));
}

/** The recent-vector cache's key: the same text under another model or weights is another vector. */
function queryKey(settings: EngineSettings, text: string): string {
  return `${settings.modelId}/${settings.dtype}\n${text}`;
}

/**
 * transformers.js and onnxruntime-web are most of the worker's code (~0.6 MB): a separate chunk, so the
 * worker starts, and opens a stored index, without parsing them first.
 */
function loadEmbedModule() {
  return import('../src/core/embed');
}

/** What a search, similar or related request asks of the ranking, as the engine takes it. */
function rankingOptions(params: SearchParams | SimilarParams | RelatedParams): SearchOptions {
  const { mode, k, dims, adaptive, filter, sort } = params;
  return { mode, k, dims, adaptive, filter, sort };
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
    fetchModelFile: fetchCachedModelFile,
  };
}

/** How often a model download's progress reaches the page, at most. */
const PROGRESS_EVERY_MS = 100;

const waiting: LoadStep = { message: 'Waiting…', done: false };
const kept: LoadStep = { message: 'Unchanged', done: true };

function resolveSettings(partial: Partial<EngineSettings>): EngineSettings {
  const spec = getModel(partial.modelId ?? DEFAULT_MODEL_ID);
  const numThreads = partial.numThreads ?? 1;
  if (!Number.isInteger(numThreads) || numThreads < 1 || numThreads > 16) {
    throw new PapersiftError('invalid-option', `numThreads must be a whole number from 1 to 16; got ${numThreads}`);
  }
  if (partial.backend !== undefined && !BACKEND_CHOICES.includes(partial.backend)) {
    throw new PapersiftError('invalid-option', `backend must be ${BACKEND_CHOICES.join(', ')}; got ${String(partial.backend)}`);
  }
  return {
    modelId: spec.id,
    dtype: resolveDtype(spec, partial.dtype),
    backend: partial.backend ?? 'auto',
    // Threads need cross-origin isolation; without it (static hosts without headers) run one.
    numThreads: self.crossOriginIsolated ? numThreads : 1,
  };
}

function sameSettings(a: EngineSettings, b: EngineSettings): boolean {
  return a.modelId === b.modelId && a.dtype === b.dtype && a.backend === b.backend && a.numThreads === b.numThreads;
}

const BACKEND_CHOICES: BackendChoice[] = ['auto', 'wasm', 'webgpu'];

/** The part of WebGPU's API read here (TypeScript's DOM lib has no WebGPU types). */
interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
}

let adapterProbe: Promise<AdapterFacts> | undefined;

/**
 * `navigator.gpu` exists in more browsers than can run it; only an adapter says WebGPU works. Asked once per
 * worker; a browser that never answers counts as none.
 */
function webGpuAdapter(): Promise<AdapterFacts> {
  adapterProbe ??= (async (): Promise<AdapterFacts> => {
    const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
    if (!gpu) return { found: false };
    const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000));
    const adapter = await Promise.race([gpu.requestAdapter().catch(() => null), timeout]);
    if (!adapter) return { found: false };
    const info = adapter.info ?? {};
    return {
      found: true,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
    };
  })();
  return adapterProbe;
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

/** What the chunk store read between two snapshots of its stats (one search's files). */
function readsSince(before: ChunkStats, after: ChunkStats): NonNullable<SearchReply['timings']['reads']> {
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    network: after.network.files - before.network.files,
    stored: after.stored.files - before.stored.files,
    storageGetMs: round(after.ms.storageGet - before.ms.storageGet),
    fetchMs: round(after.ms.fetch - before.ms.fetch),
    hashMs: round(after.ms.hash - before.ms.hash),
  };
}
