import { readEntries } from './entries';

/** Something in a listing that could not be read as (part of) a paper. */
export interface ParseProblem {
  /** The file name as given to the parser, e.g. "seeds/000_642b5ed72580e05c.txt". */
  source: string;
  /** 1-based line; 0 when the problem concerns the whole file. */
  line: number;
  message: string;
}

/** One paper of one listing, before deduplication across listings. */
export interface ParsedPaper {
  title: string;
  abstract: string;
  authors: string[] | null;
  date: string | null;
  /** File name and 1-based line of the title: "seeds/000_642b5ed72580e05c.txt:12". */
  source: string;
}

/** Parses one listing page; `sourceName` is how sources and problems will name the file. */
export function parseSeedFile(text: string, sourceName: string): { papers: ParsedPaper[]; problems: ParseProblem[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const papers: ParsedPaper[] = [];
  const problems: ParseProblem[] = [];
  for (const event of readEntries(lines)) {
    if (event.kind === 'problem') {
      problems.push({ source: sourceName, line: event.line, message: event.message });
    } else {
      const { line, ...paper } = event.entry;
      papers.push({ ...paper, source: `${sourceName}:${line}` });
    }
  }
  // An entry is only yielded once its meta block is read, so problems can arrive ahead of earlier ones.
  problems.sort((a, b) => a.line - b.line);
  if (papers.length === 0) problems.push({ source: sourceName, line: 0, message: 'no papers found' });
  return { papers, problems };
}
