/**
 * What every import format produces, and the one check that turns a format's fields into a paper, so a
 * BibTeX entry, a JSON object and a pasted block are held to the same rules.
 */
import { paperId } from '../corpus/ids';
import type { Paper } from '../types';

/** A paper the user brought: `imported` set, its one source naming the file and line it came from. */
export type ImportedPaper = Paper & { imported: true };

/** An entry that could not be read as a paper: 1-based line of where it starts, and why. */
export interface ImportProblem {
  line: number;
  reason: string;
}

export interface ImportResult {
  papers: ImportedPaper[];
  problems: ImportProblem[];
}

/** The fields a format found for one entry, before checking. */
export interface ImportFields {
  title?: unknown;
  abstract?: unknown;
  authors?: unknown;
  date?: unknown;
  url?: unknown;
}

/** Longer than any real title; a longer "title" is a whole document pasted into the wrong place. */
export const MAX_TITLE_CHARS = 1000;
/** Generous for an abstract (the seed corpus's longest is ~3k characters); more is not an abstract. */
export const MAX_ABSTRACT_CHARS = 20_000;

/**
 * One entry's fields as a paper, or the reason it is not one. Text is kept verbatim (whitespace
 * collapsed): markup such as `<img ...>` stays plain text, and rendering it safely is the UI's job.
 */
export function toImportedPaper(fields: ImportFields, sourceName: string, line: number): ImportedPaper | string {
  const title = text(fields.title);
  const abstract = text(fields.abstract);
  if (!title) return 'no title';
  if (!abstract) return 'no abstract';
  if (title.length > MAX_TITLE_CHARS) return `title longer than ${MAX_TITLE_CHARS} characters`;
  if (abstract.length > MAX_ABSTRACT_CHARS) return `abstract longer than ${MAX_ABSTRACT_CHARS} characters`;
  const authors = Array.isArray(fields.authors) ? fields.authors.map(text).filter((a): a is string => Boolean(a)) : null;
  const url = text(fields.url);
  return {
    id: paperId(title),
    title,
    abstract,
    authors: authors && authors.length > 0 ? authors : null,
    date: text(fields.date) ?? null,
    sources: [`import:${sourceName}:${line}`],
    imported: true,
    ...(url ? { url } : {}),
  };
}

/**
 * Keeps the first paper per id; later ones become problems naming the line they repeat, so one file
 * never adds the same paper twice.
 */
export function dedupeImported(result: ImportResult): ImportResult {
  const firstLine = new Map<string, number>();
  const papers: ImportedPaper[] = [];
  const problems = [...result.problems];
  for (const paper of result.papers) {
    const line = sourceLine(paper);
    const seen = firstLine.get(paper.id);
    if (seen !== undefined) {
      problems.push({ line, reason: `same paper as line ${seen}` });
      continue;
    }
    firstLine.set(paper.id, line);
    papers.push(paper);
  }
  problems.sort((a, b) => a.line - b.line);
  return { papers, problems };
}

/** A function from an offset in `text` to its 1-based line (binary search over line starts). */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}

function sourceLine(paper: ImportedPaper): number {
  return Number(paper.sources[0].slice(paper.sources[0].lastIndexOf(':') + 1));
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  // NFC: LaTeX accents arrive as combining marks ({\"U} → U + U+0308); compose them so text compares as typed.
  const collapsed = String(value).normalize('NFC').replace(/\s+/g, ' ').trim();
  return collapsed.length > 0 ? collapsed : undefined;
}
