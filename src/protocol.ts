/**
 * The one message contract between the page and the engine worker.
 *
 * Page → worker: `{command, payload, requestId}`. Worker → page: a reply to exactly one request
 * (`{requestId, ok: true, result}` or `{requestId, ok: false, error}`) or an unsolicited status event
 * (`{event: 'status', status}`). Both sides import these types, so a renamed field is a compile error.
 */
import type { Backend } from './core/embed/types';
import type { ErrorCode } from './core/errors';
import type { ImportFormat } from './core/import/parse-import-file';
import type { Dtype } from './core/models';
import type { Facets, PaperFilter, SortOrder } from './core/filter';
import type { SearchMode } from './core/search';
import type { Paper } from './core/types';

export type { Facets, PaperFilter, SearchMode, SortOrder };

/** Where the model runs: queries and any corpus embedding (a rebuild, the user's own papers). */
export type QueryBackend = Extract<Backend, 'wasm' | 'webgpu'>;

/** What the user asks for; 'auto' takes WebGPU only on a hardware GPU (workers/backend-choice.ts). */
export type BackendChoice = 'auto' | QueryBackend;

/** What was asked for. What runs (WebGPU always runs fp32) is in EngineInfo.activeBackend and activeDtype. */
export interface EngineSettings {
  modelId: string;
  /**
   * The weights WASM runs. The artifacts must come from the weights that run, so when the active dtype
   * differs from the shipped index's, the worker re-embeds the corpus (once; the set is kept).
   */
  dtype: Dtype;
  backend: BackendChoice;
  /** onnxruntime-web WASM threads; more than 1 needs cross-origin isolation. */
  numThreads: number;
}

export interface SearchParams {
  text: string;
  /** hybrid (default), semantic or lexical; see src/core/search.ts. */
  mode?: SearchMode;
  k?: number;
  /** Leading rotated dimensions; omitted means full. */
  dims?: number;
  /** Shortlist at `dims`, re-rank at full dims. */
  adaptive?: boolean;
  /** Only papers of these years / this category (src/core/filter.ts). */
  filter?: PaperFilter;
  /** relevance (default) or date: the k most relevant, newest first. */
  sort?: SortOrder;
}

export interface SimilarParams {
  paperId: string;
  mode?: SearchMode;
  k?: number;
  dims?: number;
  adaptive?: boolean;
  filter?: PaperFilter;
  sort?: SortOrder;
}

/** Text pasted to find related papers: embedded as a paper (title line + abstract), not as a query. */
export interface RelatedParams {
  text: string;
  mode?: SearchMode;
  k?: number;
  dims?: number;
  adaptive?: boolean;
  filter?: PaperFilter;
  sort?: SortOrder;
}

export interface ImportParams {
  /** What was pasted (or a file's text); give `bytes` for a file, whose encoding is then detected. */
  text?: string;
  /** A file's bytes: UTF-8 or UTF-16 (with or without a byte-order mark); binary files are refused. */
  bytes?: Uint8Array;
  /** Names the papers' source ("import:<name>:<line>") and picks the format by extension. */
  fileName: string;
  /** Omitted: from the file name, else from the text (see src/core/import/parse-import-file.ts). */
  format?: ImportFormat;
}

export interface ImportCollectionParams {
  /** A collection file as exported (src/core/import/collection-file.ts). */
  bytes: Uint8Array;
  fileName: string;
  /** Embed the file's papers again when it was made with another model or dtype (otherwise refused). */
  reembed?: boolean;
}

export interface ImportReply {
  format: ImportFormat | 'collection';
  added: Paper[];
  /** Papers already held (corpus or an earlier import): not added again. */
  duplicates: { title: string; existingTitle: string; existingImported: boolean }[];
  /**
   * Entries not taken as they stood, with the 1-based line where each starts: errors lost the entry, warnings
   * kept it (a repeat inside the file, an undefined @string).
   */
  problems: { line: number; reason: string; severity: 'error' | 'warning' }[];
  /** Papers the model embedded for this import (0 for a collection file of the same model). */
  embedded: number;
  ms: number;
}

export interface RemoveReply {
  removed: string[];
  refused: { id: string; reason: string }[];
}

