/** Every error the engine raises on purpose carries one of these codes, so callers can react by kind. */
export type ErrorCode =
  | 'parse' // a seed or import file could not be read as papers
  | 'empty-query' // nothing to search for after trimming
  | 'unknown-paper' // a paper id or title that is not in the corpus
  | 'invalid-option' // k, dims, shortlist or similar out of range
  | 'model-load' // model files missing, unreadable or not the expected ones
  | 'model-setup' // npm run setup could not provision a model
  | 'artifacts-missing' // no artifacts where they were expected
  | 'artifacts-stale' // artifacts built from another corpus or model
  | 'artifacts-format' // artifacts of another format version, or corrupted bytes
  | 'index' // the ANN index refused an operation
  | 'no-match' // a filter (years, category) that no paper passes
  | 'storage' // persistence failed (quota, corruption)
  | 'unavailable' // a feature this collection's index does not offer (e.g. on a format-3 site)
  | 'offline' // a file a query needs was never kept on this device, and the network cannot be reached
  | 'interrupted'; // the user stopped a long run (Ctrl-C); what was done is kept

export class PapersiftError extends Error {
  readonly code: ErrorCode;
  /** Structured context for messages and tests: file, line, paper id, expected vs found, ... */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PapersiftError';
    this.code = code;
    this.details = details;
  }
}

export function isPapersiftError(e: unknown, code?: ErrorCode): e is PapersiftError {
  return e instanceof PapersiftError && (code === undefined || e.code === code);
}

/** A message fit to show a person, whatever was thrown (IndexedDB's quota errors come with no message). */
export function describeError(e: unknown): string {
  if (e instanceof Error) return e.message || e.name;
  return String(e);
}

/** The browser refused a write for want of room: QuotaExceededError, or its legacy code 22 in older engines. */
export function isQuotaError(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || (e as { code?: number }).code === 22);
}
