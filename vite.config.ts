import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA, type ManifestOptions } from 'vite-plugin-pwa';
import { CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_HEADER } from './src/content-security-policy';
import { DEFAULT_MODEL_ID, getModel } from './src/core/models';
import { stageArtifacts } from './scripts/site-artifacts';

/**
 * Cross-origin isolation lets onnxruntime-web use WASM threads (SharedArrayBuffer). Hosts that cannot
 * send these headers still work, on one thread.
 */
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/** `PAPERSIFT_BASE=/papersift/ npm run build` deploys under a sub-path; it must be absolute. */
function basePath(): string {
  const raw = process.env.PAPERSIFT_BASE ?? '/';
  return `/${raw.replace(/^\/+|\/+$/g, '')}/`.replace(/^\/\/$/, '/');
}

/**
 * What installs the site as an app. Paths are relative to the manifest (served at `<base>`), so one
 * build works under any base; colours are --ps-accent and --ps-bg (light) from index.html.
 */
const webAppManifest = {
  name: 'papersift',
  short_name: 'papersift',
  description: 'Search research papers by meaning, entirely in your browser.',
  start_url: './',
  scope: './',
  display: 'standalone',
  theme_color: '#4453c4',
  background_color: '#f6f6f3',
  icons: [
    { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
    { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
    { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
  ],
} satisfies Partial<ManifestOptions>;

/**
 * Names this build in the page (`<html data-build>`), so a deploy can be told from the one before it.
 * Set PAPERSIFT_BUILD_ID (e.g. to a commit id) when building for a deploy.
 */
const buildId = process.env.PAPERSIFT_BUILD_ID ?? 'local';

/**
 * `PAPERSIFT_ARTIFACTS=DIR` ships the artifact set in DIR (from `npm run build-index -- --corpus FILE
 * --out DIR`) instead of public/artifacts; a missing or invalid DIR stops here with the reason.
 */
const customArtifacts = process.env.PAPERSIFT_ARTIFACTS ? stageArtifacts(process.env.PAPERSIFT_ARTIFACTS, dirname(fileURLToPath(import.meta.url))) : undefined;

/**
 * onnxruntime-web's bundle names its wasm with `new URL(…, import.meta.url)`, so Vite emits a 27 MB copy.
 * The app loads the wasm from `<base>ort/` (wasmPaths; without it transformers.js would use a CDN), so
 * that copy would only be dead weight in dist/ and in any precache.
 */
function dropBundledOrtWasm(): Plugin {
  return {
    name: 'papersift:drop-bundled-ort-wasm',
    generateBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) if (/ort-wasm-[\w.-]*\.wasm$/.test(name)) delete bundle[name];
    },
  };
}

/**
 * transformers.js imports onnxruntime-web's WebGPU build (asyncify, 26.9 MB wasm) for its own sessions. The site
 * uses transformers.js only for the tokenizer and opens sessions itself with the cheapest build for the backend
 * (src/core/embed/embedder.ts), so transformers.js's import gets an empty module: no second ORT in the bundle.
 * Its loader then finds no runtime, which only matters to code that asks it for a session (none here).
 */
function noOrtInTransformers(): Plugin {
  const stub = '\0papersift:no-ort-in-transformers';
  return {
    name: 'papersift:no-ort-in-transformers',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === 'onnxruntime-web/webgpu' && importer?.includes('@huggingface/transformers')) return stub;
      return null;
    },
    load(id) {
      return id === stub ? 'export {};' : null;
    },
  };
}

/**
 * The Content-Security-Policy (src/content-security-policy.ts) as the built page's first <meta>, before
 * any script. Built pages only: the dev server injects inline styles and scripts of its own.
 */
function contentSecurityPolicy(): Plugin {
  return {
    name: 'papersift:content-security-policy',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler: (html) => ({
        html,
        tags: [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CONTENT_SECURITY_POLICY }, injectTo: 'head-prepend' }],
      }),
    },
  };
}

