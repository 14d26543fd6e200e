/** Page side of bench/browser-webgpu.ts: a thin relay to the benchmark worker, one request at a time. */
import type { BenchReply, BenchRequest } from './browser-webgpu.worker';

const worker = new Worker(new URL('./browser-webgpu.worker.ts', import.meta.url), { type: 'module' });
let last: Promise<unknown> = Promise.resolve();

function ask(request: BenchRequest): Promise<BenchReply & { ok: true }> {
  const run = last.then(
    () =>
      new Promise<BenchReply & { ok: true }>((resolve, reject) => {
        worker.addEventListener('message', (event: MessageEvent<BenchReply>) => (event.data.ok ? resolve(event.data) : reject(new Error(event.data.error))), {
          once: true,
        });
        worker.postMessage(request);
      }),
  );
  last = run.catch(() => {});
  return run;
}

declare global {
  interface Window {
    /** Vectors come back as plain arrays, so they survive the trip to Node. */
    __bench(request: BenchRequest): Promise<unknown>;
  }
}

window.__bench = async (request) => {
  const reply = await ask(request);
  return 'vectors' in reply && reply.vectors ? { ...reply, vectors: Array.from(reply.vectors) } : reply;
};
