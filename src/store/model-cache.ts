/**
 * Model weights in Cache Storage, fetched once: the engine worker is the only thing that downloads them
 * (the service worker does not precache them, see vite.config.ts). Two fetches of the same 34 MB file at
 * once — the worker's and the service worker's precache — downloaded it twice on a first visit, and in a
 * private window one of them could fail with net::ERR_CACHE_WRITE_FAILURE.
 *
 * A cached copy is used only when it has the size the model registry says; a download is retried a few
 * times (a private window's small cache, a flaky connection) before the load fails.
 */
import type { ModelFileFetcher } from '../core/embed/types';

/** The Cache Storage cache that holds model weights, keyed by their URL. */
export const MODEL_CACHE = 'papersift-models';

/**
 * Weights this worker downloaded but could not store (quota, private window): an offline visit cannot load
 * them, so the page must not call the site available offline for search by meaning.
 */
const notKept = new Set<string>();

/** Every weights file this worker loaded is stored for the next (or an offline) visit. */
export function modelFilesKept(): boolean {
  return notKept.size === 0;
}

/** Waits before the 2nd and 3rd download attempts. */
const RETRY_DELAYS_MS = [400, 1500];

export const fetchCachedModelFile: ModelFileFetcher = async (url, expectedBytes, onProgress) => {
  const cache = await openCache();
  const cached = await cache?.match(url).catch(() => undefined);
  if (cached) {
    const bytes = new Uint8Array(await cached.arrayBuffer());
    if (bytes.length === expectedBytes) {
      notKept.delete(url);
      onProgress(bytes.length, bytes.length);
      return bytes;
    }
    await cache!.delete(url); // a copy from another version, or cut short: fetch it again
  }
  const bytes = await withRetries(() => download(url, expectedBytes, onProgress));
  // Stored only once whole; a failure to store (quota, private window) costs the next visit a download and
  // an offline visit search by meaning, which the page then says.
  const response = new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': 'application/octet-stream' } });
  const stored = cache ? await cache.put(url, response).then(() => true, () => false) : false;
  if (stored) notKept.delete(url);
  else notKept.add(url);
  return bytes;
};

/**
 * One-off tasks done in this browser (workers/code-warm-up.ts), remembered as empty entries of the model cache under
 * `key`, a URL of the site. Without Cache Storage nothing is remembered and the task runs again.
 */
export async function wasDone(key: string): Promise<boolean> {
  return (await (await openCache())?.match(key).catch(() => undefined)) !== undefined;
}

export async function markDone(key: string): Promise<void> {
  await (await openCache())?.put(key, new Response('')).catch(() => {});
}

/** Cache Storage is missing on insecure origins and may be refused in some private modes: then no cache. */
async function openCache(): Promise<Cache | undefined> {
  try {
    return typeof caches === 'undefined' ? undefined : await caches.open(MODEL_CACHE);
  } catch {
    return undefined;
  }
}

async function withRetries<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (i >= RETRY_DELAYS_MS.length || (e instanceof DownloadError && !e.retryable)) throw e;
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAYS_MS[i]));
    }
  }
}

class DownloadError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

/** One GET, read chunk by chunk for progress; the whole file or an error. */
async function download(url: string, expectedBytes: number, onProgress: (loaded: number, total: number) => void): Promise<Uint8Array> {
  const response = await fetch(url, { cache: 'no-store' });
  // A missing file stays missing (404); a server error may pass.
  if (!response.ok) throw new DownloadError(`${url}: HTTP ${response.status}`, response.status >= 500);
  if ((response.headers.get('content-type') ?? '').includes('text/html')) {
    throw new DownloadError(`${url}: the server answered with an HTML page, not the model`, false);
  }
  const bytes = new Uint8Array(expectedBytes);
  let loaded = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (loaded + value.length > expectedBytes) {
      await reader.cancel();
      throw new DownloadError(`${url}: more than the expected ${expectedBytes} bytes`, false);
    }
    bytes.set(value, loaded);
    loaded += value.length;
    onProgress(loaded, expectedBytes);
  }
  if (loaded !== expectedBytes) throw new DownloadError(`${url}: ${loaded} bytes of the expected ${expectedBytes}`, true);
  return bytes;
}
