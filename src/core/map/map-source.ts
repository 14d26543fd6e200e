/**
 * What a map is laid out from, whichever the set: the points' ids, titles and vectors. A format-2 set
 * gives every live paper (workers/collection-host.ts); a format-3 set a sample and the user's papers
 * (format3/map-sample.ts).
 */
export interface MapSource {
  /** A kept layout is reused (and extended) only under the same key: model, weights, corpus, sample. */
  key: string;
  ids: string[];
  titles: string[];
  imported: boolean[];
  /** Dims of the vectors vectorsOf gives. */
  dims: number;
  /** The vectors of these points (indices into ids), row-major. */
  vectorsOf(points: number[]): Float32Array;
  /** Set when the map shows a sample of a larger collection. */
  sampled?: { shown: number; of: number };
}
