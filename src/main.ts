/**
 * Page entry: starts the engine worker, mounts the app and installs `window.__papersift`, a small
 * documented debug/test hook over the same worker (the e2e tests compare its embeddings with Node's).
 */
/// <reference types="vite-plugin-pwa/client" />
import type { EmbedParams, EngineInfo, SearchParams, SearchReply } from './protocol';
import './ui/app';
import { EngineClient } from './ui/engine-client';
import { registerFailure, watchFirstInstall } from './ui/offline-install';
import { showUpdateNotice } from './ui/update-notice';

/** Set by vite.config.ts from PAPERSIFT_BUILD_ID. */
declare const __PAPERSIFT_BUILD_ID__: string;

export interface PapersiftDebugHook {
  /**
   * The worker's embeddings (plain arrays, so they survive JSON and structured clone alike). `dtype`
   * other than the index's loads a second model for this only.
   */
  embed(texts: string[], kind?: EmbedParams['kind'], dtype?: EmbedParams['dtype']): Promise<number[][]>;
  /** Settings, artifact source and counters (documents/queries embedded this page load). */
  stats(): Promise<EngineInfo>;
  search(text: string, options?: Omit<SearchParams, 'text'>): Promise<SearchReply>;
  /** Forgets every stored index; the next load downloads or rebuilds. */
  clearStore(): Promise<void>;
}

declare global {
  interface Window {
    __papersift: PapersiftDebugHook;
  }
}

const client = new EngineClient();

window.__papersift = {
  embed: async (texts, kind = 'query', dtype) => (await client.request('embed', { texts, kind, dtype })).vectors.map((v) => Array.from(v)),
  stats: () => client.request('stats', {}),
  search: (text, options = {}) => client.request('search', { text, ...options }),
  clearStore: async () => {
    await client.request('clearStore', {});
  },
};

// Which deploy this page runs: tells an open old tab from a reloaded new one.
document.documentElement.dataset.build = __PAPERSIFT_BUILD_ID__;

// The app replaces the static placeholder index.html shows until this module has run.
const app = document.createElement('papersift-app');
app.client = client;
document.getElementById('boot')?.replaceWith(app) ?? document.body.append(app);

// Without persistence the browser may evict the stored index and the offline copy (~70 MB) under
// storage pressure. Asked once per page load, and only while not granted yet.
void requestPersistentStorage().then((granted) => (app.storagePersisted = granted));

// The service worker exists only in production builds (vite-plugin-pwa, see vite.config.ts); in dev it
// would serve stale modules. MODE, not PROD: PROD follows NODE_ENV, which is 'test' when the e2e suite
// builds. An active worker has precached everything (its install fails otherwise), so from then on a
// reload works offline.
if (import.meta.env.MODE === 'production' && 'serviceWorker' in navigator) {
  reloadWhenReplaced(navigator.serviceWorker);
  void firstResultsShown(navigator.serviceWorker).then(() => import('virtual:pwa-register')).then(({ registerSW }) => {
    const updateSW = registerSW({
      immediate: true,
      // A deploy's worker is installed and waits: offer it, and let this tab run on until asked.
      onNeedRefresh: () => showUpdateNotice(() => activateWaitingWorker(() => updateSW(true))),
      // reloadWhenReplaced reloads every tab, also those whose first visit installed the worker, which
      // workbox-window does not count as updates.
      onNeedReload: () => {},
      onRegisterError: (error) => (app.offlineFailed = registerFailure(error)),
      onRegisteredSW: (_url, registration) => {
        if (!registration) return;
        checkForUpdates(registration);
        watchFirstInstall(registration, (failure) => (app.offlineFailed = failure));
      },
    });
    void navigator.serviceWorker.ready.then(() => (app.offlineReady = true));
  });
}

/** How long after the engine is ready a first visit with no search waits before installing the worker. */
const INSTALL_AFTER_READY_MS = 3000;

/**
 * On a first visit (no worker controls the page yet), resolves once the first full results are shown, the
 * engine has failed, or it has been ready a moment with nothing searched; at once on later visits. Installing
 * precaches the whole app (~2 MB of scripts, another copy of those the page is loading) and the 14 MB ORT
 * wasm: started beside the first search it competed with the index and the model for the network, and made
 * up a third of what a first visit fetched before its first results (docs/BENCHMARKS.md, issue #13).
 */
function firstResultsShown(container: ServiceWorkerContainer): Promise<void> {
  if (container.controller) return Promise.resolve();
  return new Promise((resolve) => {
    let waiting: ReturnType<typeof setTimeout> | undefined;
    let unsubscribe: (() => void) | undefined;
    const done = () => {
      window.removeEventListener('papersift:results', onResults);
      unsubscribe?.();
      clearTimeout(waiting);
      resolve();
    };
    const onResults = (event: Event) => {
      if (!(event as CustomEvent<{ modelPending?: boolean }>).detail?.modelPending) done();
    };
    window.addEventListener('papersift:results', onResults);
    // onStatus calls back at once with the current status, before it returns the unsubscribe.
    unsubscribe = client.onStatus((status) => {
      if (status.phase === 'error') setTimeout(done);
      else if (status.phase === 'ready') waiting ??= setTimeout(done, INSTALL_AFTER_READY_MS);
    });
  });
}

/**
 * When a newer worker takes over (the user chose Reload here or in another tab), it has dropped the
 * precache this page's code came from; lazy chunks would then miss, so the page reloads into the new
 * version. The first worker claiming a page that had none is no such change.
 */
function reloadWhenReplaced(container: ServiceWorkerContainer): void {
  let controlled = container.controller !== null;
  container.addEventListener('controllerchange', () => {
    if (controlled) location.reload();
    controlled = true;
  });
}

/**
 * Asks the waiting worker to take over; reloadWhenReplaced then reloads. Without a waiting worker (another
 * tab took it over, and this one is reloading or about to) a plain reload gets the current version.
 */
async function activateWaitingWorker(skipWaiting: () => Promise<void>): Promise<void> {
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration?.waiting) await skipWaiting();
  else location.reload();
}

/** Browsers look for a new worker on navigations; a tab left open for days also looks hourly and on return. */
function checkForUpdates(registration: ServiceWorkerRegistration): void {
  const check = () => {
    if (navigator.onLine && document.visibilityState === 'visible') registration.update().catch(() => {});
  };
  setInterval(check, 60 * 60 * 1000);
  document.addEventListener('visibilitychange', check);
}

async function requestPersistentStorage(): Promise<boolean | undefined> {
  const storage = navigator.storage;
  if (!storage?.persist || !storage.persisted) return undefined;
  try {
    return (await storage.persisted()) || (await storage.persist());
  } catch {
    return undefined;
  }
}
