import { describe, expect, it } from 'vitest';
import { describeError, isQuotaError, PapersiftError } from './errors';

describe('describeError', () => {
  it("gives an error's message, or its name when the message is empty (IndexedDB's quota errors)", () => {
    expect(describeError(new PapersiftError('storage', 'the disk said no'))).toBe('the disk said no');
    expect(describeError(new DOMException('', 'QuotaExceededError'))).toBe('QuotaExceededError');
    expect(describeError('plain text')).toBe('plain text');
  });
});

describe('isQuotaError', () => {
  it('knows a quota error by name, or by the legacy code 22', () => {
    expect(isQuotaError(new DOMException('', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(Object.assign(new Error('full'), { code: 22 }))).toBe(true);
    expect(isQuotaError(new DOMException('gone', 'NotFoundError'))).toBe(false);
    expect(isQuotaError(new TypeError('Failed to fetch'))).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
  });
});
