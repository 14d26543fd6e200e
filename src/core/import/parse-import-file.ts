/**
 * One entry point for everything a user can hand the import box or `--with`: a file's bytes (any format
 * src/core/sources reads, encoding detected) or pasted text. Papers keep their own ids (BibTeX key, JSON
 * id, arXiv id) and are named `import:<file>:<line>` in their sources.
 */
import { PAPER_FORMATS, readPaperFile, type PaperFormat } from '../sources';
import type { ImportResult, ImportedPaper } from './imported-paper';

export type ImportFormat = PaperFormat;
export const IMPORT_FORMATS: readonly ImportFormat[] = PAPER_FORMATS;

/** How pasted papers are named in their sources: `import:pasted:<line>`. */
export const PASTED_SOURCE = 'pasted';

export function parseImportFile(
  input: Uint8Array | string,
  fileName: string,
  format?: ImportFormat,
): ImportResult & { format: ImportFormat | null } {
  const read = readPaperFile(input, fileName, { format, sourceName: `import:${fileName}` });
  return {
    papers: read.papers.map((paper): ImportedPaper => ({ ...paper, imported: true })),
    problems: read.problems.map(({ line, message, severity }) => ({ line, reason: message, severity })),
    format: read.format,
  };
}

/** Shorthands that name the format. */
export const parseBibtex = (text: string | Uint8Array, fileName: string) => parseImportFile(text, fileName, 'bibtex');
export const parseJsonPapers = (text: string | Uint8Array, fileName: string) => parseImportFile(text, fileName, 'json');
export const parsePastedList = (text: string) => parseImportFile(text, PASTED_SOURCE, 'pasted');
