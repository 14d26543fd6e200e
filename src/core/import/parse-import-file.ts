/**
 * One entry point for everything a user can hand the import box: a BibTeX file, a JSON or JSON-lines
 * file, or a pasted list. The format comes from the file name when it says, else from the first
 * character that is not a comment or space.
 */
import { parseBibtex } from './parse-bibtex';
import { parseJsonPapers } from './parse-json-papers';
import { parsePastedList } from './parse-pasted-list';
import type { ImportResult } from './imported-paper';

export type ImportFormat = 'bibtex' | 'json' | 'pasted';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['bibtex', 'json', 'pasted'];

export function detectImportFormat(fileName: string, text: string): ImportFormat {
  const extension = /\.([a-z]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  if (extension === 'bib' || extension === 'bibtex') return 'bibtex';
  if (extension === 'json' || extension === 'jsonl' || extension === 'ndjson') return 'json';
  // BibTeX allows free text and % comments before the first entry; JSON allows none.
  const start = text.replace(/^\uFEFF/, '').replace(/^(\s|%[^\n]*\n)*/, '');
  if (start.startsWith('@')) return 'bibtex';
  if (start.startsWith('{') || start.startsWith('[')) return 'json';
  return 'pasted';
}

export function parseImportFile(text: string, fileName: string, format: ImportFormat = detectImportFormat(fileName, text)): ImportResult & { format: ImportFormat } {
  const result = format === 'bibtex' ? parseBibtex(text, fileName) : format === 'json' ? parseJsonPapers(text, fileName) : parsePastedList(text);
  return { ...result, format };
}