export interface ExportReply {
  bytes: Uint8Array;
  fileName: string;
  count: number;
}

/** The 2-D map: one point per live paper, row-aligned arrays. */
export interface MapReply {
  ids: string[];
  titles: string[];
  imported: boolean[];
  /** N × 2, row-major. */
  points: Float32Array;
  /** Whether the layout was reused (kept in this browser, or extended by placing new papers). */
  reused: boolean;
  ms: number;
  /** Set when the map shows a sample of a large (format-3) collection: its papers shown, of how many (the user's papers are all shown, beside). */
  sampled?: { shown: number; of: number };
}

export interface ResultHit {
  paper: Paper;
  /** semantic: cosine at the dims of the final ranking; lexical: BM25; hybrid: fused (comparable within one list). */
  score: number;
  /** Index terms (stemmed, as the lexical analyzer makes them) to highlight; see SearchHit.terms. */
  terms?: string[];
  /** Calibrated probability that the paper is relevant, the same scale in every list (SearchHit.relevance). */
  relevance?: number;
  /** Set when the paper is listed because the query names this author of it. */
  author?: string;
}

/** A typed search's hit before its text is read: what its card shows meanwhile (RankedEvent). */
export interface RankedHit {
  title: string;
  /** Absent when unknown. */
  year?: number;
  categories: string[];
  /** As ResultHit.score. */
  score: number;
}

/**
 * A typed search's hits in their final order, sent before its reply when the worker holds every hit's title but
 * not every hit's text: the page shows them while the text shards are read. The reply follows with the same hits.
 */
export interface RankedPreview {
  mode: SearchMode;
  hits: RankedHit[];
  /** From the search's start (the query embedded) until these were sent: SearchReply.timings.rankedMs. */
  rankedMs: number;
}

export interface SearchReply {
  /** How the results were ranked: lexical while the model is still loading, whatever was asked. */
  mode: SearchMode;
  /** True when a semantic or hybrid search was answered lexically because the model is not loaded yet. */
  modelPending: boolean;
  hits: ResultHit[];
  dims: number;
  adaptive: boolean;
  /** How the hits are ordered. */
  sort: SortOrder;
  /** With a filter: how many papers pass it (the results were drawn from these). */
  matching?: number;
  /** Set for `similar`: the paper the others are similar to; for `related`, the pasted text as a paper (id ''). */
  source?: Paper;
  /** True when the query was longer than the engine accepts and was cut. */
  truncated: boolean;
  /** Even the best result is unlikely to be relevant: the page says "No close matches". */
  noCloseMatch: boolean;
  /** Typed queries: papers containing all the query's words, and at least one (the real count; hits stop at k). */
  keywordMatches?: { all: number; any: number };
  /** Set when no paper had a word of the query: the words searched instead (see SearchResult.correctedQuery). */
  correctedQuery?: string;
  /** Set when the query names authors of the corpus; their papers are listed first. */
  authorMatches?: { names: string[]; papers: number };
  /** Whether any paper lists its authors (otherwise a name can only match words in titles and abstracts). */
  hasAuthors: boolean;
  timings: {
    /** Waiting behind earlier model/index calls in the worker. */
    queueMs: number;
    /** Query embedding (0 for `similar`). */
    embedMs: number;
    searchMs: number;
    /**
     * Set when the hits were sent ahead of their text (RankedPreview): ms from the search's start (the query embedded)
     * until then. searchMs includes the text.
     */
    rankedMs?: number;
    /** A format-3 typed search: searchMs by part (src/core/format3/phases.ts). */
    phases?: Record<string, number>;
    /**
     * A format-3 search: files it read through the chunk store, from the network and from IndexedDB, and the
     * milliseconds summed over them (reads overlap) waiting for IndexedDB, the network, and sha256 checks.
     */
    reads?: { network: number; stored: number; storageGetMs: number; fetchMs: number; hashMs: number };
  };
  /** The worker's counters after this command. */
  counters: EngineCounters;
  /**
   * Where a typed query's vector came from: embedded by this search, prefetched while the visitor typed, or kept from
   * an earlier search (Back, Forward, a mode or dims change). Absent when nothing was embedded (keyword search).
   */
  vectorFrom?: 'embedded' | 'prefetched' | 'recent';
}

