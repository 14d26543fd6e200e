/**
 * Page entry: starts the engine worker, mounts the app and installs `window.__papersift`, a small
 * documented debug/test hook over the same worker (the e2e tests compare its embeddings with Node's).
 */
/// <reference types="vite-plugin-pwa/client" />
import type { EmbedParams, EngineInfo, SearchParams, SearchReply } from './protocol';
import './ui/app';
import { EngineClient } from './ui/engine-client';

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

// The app replaces the static placeholder index.html shows until this module has run.
const app = document.createElement('papersift-app');
app.client = client;
document.getElementById('boot')?.replaceWith(app) ?? document.body.append(app);

// The service worker exists only in production builds (vite-plugin-pwa, see vite.config.ts); in dev it
// would serve stale modules. MODE, not PROD: PROD follows NODE_ENV, which is 'test' when the e2e suite
// builds. An active worker has precached everything (its install fails otherwise), so from then on a
// reload works offline.
if (import.meta.env.MODE === 'production' && 'serviceWorker' in navigator) {
  void import('virtual:pwa-register').then(({ registerSW }) => {
    registerSW({ immediate: true });
    void navigator.serviceWorker.ready.then(() => (app.offlineReady = true));
  });
}
