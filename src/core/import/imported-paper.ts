/** What the import box produces: the reader's papers, marked as the user's, with problems by line. */
import type { Paper } from '../types';

// From the record module, not the sources index: that would pull every file reader (BibTeX, LaTeX tables) into
// whatever imports these limits, the engine worker's first chunk included.
export { MAX_TITLE_CHARS, MAX_ABSTRACT_CHARS } from '../sources/record';

/** A paper the user brought: `imported` set, its one source naming the file and line it came from. */
export type ImportedPaper = Paper & { imported: true };

/**
 * An entry that could not be taken as it stood: 1-based line of where it starts (0: the whole file), why,
 * and whether the entry was lost (`error`) or kept (`warning`: a duplicate, an unresolved @string).
 */
export interface ImportProblem {
  line: number;
  reason: string;
  severity: 'error' | 'warning';
}

export interface ImportResult {
  papers: ImportedPaper[];
  problems: ImportProblem[];
}
