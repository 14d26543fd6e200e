/**
 * The first service worker's install precaches the app (~20 MB with the ORT wasm). When that fails the
 * worker turns redundant and `navigator.serviceWorker.ready` never resolves, so without this the page would
 * stay silent about the offline copy. Chromium refuses the precache when the disk is nearly full (it keeps
 * about 1 GB of it free whatever quota it reports); a file that will not download is the other usual cause.
 * The storage estimate cannot tell them apart (Chromium reports a quota from the disk's size, not its free
 * space), so the worker says which error it met (public/sw-install-report.js).
 */

/** The BroadcastChannel public/sw-install-report.js posts an install's error on. */
export const INSTALL_REPORT_CHANNEL = 'papersift-sw-install';

/** What public/sw-install-report.js posts: the install's error. */
export interface InstallFailure {
  name: string;
  message: string;
}

/**
 * register() itself failed: a SecurityError where the browser allows no service worker (some private windows,
 * some settings), anything else where sw.js could not be fetched or run.
 */
export function registerFailure(error: unknown): OfflineFailure {
  const refused = error instanceof Error && error.name === 'SecurityError';
  return {
    text: refused
      ? 'Not saved for offline use: the browser allows this site no offline worker here (some private windows and settings do not). Search works while online.'
      : 'Not saved for offline use: the site\'s offline worker could not be loaded. Search works while online; the next visit tries again.',
    storageRefused: false,
  };
}

/** Why the offline copy was not saved, as the page says it. */
export interface OfflineFailure {
  text: string;
  /** The browser refused to store it: the quota it reports (from the disk's size) is then no guide. */
  storageRefused: boolean;
}

/** What the page says when the offline copy could not be saved; `cause` is the worker's report, if one came. */
export function offlineFailure(cause: InstallFailure | undefined): OfflineFailure {
  if (cause && storageRefused(cause)) {
    return {
      text:
        'Not saved for offline use: the browser could not store it, which usually means the disk is nearly full. ' +
        'Search works while online; free some disk space, then reload to try again.',
      storageRefused: true,
    };
  }
  const why = cause ? 'a file of the offline copy could not be downloaded' : 'the browser stopped installing the offline copy';
  return { text: `Not saved for offline use: ${why}. Search works while online; the next visit tries again.`, storageRefused: false };
}

/**
 * A quota error, or Chromium's failed Cache.put: with a nearly full disk it refuses the write as a
 * "NetworkError" ("Cache.put() encountered a network error"), though the response had fully arrived.
 */
function storageRefused(cause: InstallFailure): boolean {
  return cause.name === 'QuotaExceededError' || /'put' on 'Cache'/.test(cause.message);
}

/**
 * Calls `show` with what to say if the registration's first worker fails to install, and again should the
 * worker's report of why arrive after the failure itself. A worker replacing an active one is not watched:
 * the active one still serves this version offline, and the next visit retries.
 */
export function watchFirstInstall(registration: ServiceWorkerRegistration, show: (failure: OfflineFailure) => void): void {
  let cause: InstallFailure | undefined;
  let failed = false;
  const channel = new BroadcastChannel(INSTALL_REPORT_CHANNEL);
  channel.addEventListener('message', (event: MessageEvent<InstallFailure>) => {
    cause = event.data;
    if (failed) show(offlineFailure(cause));
  });
  const fail = () => {
    if (failed || registration.active) return;
    failed = true;
    show(offlineFailure(cause));
  };
  const watch = (worker: ServiceWorker | null) => {
    worker?.addEventListener('statechange', () => {
      if (worker.state === 'redundant') fail();
    });
  };
  // register() resolves with the installing worker set; one that failed before this ran has left nothing.
  if (!registration.installing && !registration.waiting && !registration.active) fail();
  watch(registration.installing);
  registration.addEventListener('updatefound', () => watch(registration.installing));
}

/** What the footer says of offline use: `ready` and `partial` once the service worker holds the app. */
export interface OfflineStatus extends OfflineFailure {
  state: 'ready' | 'partial' | 'failed';
}

/**
 * The service worker holds the app, but an offline visit also needs what the engine worker stored: the index
 * (format 2) and the model's weights. The worker may have been refused room for them while the app's smaller
 * precache still fit.
 */
export function offlineStatus(workerReady: boolean, failure: OfflineFailure | undefined, kept: { indexKept?: boolean; modelKept?: boolean } | undefined): OfflineStatus | undefined {
  if (failure) return { state: 'failed', ...failure };
  if (!workerReady) return undefined;
  if (kept?.indexKept === false) {
    return {
      state: 'failed',
      text: 'Not available offline: the browser could not store the search index (usually a nearly full disk), so each visit downloads it. Free some disk space, then reload to try again.',
      storageRefused: true,
    };
  }
  if (kept?.modelKept === false) {
    return {
      state: 'partial',
      text: 'Available offline for keyword search only: the browser could not store the language model (usually a nearly full disk), so search by meaning needs the network. Free some disk space, then reload to try again.',
      storageRefused: true,
    };
  }
  return { state: 'ready', text: 'Available offline: this page reloads without a network.', storageRefused: false };
}
