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
  /**
   * The paper's link (http(s) only): the arXiv abs page for an arXiv record, else https://doi.org/<doi>, else the
   * record's own url. The seed listings carry none.
   */
  url?: string;
  /** When the paper appeared, as much of YYYY-MM-DD as the source gives ("2007", "2007-04", "2007-04-02"): filters and date sort read this, `date` is for display. */
  published?: string;
  /** Subject categories as the source names them ("cs.LG", "hep-ph"), primary first. */
  categories?: string[];
  /** The DOI without a resolver prefix ("10.1103/PhysRevD.76.013009"). */
  doi?: string;
  /** Journal or venue as the source prints it (arXiv's journal-ref, BibTeX's journal/booktitle). */
  venue?: string;
  /** The arXiv identifier when the paper has one ("0704.0001", "2106.09685"), whatever the paper's own id is. */
  arxivId?: string;
}

/** The metadata fields a corpus record may carry beyond title and abstract, in a fixed order (the corpus hash reads them in it). */
export const PAPER_METADATA_FIELDS = ['url', 'published', 'categories', 'doi', 'venue', 'arxivId'] as const;

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
