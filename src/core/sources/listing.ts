/**
 * Plain-text lists: a scraped listing page like the seed files (read by the seed parser, which tells titles
 * from abstracts by their shape), or a pasted list (blocks separated by blank lines, each a title line
 * followed by its abstract, one line or several).
 */
import { readEntries } from '../corpus/entries';
import type { Paper } from '../types';
import type { FileReport } from './report';

/** Lines only a listing page holds: its chrome, its meta separators and bylines. */
const LISTING_MARKS = /^(?:·|Submitted by\b.*|Upvote|Daily Papers|Copy link|Subscribe|byAK and the research community|Get trending papers in your email inbox.*|•\s*\d+\s+authors?)$/m;

export function looksLikeListing(text: string): boolean {
  return LISTING_MARKS.test(text);
}

export function readListing(lines: string[], report: FileReport): Paper[] {
  const papers: Paper[] = [];
  for (const event of readEntries(lines)) {
    if (event.kind === 'problem') {
      report.problem(event.line, event.message);
      continue;
    }
    const { line, ...entry } = event.entry;
    const paper = report.paper(entry, line);
    if (paper) papers.push(paper);
  }
  return papers;
}

export function readPastedList(lines: string[], report: FileReport): Paper[] {
  const papers: Paper[] = [];
  let block: { line: number; lines: string[] } | null = null;
  const finish = () => {
    if (!block) return;
    const [title, ...rest] = block.lines;
    const paper = report.paper({ title, abstract: rest.join(' ') }, block.line);
    if (paper) papers.push(paper);
    block = null;
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') return finish();
    if (block) block.lines.push(line);
    else block = { line: i + 1, lines: [line] };
  });
  finish();
  return papers;
}