/**
 * The service worker that makes the site work offline: it precaches the app, the wasm-only ORT build (what
 * the default WASM backend runs; the WebGPU build is fetched when WebGPU runs), the default model's small
 * files, the shipped index and the app icons. The model's weights are not precached: the engine worker
 * downloads them once and keeps them in Cache Storage itself (src/store/model-cache.ts), so a first visit
 * fetches them once, not twice at the same moment (which also failed in private windows with
 * net::ERR_CACHE_WRITE_FAILURE). The index follows the same rule: only its manifest is precached (so a version of the
 * app keeps asking for the set it was built with); the files are downloaded once, by the engine worker, which checks
 * each against the manifest's sha256 and keeps them in IndexedDB, where repeat and offline visits read them. Precaching
 * them too downloaded the whole index twice on a first visit (bench/scale.ts: 161 MB for a 79 MB set).
 *
 * Updates ask first (registerType 'prompt'): a deploy's new worker installs next to the old one and waits,
 * so open tabs keep running their own version from the old worker's precache, lazy chunks included, even
 * though the server no longer has them. The page then offers a reload (src/ui/update-notice.ts); the
 * new worker takes over on that request (SKIP_WAITING) and its activation drops the old precache entries.
 * The very first worker has nothing to wait for: it activates at once and claims the page (clientsClaim).
 */
function offlineSupport(): Plugin[] {
  const model = getModel(DEFAULT_MODEL_ID);
  const modelDir = `models/${model.id}`;
  return VitePWA({
    registerType: 'prompt',
    injectRegister: false, // src/main.ts registers it, in production builds only
    manifest: webAppManifest,
    // The manifest's icons join the precache (includeManifestIcons), so an installed app has them offline.
    workbox: {
      globPatterns: [
        '*.{html,svg}',
        'assets/**/*.{js,css,wasm}',
        'ort/ort-wasm-simd-threaded.{mjs,wasm}',
        'artifacts/manifest.json',
        `${modelDir}/*.json`,
      ],
      // The ORT wasm is 14 MB; the default limit (2 MiB) would skip it.
      maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
      skipWaiting: false,
      clientsClaim: true,
      // Tells open pages why an install failed (the worker alone only turns redundant): public/sw-install-report.js.
      importScripts: ['sw-install-report.js'],
      cleanupOutdatedCaches: true,
      // Any URL of the app (?q=…&dims=…) is the single page; the benchmark pages bench/browser.ts builds beside
      // the app (bench/*.html) are their own.
      navigateFallback: 'index.html',
      navigateFallbackDenylist: [/\/bench\/[^/]+\.html$/],
    },
  });
}

export default defineConfig({
  base: basePath(),
  publicDir: customArtifacts?.publicDir ?? 'public',
  define: {
    __PAPERSIFT_BUILD_ID__: JSON.stringify(buildId),
    // The worker may rebuild the seed corpus's index from the seed listings it bundles, never another corpus's.
    'import.meta.env.PAPERSIFT_CUSTOM_CORPUS': JSON.stringify(customArtifacts !== undefined),
    // bench/browser.ts builds a variant with PAPERSIFT_LOAD_ORDER=parallel to compare the two start-up orders.
    __PAPERSIFT_LOAD_ORDER__: JSON.stringify(process.env.PAPERSIFT_LOAD_ORDER ?? 'index-first'),
  },
  plugins: [contentSecurityPolicy(), noOrtInTransformers(), offlineSupport()],
  // hnswlib-wasm and transformers.js run in a module worker; a classic worker cannot import them.
  worker: { format: 'es', plugins: () => [noOrtInTransformers(), dropBundledOrtWasm()] },
  optimizeDeps: {
    // Dependencies only the worker imports: Vite finds them late, and pre-bundling them then reloads the
    // page mid-load. hnswlib-wasm also ships only a `module` build.
    include: ['hnswlib-wasm/dist/hnswlib.js', 'idb-keyval', 'minisearch', 'ml-matrix', 'stemmer'],
    // transformers.js loads onnxruntime-web's wasm from `wasmPaths` at run time; pre-bundling breaks that.
    exclude: ['@huggingface/transformers', 'onnxruntime-web'],
  },
  server: { headers: crossOriginIsolation },
  // `npm start` serves the built site as a host that can send headers should: the policy as a header too, so
  // the engine worker (its own response, not the page's meta) is held to it as well.
  preview: { headers: { ...crossOriginIsolation, 'Content-Security-Policy': CONTENT_SECURITY_POLICY_HEADER } },
  build: {
    target: 'es2022',
    // The worker bundles onnxruntime-web and hnswlib's inlined wasm: large by nature, loaded once.
    chunkSizeWarningLimit: 4096,
  },
});
