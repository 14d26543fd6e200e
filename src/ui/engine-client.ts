/**
 * The page's side of src/protocol.ts: typed request/reply over the engine worker, status events to
 * listeners, and AbortSignal support (an aborted request is cancelled in the worker if still queued).
 */
import type { Command, Commands, EngineRequest, EngineStatus, JobProgress, RankedPreview, ReplyErrorCode, WorkerMessage } from '../protocol';
import { isProgressEvent, isRankedEvent, isStatusEvent } from '../protocol';

/** A failed command, with the worker's error code so the UI can word it by kind. */
export class EngineError extends Error {
  constructor(
    readonly code: ReplyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  onProgress?: (progress: JobProgress) => void;
  onRanked?: (ranked: RankedPreview) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Progress of a long command (import, map), before its reply. */
  onProgress?: (progress: JobProgress) => void;
  /** A search's hits in order before their text, when the worker sends them ahead of its reply. */
  onRanked?: (ranked: RankedPreview) => void;
}

export class EngineClient {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, Waiting>();
  private readonly listeners = new Set<(status: EngineStatus) => void>();
  private nextId = 1;
  /** The latest status, for listeners that subscribe late. */
  status: EngineStatus = {
    phase: 'loading',
    model: { message: 'Starting the search worker…', done: false },
    index: { message: 'Starting the search worker…', done: false },
    searchable: false,
  };

  constructor() {
    this.worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), { type: 'module', name: 'papersift-engine' });
    this.worker.addEventListener('message', (event: MessageEvent<WorkerMessage>) => this.receive(event.data));
    // A worker that fails to start or throws outside a command leaves every request unanswered.
    this.worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.fail(new EngineError('internal', `The search worker failed: ${event.message || 'it could not start'}`));
    });
  }

  request<C extends Command>(command: C, payload: Commands[C]['payload'], options: AbortSignal | RequestOptions = {}): Promise<Commands[C]['result']> {
    const { signal, onProgress, onRanked } = options instanceof AbortSignal ? { signal: options, onProgress: undefined, onRanked: undefined } : options;
    const requestId = this.nextId++;
    return new Promise<Commands[C]['result']>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      this.waiting.set(requestId, { resolve: resolve as (value: unknown) => void, reject, onProgress, onRanked });
      signal?.addEventListener(
        'abort',
        () => {
          if (!this.waiting.delete(requestId)) return;
          this.worker.postMessage({ command: 'cancel', payload: { requestId }, requestId: this.nextId++ } satisfies EngineRequest);
          reject(signal.reason);
        },
        { once: true },
      );
      // Collection bytes move to the worker instead of being copied.
      const transfer = payload && typeof payload === 'object' && 'bytes' in payload && payload.bytes instanceof Uint8Array ? [payload.bytes.buffer as ArrayBuffer] : [];
      this.worker.postMessage({ command, payload, requestId } as EngineRequest, transfer);
    });
  }

  /** Calls `listener` with the current status now and with every change; returns the unsubscribe. */
  onStatus(listener: (status: EngineStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this.status);
    return () => this.listeners.delete(listener);
  }

  private receive(message: WorkerMessage): void {
    if (isStatusEvent(message)) {
      this.status = message.status;
      for (const listener of this.listeners) listener(message.status);
      return;
    }
    const waiting = this.waiting.get(message.requestId);
    if (!waiting) return; // aborted, or the reply to a cancel nobody awaits
    if (isProgressEvent(message)) {
      waiting.onProgress?.(message.progress);
      return;
    }
    if (isRankedEvent(message)) {
      waiting.onRanked?.(message.ranked);
      return;
    }
    this.waiting.delete(message.requestId);
    if (message.ok) waiting.resolve(message.result);
    else waiting.reject(new EngineError(message.error.code, message.error.message));
  }

  private fail(error: EngineError): void {
    for (const { reject } of this.waiting.values()) reject(error);
    this.waiting.clear();
    this.status = { phase: 'error', error: { code: error.code, message: error.message } };
    for (const listener of this.listeners) listener(this.status);
  }
}
