import { describe, expect, it } from 'vitest';
import { offlineFailure, offlineStatus, registerFailure } from './offline-install';

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

describe('what the footer says of offline use', () => {
  const refused = offlineFailure({ name: 'QuotaExceededError', message: '' });

  it('says nothing until the worker is ready or has failed', () => {
    expect(offlineStatus(false, undefined, { indexKept: true, modelKept: true })).toBeUndefined();
  });

  it("puts the worker's failure first, whatever the engine stored", () => {
    expect(offlineStatus(false, refused, { modelKept: false })).toEqual({ state: 'failed', ...refused });
  });

  it('is ready only when the index and the model are stored too (or nothing says they are not)', () => {
    for (const kept of [{ indexKept: true, modelKept: true }, {}, undefined]) expect(offlineStatus(true, undefined, kept)?.state).toBe('ready');
  });

  it('offers keyword search only when the model could not be stored', () => {
    const status = offlineStatus(true, undefined, { indexKept: true, modelKept: false });
    expect(status?.state).toBe('partial');
    expect(status?.text).toMatch(/keyword search only.*search by meaning needs the network/);
    expect(status?.storageRefused).toBe(true);
  });

  it('offers nothing offline when the index could not be stored, model or not', () => {
    for (const modelKept of [true, false]) {
      const status = offlineStatus(true, undefined, { indexKept: false, modelKept });
      expect(status?.state).toBe('failed');
      expect(status?.text).toMatch(/Not available offline: the browser could not store the search index/);
    }
  });
});

