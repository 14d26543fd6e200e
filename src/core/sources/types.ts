import type { Paper } from '../types';

/**
 * The formats a paper file can be in. `arxiv`: the arXiv metadata snapshot (JSON lines of arXiv records);
 * `json`: a JSON array or JSON lines of `{id?, title, abstract, ...}`; `listing`: a scraped listing page like
 * the seed files; `pasted`: blocks of a title line and its abstract, separated by blank lines.
 */
export type PaperFormat = 'arxiv' | 'json' | 'bibtex' | 'csv' | 'listing' | 'pasted';
export const PAPER_FORMATS: readonly PaperFormat[] = ['arxiv', 'json', 'bibtex', 'csv', 'listing', 'pasted'];

/** How a file's bytes were read as text. */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

/**
 * Something a reader could not take as it stood. An `error` lost an entry (or the whole file, at line 0);
 * a `warning` kept it (a duplicate dropped in favour of the first, an unresolved @string left as its name).
 */
export interface SourceProblem {
  /** The file as the caller named it. */
  source: string;
  /** 1-based line where the entry starts; 0 when the problem concerns the whole file. */
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface PaperFileResult {
  papers: Paper[];
  problems: SourceProblem[];
  /** The format the file was read as; null when it was refused before (binary, compressed, unreadable). */
  format: PaperFormat | null;
  encoding: TextEncodingName | null;
}