/** How the current artifact set reached the worker. */
export type ArtifactSource = 'network' | 'indexeddb' | 'built';

/** Per worker (so per page load): a reload that re-embedded the corpus would show here. */
export interface EngineCounters {
  documentsEmbedded: number;
  queriesEmbedded: number;
  /** Artifact files fetched from the server this session. */
  artifactFilesFetched: number;
  /** A format-3 set's files this session: fetched, read back from storage, and stored ones found damaged (then fetched again). */
  format3Files?: { network: { files: number; bytes: number }; stored: { files: number; bytes: number }; corrupt: number };
  /** A format-3 set's titles are all held: a search shows its ranked titles before its hits' text (RankedPreview). */
  format3TitlesHeld?: boolean;
}

export interface EngineInfo {
  settings: EngineSettings;
  /** The backend actually in use (WebGPU falls back to WASM when no adapter exists). */
  activeBackend: QueryBackend;
  /** The weights actually in use, and so the dtype of the index: fp32 on WebGPU, settings.dtype on WASM. */
  activeDtype: Dtype;
  /** Why this backend runs, in one sentence for the page. */
  backendReason: string;
  source: ArtifactSource;
  /** A format-2 set: whether it is stored for the next visit (false when storing failed: quota, private mode). */
  indexKept?: boolean;
  /** Once the model has loaded: whether its weights are stored for an offline visit (false: storing them failed). */
  modelKept?: boolean;
  /** `name`: what the collection is called (build-index --name); absent for an unnamed one. */
  corpus: { count: number; corpusHash: string; createdBy: string; createdAt: string; name?: string };
  /** Which years and categories the live papers have, with counts: what the filters offer. */
  facets: Facets;
  /** Model dims (full) and the prefix lengths that have an HNSW graph. */
  dims: number;
  indexDims: number[];
  counters: EngineCounters;
  /** Milliseconds from the start of loading until the index was open and until the model was loaded (0: reused). */
  loadTimings: { indexMs: number; modelMs: number };
  /** Something the user should know about how loading went, e.g. a corrupted store that was replaced. */
  notice?: string;
  /** The user's papers in the collection now. */
  imported: number;
  /**
   * A format-3 collection, whose files are fetched as searches need them: the bytes and files of the whole set,
   * what makeAvailableOffline fetches at most, and how much of it this device keeps (when storage can say).
   * Absent for format 2, which is kept whole on every visit.
   */
  wholeCollection?: { files: number; bytes: number; kept?: { files: number; bytes: number } };
  /**
   * When each part of start-up first ended in this worker (epoch ms: performance.timeOrigin + now, comparable with
   * the page's clock): workerStart, initReceived, keywordReady, embedModuleImported, tokenizerLoaded, ortImported,
   * weightsFetched, sessionCreated, modelReady. For bench/browser.ts.
   */
  loadPhases?: Record<string, number>;
}

export interface EmbedParams {
  texts: string[];
  /** 'query' adds the model's query prefix, exactly as a search does. */
  kind: 'query' | 'document';
  /**
   * Other weights than the engine's, e.g. fp32 while the index is q8: a second model is loaded for
   * this alone (and kept for the next call); the engine and its index are untouched.
   */
  dtype?: Dtype;
}

export interface EmbedReply {
  /** One unit vector per text, in input order. */
  vectors: Float32Array[];
  ms: number;
}

