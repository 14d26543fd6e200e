/** A research paper as the engine knows it. */
export interface Paper {
  /** Stable slug of the normalised title; the same paper gets the same id in every build. */
  id: string;
  title: string;
  abstract: string;
  /** Author names when the source lists them; null when it does not. */
  authors: string[] | null;
  /** The date as the source prints it ("Sep 25, 2017", "Mar 14"); null when absent. */
  date: string | null;
  /** Every place the paper was read from, e.g. "seeds/000_642b5ed72580e05c.txt:12". */
  sources: string[];
  /** Set on papers the user added; absent on the shipped corpus. */
  imported?: boolean;
  /** A link the import gave for the paper (imported papers only; the seed listings carry none). */
  url?: string;
}

/** A row-major matrix of float32: `rows` vectors of `dims` components each. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  dims: number;
}

/** One ranked answer. `score` is a cosine similarity (higher is closer). */
export interface Hit {
  id: string;
  score: number;
}
