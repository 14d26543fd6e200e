import { PapersiftError } from '../errors';

/** Nearest neighbours by cosine over unit vectors. Labels are row numbers in the corpus matrix. */
export interface AnnResult {
  labels: number[];
  /** Cosine similarity, highest first. */
  scores: number[];
  /**
   * How many vector distances the search computed: exact counts every live row it scored; HNSW reports
   * NaN, because hnswlib-wasm exposes no counter and any figure would be invented.
   */
  distanceEvaluations: number;
}

export interface AnnSearchOptions {
  /** Labels to skip; k results are still returned when enough other vectors exist. */
  exclude?: ReadonlySet<number>;
  /** Only labels for which this answers true can be returned (a filter); k results still when enough pass. */
  keep?: (label: number) => boolean;
  /** HNSW search breadth for this call (ignored by exact search). */
  efSearch?: number;
}

export interface AnnIndex {
  readonly kind: 'exact' | 'hnsw';
  readonly dims: number;
  /** Vectors that can be returned: added and not removed. */
  readonly size: number;
  /**
   * Adds unit vectors (row-major, `dims` each) with the given labels (default: one past the largest label
   * so far, counting up; that is size, size+1, ... while nothing was removed). A label can be added once:
   * reusing one, even a removed one, throws.
   */
  add(vectors: Float32Array, labels?: number[]): void;
  /** Marks a label deleted: it is never returned again. Removing it twice is a no-op; an unknown label throws. */
  remove(label: number): void;
  /** Top k by cosine (dot product: inputs are unit vectors), highest first; fewer when fewer qualify. */
  search(query: Float32Array, k: number, options?: AnnSearchOptions): AnnResult;
  /** The index as bytes, to ship as an artifact or keep in IndexedDB. */
  toBytes(): Promise<Uint8Array>;
  /** Frees the index's memory (hnswlib's lives in the wasm heap, which no garbage collector reaches); later calls throw. */
  dispose(): void;
}

/** Labels are stored as uint32 (hnswlib-wasm's label type). */
const MAX_LABEL = 0xffff_ffff;

// Input checks both implementations apply, so each refuses bad input with the same message.

/** The number of rows in `vectors`, after checking their shape, values and labels. */
export function checkAddInput(dims: number, vectors: Float32Array, labels: number[] | undefined): number {
  if (vectors.length % dims !== 0) {
    throw new PapersiftError('index', `Vectors hold ${vectors.length} numbers, not a whole number of ${dims}-d rows`, {
      dims,
      length: vectors.length,
    });
  }
  const rows = vectors.length / dims;
  if (labels !== undefined && labels.length !== rows) {
    throw new PapersiftError('index', `Got ${labels.length} labels for ${rows} vectors`, { rows, labels: labels.length });
  }
  for (let i = 0; i < vectors.length; i++) {
    if (!Number.isFinite(vectors[i])) {
      throw new PapersiftError('index', `Vector ${Math.floor(i / dims)} contains ${vectors[i]}`, { row: Math.floor(i / dims) });
    }
  }
  labels?.forEach(checkLabel);
  if (labels !== undefined && new Set(labels).size !== labels.length) {
    throw new PapersiftError('index', 'The same label appears twice in one add()', {});
  }
  return rows;
}

/** `rows` labels counting up from `first`, for an add() that names none. */
export function defaultLabels(first: number, rows: number): number[] {
  if (first + rows - 1 > MAX_LABEL) throw new PapersiftError('index', `Labels would pass ${MAX_LABEL}`, { first, rows });
  return Array.from({ length: rows }, (_, i) => first + i);
}

export function checkWholeNumber(name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new PapersiftError('index', `${name} must be a whole number of at least ${min}; got ${value}`, { [name]: value });
  }
}

function checkLabel(label: number): void {
  if (!Number.isInteger(label) || label < 0 || label > MAX_LABEL) {
    throw new PapersiftError('index', `A label must be a whole number from 0 to ${MAX_LABEL}; got ${label}`, { label });
  }
}

export function checkQuery(dims: number, query: Float32Array, k: number): void {
  if (query.length !== dims) {
    throw new PapersiftError('index', `The query has ${query.length} dimensions; the index has ${dims}`, {
      expected: dims,
      found: query.length,
    });
  }
  if (!query.every((x) => Number.isFinite(x))) throw new PapersiftError('index', 'The query contains NaN or an infinite value', {});
  checkWholeNumber('k', k, 1);
}
