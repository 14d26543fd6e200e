/*
 * Imported by the service worker that vite-plugin-pwa generates (vite.config.ts, workbox.importScripts),
 * ahead of workbox's own listeners. When the install fails (the precache refused for storage, or a file that
 * would not download) the worker just turns redundant and the page learns nothing of why; this passes the
 * error's name to the open pages (src/ui/offline-install.ts) so they can say what to do about it.
 */
self.addEventListener('install', (event) => {
  const waitUntil = event.waitUntil.bind(event);
  // Workbox hands its precache promise to waitUntil; wrapping that method on this one event is the only way
  // to see its rejection from outside the generated bundle.
  event.waitUntil = (promise) => {
    waitUntil(promise);
    Promise.resolve(promise).catch((error) => {
      const report = { name: String(error?.name ?? 'Error'), message: String(error?.message ?? error) };
      new BroadcastChannel('papersift-sw-install').postMessage(report);
    });
  };
});
