import { describe, expect, it } from 'vitest';
import { offlineFailure, registerFailure } from './offline-install';

describe('why the offline copy was not saved', () => {
  it('blames storage, and says what to do, when the worker met a quota error or a refused cache write', () => {
    for (const cause of [
      { name: 'QuotaExceededError', message: 'Quota exceeded.' },
      // What Chromium 156 threw with 700 MB left on the disk.
      { name: 'NetworkError', message: "Failed to execute 'put' on 'Cache': Cache.put() encountered a network error" },
    ]) {
      const { text, storageRefused } = offlineFailure(cause);
      expect(text).toMatch(/could not store it.*disk is nearly full/);
      expect(text).toMatch(/free some disk space, then reload/);
      expect(storageRefused).toBe(true);
    }
  });

  it('blames the download for any other error the worker reports', () => {
    for (const cause of [
      { name: 'TypeError', message: 'Failed to fetch' },
      { name: 'WorkboxError', message: 'bad-precaching-response' },
      { name: 'NetworkError', message: 'A network error occurred.' },
    ]) {
      const { text, storageRefused } = offlineFailure(cause);
      expect(text).toMatch(/could not be downloaded/);
      expect(text).not.toMatch(/disk/);
      expect(storageRefused).toBe(false);
    }
  });

  it('claims no cause when no report came', () => {
    const { text, storageRefused } = offlineFailure(undefined);
    expect(text).toMatch(/stopped installing/);
    expect(text).not.toMatch(/disk|download/);
    expect(storageRefused).toBe(false);
  });

  it('always says search still works online', () => {
    for (const cause of [{ name: 'QuotaExceededError', message: '' }, { name: 'TypeError', message: '' }, undefined]) {
      expect(offlineFailure(cause).text).toMatch(/Search works while online/);
    }
  });
});

describe('why the offline worker did not register', () => {
  it('says the browser allows none for a SecurityError, and that the worker did not load for anything else', () => {
    expect(registerFailure(new DOMException('The user denied permission to use Service Worker.', 'SecurityError')).text).toMatch(/allows this site no offline worker/);
    const missing = registerFailure(new TypeError('Failed to register a ServiceWorker: A bad HTTP response code (404) was received'));
    expect(missing.text).toMatch(/could not be loaded.*next visit tries again/);
    for (const failure of [registerFailure(undefined), missing]) expect(failure.storageRefused).toBe(false);
  });
});
