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

/** register() itself was refused: some private windows do, and a sw.js the host could not serve. */
export const REGISTER_REFUSED = 'Not saved for offline use: the browser refused the site\'s offline worker (some private windows do). Search works while online.';

/** What the page says when the offline copy could not be saved; `cause` is the worker's report, if one came. */
export function offlineFailureText(cause: InstallFailure | undefined): string {
  if (cause && storageRefused(cause)) {
    return (
      'Not saved for offline use: the browser could not store it, which usually means the disk is nearly full. ' +
      'Search works while online; free some disk space, then reload to try again.'
    );
  }
  if (cause) return 'Not saved for offline use: a file of the offline copy could not be downloaded. Search works while online; the next visit tries again.';
  return 'Not saved for offline use: the browser stopped installing the offline copy. Search works while online; the next visit tries again.';
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
export function watchFirstInstall(registration: ServiceWorkerRegistration, show: (text: string) => void): void {
  let cause: InstallFailure | undefined;
  let failed = false;
  const channel = new BroadcastChannel(INSTALL_REPORT_CHANNEL);
  channel.addEventListener('message', (event: MessageEvent<InstallFailure>) => {
    cause = event.data;
    if (failed) show(offlineFailureText(cause));
  });
  const fail = () => {
    if (failed || registration.active) return;
    failed = true;
    show(offlineFailureText(cause));
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
