// hnswlib-wasm is built for the web: it calls importScripts and keeps its files in IndexedDB (IDBFS).
import 'fake-indexeddb/auto';
(globalThis as { importScripts?: () => void }).importScripts ??= () => {};