/** Every command with what it takes and what it answers. */
export interface Commands {
  /** Loads model and artifacts; answers when search works. Idempotent for equal settings. */
  init: { payload: Partial<EngineSettings>; result: EngineInfo };
  /** Changes model, dtype or backend; reloads what the change needs. */
  setOptions: { payload: Partial<EngineSettings>; result: EngineInfo };
  search: { payload: SearchParams; result: SearchReply };
  similar: { payload: SimilarParams; result: SearchReply };
  /** Debug and test hook: the worker's own embeddings for some texts. */
  embed: { payload: EmbedParams; result: EmbedReply };
  stats: { payload: Record<string, never>; result: EngineInfo };
  /**
   * Embeds a query ahead of its search while the visitor types (kept for the search; nothing is searched): a
   * low-priority job that every other waits before, replaced by a newer prefetch while it has not started.
   */
  prefetch: { payload: { text: string }; result: { outcome: 'embedded' | 'cached' | 'superseded' | 'no-model' } };
  /** Drops a queued request that has not started; a running one finishes and is answered. */
  cancel: { payload: { requestId: number }; result: { cancelled: boolean } };
  /** Deletes every stored artifact set (the next load fetches or rebuilds); the user's papers are kept. */
  clearStore: { payload: Record<string, never>; result: { cleared: true } };
  /** Papers near a pasted title + abstract. */
  related: { payload: RelatedParams; result: SearchReply };
  /** Adds the user's papers from a BibTeX, JSON or pasted text; reports progress events while embedding. */
  importPapers: { payload: ImportParams; result: ImportReply };
  /** Adds the papers of a collection file (embeddings reused when the model matches). */
  importCollection: { payload: ImportCollectionParams; result: ImportReply };
  /** Removes imported papers (stored corpus papers are refused). */
  removePapers: { payload: { ids: string[] }; result: RemoveReply };
  /** The user's papers, in the order they were added. */
  listImported: { payload: Record<string, never>; result: { papers: Paper[] } };
  /** The user's papers and their embeddings as one file. */
  exportCollection: { payload: Record<string, never>; result: ExportReply };
  /** The map of every live paper; computed once (with progress events) and kept. */
  map: { payload: Record<string, never>; result: MapReply };
  /** A format-3 collection: fetches and keeps every file not kept yet (progress events in bytes), so every search works offline. */
  makeAvailableOffline: { payload: Record<string, never>; result: { files: number; bytes: number } };
}

export type Command = keyof Commands;

export type EngineRequest = {
  [C in Command]: { command: C; payload: Commands[C]['payload']; requestId: number };
}[Command];

export type ReplyErrorCode = ErrorCode | 'cancelled' | 'not-ready' | 'internal';

export interface ReplyError {
  code: ReplyErrorCode;
  message: string;
}

export type EngineReply<C extends Command = Command> =
  | { requestId: number; ok: true; result: Commands[C]['result'] }
  | { requestId: number; ok: false; error: ReplyError };

/** One part of start-up: the model, or the search index. */
export interface LoadStep {
  message: string;
  done: boolean;
  /** Bytes so far and in all, when the step can tell. */
  loaded?: number;
  total?: number;
}

export type IndexingStatus = {
  phase: 'indexing';
  stage: 'embed' | 'index';
  message: string;
  done: number;
  total: number;
  /** Items per second so far, and the seconds left at that rate. */
  rate: number;
  etaSeconds: number;
};

export type EngineStatus =
  /** Model and index load side by side; each reports on its own. `searchable`: keyword search works already. */
  | { phase: 'loading'; model: LoadStep; index: LoadStep; searchable: boolean }
  | IndexingStatus
  | { phase: 'ready'; info: EngineInfo }
  /** `keywordSearch`: the index opened and keyword search works; only the model failed. */
  | { phase: 'error'; error: ReplyError; keywordSearch?: boolean };

export interface StatusEvent {
  event: 'status';
  status: EngineStatus;
}

/** How far a long command (import, map) has got; sent before its reply, tagged with its request. */
export interface ProgressEvent {
  event: 'progress';
  requestId: number;
  progress: JobProgress;
}

export interface JobProgress {
  message: string;
  done: number;
  total: number;
  /** Items per second so far and the seconds left at that rate, once known. */
  rate?: number;
  etaSeconds?: number;
}

/** Before a search's reply: its hits in order, without their text yet (RankedPreview). */
export interface RankedEvent {
  event: 'ranked';
  requestId: number;
  ranked: RankedPreview;
}

export type WorkerMessage = EngineReply | StatusEvent | ProgressEvent | RankedEvent;

export function isProgressEvent(message: WorkerMessage): message is ProgressEvent {
  return 'event' in message && message.event === 'progress';
}

export function isRankedEvent(message: WorkerMessage): message is RankedEvent {
  return 'event' in message && message.event === 'ranked';
}

export function isStatusEvent(message: WorkerMessage): message is StatusEvent {
  return 'event' in message && message.event === 'status';
}
