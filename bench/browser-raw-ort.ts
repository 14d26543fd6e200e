/** Page side of the raw onnxruntime-web yardstick (see browser-raw-ort.worker.ts). */
import type { RawOrtLoad, RawOrtReply, RawOrtRequest } from './browser-raw-ort.worker';

export interface RawOrt {
  loadMs: number;
  /** Session creation (wasm start-up included) and the first run, as a page load pays them. */
  createMs: number;
  firstRunMs: number;
  embed(texts: string[]): Promise<{ ms: number[]; vectors: number[][] }>;
  close(): void;
}

export async function startRawOrt(config: RawOrtLoad): Promise<RawOrt> {
  const worker = new Worker(new URL('./browser-raw-ort.worker.ts', import.meta.url), { type: 'module' });
  const ask = (request: RawOrtRequest) =>
    new Promise<RawOrtReply & { ok: true }>((resolve, reject) => {
      worker.addEventListener(
        'message',
        (event: MessageEvent<RawOrtReply>) => (event.data.ok ? resolve(event.data) : reject(new Error(event.data.error))),
        { once: true },
      );
      worker.addEventListener('error', (event) => reject(new Error(event.message || 'the raw onnxruntime-web worker failed')), { once: true });
      worker.postMessage(request);
    });
  const loaded = await ask({ load: config });
  return {
    loadMs: 'loadMs' in loaded ? loaded.loadMs : NaN,
    createMs: 'createMs' in loaded ? loaded.createMs : NaN,
    firstRunMs: 'firstRunMs' in loaded ? loaded.firstRunMs : NaN,
    embed: async (texts) => {
      const reply = await ask({ embed: texts });
      if (!('ms' in reply)) throw new Error('unexpected reply');
      return reply;
    },
    close: () => worker.terminate(),
  };
}
