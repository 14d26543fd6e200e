/** Nearest neighbours by cosine over unit vectors. Labels are row numbers in the corpus matrix. */
export interface AnnResult {
  labels: number[];
  /** Cosine similarity, highest first. */
  scores: number[];
  /** How many vector distances the search computed (exact: all rows; HNSW: what the library visited, estimated when it does not say). */
  distanceEvaluations: number;
}

export interface AnnIndex {
  readonly kind: 'exact' | 'hnsw';
  readonly dims: number;
  readonly size: number;
  /** Adds unit vectors (row-major, `dims` each) with the given labels (default: size, size+1, ...). */
  add(vectors: Float32Array, labels?: number[]): void;
  /** Marks a label deleted: it is never returned again. */
  remove(label: number): void;
  /** Top k by cosine; `exclude` labels are skipped and k results are still returned when possible. */
  search(query: Float32Array, k: number, options?: { exclude?: Set<number>; efSearch?: number }): AnnResult;
  /** The index as bytes, to ship as an artifact or keep in IndexedDB. */
  toBytes(): Promise<Uint8Array>;
}
