/// <reference lib="webworker" />
/**
 * The engine worker: hosts model, index and storage, and speaks src/protocol.ts. Everything slow
 * (model load, corpus embedding, index building) happens here so the page never blocks.
 */
import { describeError, isPapersiftError } from '../src/core/errors';
import type { Command, Commands, EngineReply, EngineRequest, EngineStatus, ReplyError, WorkerMessage } from '../src/protocol';
import { clearArtifactStore } from '../src/store/artifact-store';
import type { ProgressSink } from './collection-host';
import { EngineHost } from './engine-host';
import { CancelledError, JobQueue } from './job-queue';
import { QueryPrefetch } from './query-prefetch';

declare const self: DedicatedWorkerGlobalScope;

const queue = new JobQueue();
const host = new EngineHost(
  (status: EngineStatus) => post({ event: 'status', status }),
  // Disposing a replaced model: after the searches queued before it; a failure there harms nobody.
  (task) => void queue.push(-1, task).catch(() => {}),
);

const prefetch = new QueryPrefetch(queue, (text) => host.prefetchQuery(text));

self.addEventListener('message', (event: MessageEvent<EngineRequest>) => {
  const request = event.data;
  // Loading runs beside the queue (searches get keyword answers meanwhile); cancel and stats must not
  // wait behind the job they are about.
  if (request.command === 'init' || request.command === 'setOptions') {
    answer(request.requestId, host.configure(request.payload));
    return;
  }
  if (request.command === 'cancel') {
    answer(request.requestId, Promise.resolve({ cancelled: queue.cancel(request.payload.requestId) }));
    return;
  }
  // Speculative: queued at low priority, replacing a prefetch not started yet (workers/query-prefetch.ts).
  if (request.command === 'prefetch') {
    answer(request.requestId, prefetch.request(request.requestId, request.payload.text).then((outcome) => ({ outcome })));
    return;
  }
  if (request.command === 'stats') {
    answer(request.requestId, Promise.resolve().then(() => host.stats()));
    return;
  }
  // The map's layout yields between epochs and reads a snapshot of the vectors: searches go on meanwhile.
  if (request.command === 'map') {
    answer(request.requestId, host.map(progressTo(request.requestId)));
    return;
  }
  // A download of the whole collection runs beside searches (they read the same chunk store).
  if (request.command === 'makeAvailableOffline') {
    answer(request.requestId, host.makeAvailableOffline(progressTo(request.requestId)));
    return;
  }
  answer(request.requestId, queue.push(request.requestId, async (queueMs) => handle(request, queueMs)));
});

function handle(request: EngineRequest, queueMs: number): Promise<Commands[Command]['result']> | Commands[Command]['result'] {
  switch (request.command) {
    case 'search':
      return host.search(request.payload, queueMs, (ranked) => post({ event: 'ranked', requestId: request.requestId, ranked }));
    case 'similar':
      return host.similar(request.payload, queueMs);
    case 'embed':
      return host.embed(request.payload);
    case 'related':
      return host.related(request.payload, queueMs);
    case 'importPapers':
      return host.importPapers(request.payload, progressTo(request.requestId));
    case 'importCollection':
      return host.importCollection(request.payload, progressTo(request.requestId));
    case 'removePapers':
      return host.removePapers(request.payload.ids);
    case 'listImported':
      return host.listImported();
    case 'exportCollection':
      return host.exportCollection();
    case 'clearStore':
      return clearArtifactStore().then(() => ({ cleared: true as const }));
    case 'init':
    case 'setOptions':
    case 'cancel':
    case 'stats':
    case 'prefetch':
    case 'map':
    case 'makeAvailableOffline':
      throw new Error(`${request.command} is answered before the queue`);
  }
}

function progressTo(requestId: number): ProgressSink {
  return (progress) => post({ event: 'progress', requestId, progress });
}

function answer(requestId: number, result: Promise<Commands[Command]['result']>): void {
  result.then(
    (value) => post({ requestId, ok: true, result: value } as EngineReply, transferables(value)),
    (e: unknown) => post({ requestId, ok: false, error: toReplyError(e) }),
  );
}

function toReplyError(e: unknown): ReplyError {
  if (e instanceof CancelledError) return { code: 'cancelled', message: e.message };
  if (isPapersiftError(e)) return { code: e.code, message: e.message };
  return { code: 'internal', message: describeError(e) };
}

function post(message: WorkerMessage, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

/** Embedding vectors, map points and collection bytes move to the page instead of being copied. */
function transferables(value: unknown): Transferable[] {
  if (!value || typeof value !== 'object') return [];
  if ('vectors' in value && Array.isArray(value.vectors)) return (value.vectors as Float32Array[]).map((v) => v.buffer as ArrayBuffer);
  if ('points' in value && value.points instanceof Float32Array) return [value.points.buffer as ArrayBuffer];
  if ('bytes' in value && value.bytes instanceof Uint8Array) return [value.bytes.buffer as ArrayBuffer];
  return [];
}
