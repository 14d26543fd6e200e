/**
 * Embedding on every core: N worker threads, each with its own ONNX session and an explicit intra-op thread
 * count, pulling fixed chunks of texts from one queue.
 *
 * A vector must not depend on which worker made it, nor on how many there were. The chunks are therefore cut
 * from the texts alone (sorted by length, then every `chunkSize`), never from the worker count; each worker runs
 * the same Embedder code on a chunk, which batches within it deterministically (and runs quantised graphs one
 * text at a time). Which worker takes a chunk only changes when its vectors arrive.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_BATCH_SIZE } from '../core/embed/embedder';
import { PapersiftError } from '../core/errors';
import type { Dtype } from '../core/models';

/**
 * Texts per message: one fp32 batch (DEFAULT_BATCH_SIZE), so a chunk is exactly one ONNX batch; few enough that
 * ten new papers still spread over two workers and an interrupted build loses a few seconds per worker at most.
 */
export const DEFAULT_CHUNK_SIZE = DEFAULT_BATCH_SIZE;

export interface WorkerSetup {
  entry: string;
  modelId: string;
  dtype: Dtype;
  localModelPath: string;
  numThreads: number;
  batchSize?: number;
}

export type WorkerRequest = { type: 'embed'; chunk: number; texts: string[] } | { type: 'stop' };
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'vectors'; chunk: number; vectors: Float32Array }
  | { type: 'error'; message: string };

export interface PoolOptions {
  modelId: string;
  dtype: Dtype;
  localModelPath: string;
  dims: number;
  /** Worker threads; default: the cores available. */
  workers?: number;
  /** ONNX intra-op threads per worker; default: the cores shared out evenly, at least 1. */
  threadsPerWorker?: number;
  chunkSize?: number;
  batchSize?: number;
  /** Aborting stops dispatch, waits for the chunks being embedded (reported as usual), then rejects with code 'interrupted'. */
  signal?: AbortSignal;
  /** Each chunk as it is done: rows are indices into `texts`, vectors row-major in that order. */
  onChunk?: (rows: number[], vectors: Float32Array) => void;
  onProgress?: (done: number, total: number) => void;
}

export function defaultWorkerCount(): number {
  return availableParallelism();
}

export function resolveThreads(workers: number, asked?: number): number {
  return asked ?? Math.max(1, Math.floor(availableParallelism() / workers));
}

/** Chunks of row indices: by text length (then row), so chunk neighbours pad alike; fixed by the texts alone. */
export function chunkRows(texts: readonly string[], chunkSize: number): number[][] {
  const order = texts.map((_, row) => row).sort((a, b) => texts[a].length - texts[b].length || a - b);
  const chunks: number[][] = [];
  for (let i = 0; i < order.length; i += chunkSize) chunks.push(order.slice(i, i + chunkSize));
  // Longest first: the last chunks to finish are then the quick ones, so no worker idles long at the end.
  return chunks.reverse();
}

export async function embedInWorkers(texts: readonly string[], options: PoolOptions): Promise<Float32Array> {
  const dims = options.dims;
  const out = new Float32Array(texts.length * dims);
  if (texts.length === 0) return out;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const chunks = chunkRows(texts, chunkSize);
  const workerCount = Math.max(1, Math.min(options.workers ?? defaultWorkerCount(), chunks.length));
  const setup: Omit<WorkerSetup, 'entry'> = {
    modelId: options.modelId,
    dtype: options.dtype,
    localModelPath: options.localModelPath,
    numThreads: resolveThreads(options.workers ?? defaultWorkerCount(), options.threadsPerWorker),
    batchSize: options.batchSize,
  };
  const entry = new URL('./embed-worker.ts', import.meta.url).href;
  const bootstrap = new URL('./embed-worker.mjs', import.meta.url);

  return new Promise<Float32Array>((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let inFlight = 0;
    let alive = 0;
    /** Ctrl-C: no new chunks, but the ones being embedded are awaited and kept (they are seconds away). */
    let stopping = false;
    let outcome: { error?: Error } | undefined;
    // Settles only once every worker has exited: a process that exits while onnxruntime-node still runs in a
    // terminated worker aborts natively ("terminate called after throwing Napi::Error").
    const settle = () => {
      if (outcome && alive === 0) {
        if (outcome.error) reject(outcome.error);
        else resolve(out);
      }
    };
    const end = (error?: Error, terminate = false) => {
      if (outcome) return;
      outcome = { error };
      options.signal?.removeEventListener('abort', onAbort);
      for (const worker of workers) {
        if (terminate) void worker.terminate();
        else worker.postMessage({ type: 'stop' } satisfies WorkerRequest);
      }
      settle();
    };
    const interrupted = () => new PapersiftError('interrupted', `Interrupted after embedding ${done} of ${texts.length} texts`, { done });
    const onAbort = () => {
      stopping = true;
      if (inFlight === 0) end(interrupted());
    };
    options.signal?.addEventListener('abort', onAbort);

    const dispatch = (worker: Worker) => {
      if (outcome || stopping || next >= chunks.length) return;
      const chunk = next++;
      inFlight++;
      worker.postMessage({ type: 'embed', chunk, texts: chunks[chunk].map((row) => texts[row]) } satisfies WorkerRequest);
    };
    options.onProgress?.(0, texts.length);
    for (let w = 0; w < workerCount; w++) {
      const worker = new Worker(bootstrap, { workerData: { ...setup, entry } satisfies WorkerSetup });
      workers.push(worker);
      alive++;
      worker.on('message', (reply: WorkerReply) => {
        if (outcome) return;
        if (reply.type === 'error') return end(new PapersiftError('model-load', `Embedding worker ${w + 1}: ${reply.message}`), true);
        if (reply.type === 'vectors') {
          inFlight--;
          const rows = chunks[reply.chunk];
          rows.forEach((row, i) => out.set(reply.vectors.subarray(i * dims, (i + 1) * dims), row * dims));
          done += rows.length;
          options.onChunk?.(rows, reply.vectors);
          options.onProgress?.(done, texts.length);
          if (done === texts.length) return end();
          if (stopping && inFlight === 0) return end(interrupted());
        }
        dispatch(worker);
      });
      worker.on('error', (e) => end(new PapersiftError('model-load', `Embedding worker ${w + 1} failed: ${e.message}`, {}, { cause: e }), true));
      worker.on('exit', (code) => {
        alive--;
        if (!outcome) end(new PapersiftError('model-load', `Embedding worker ${w + 1} exited (code ${code}) before the work was done`), true);
        settle();
      });
    }
    if (options.signal?.aborted) onAbort();
  });
}
