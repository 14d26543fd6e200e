/**
 * Pasted text → papers: blocks separated by blank lines, each a title line followed by its abstract
 * (one line or several, joined). A block of one line has no abstract and is reported.
 */
import { dedupeImported, toImportedPaper, type ImportProblem, type ImportResult, type ImportedPaper } from './imported-paper';

/** How pasted papers are named in their sources: `import:pasted:<line>`. */
export const PASTED_SOURCE = 'pasted';

export function parsePastedList(text: string): ImportResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const papers: ImportedPaper[] = [];
  const problems: ImportProblem[] = [];
  let block: { line: number; lines: string[] } | null = null;
  const finish = () => {
    if (!block) return;
    const [title, ...rest] = block.lines;
    const result = toImportedPaper({ title, abstract: rest.join(' ') }, PASTED_SOURCE, block.line);
    if (typeof result === 'string') problems.push({ line: block.line, reason: result });
    else papers.push(result);
    block = null;
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') return finish();
    if (block) block.lines.push(line);
    else block = { line: i + 1, lines: [line] };
  });
  finish();
  if (papers.length === 0 && problems.length === 0) problems.push({ line: 1, reason: 'nothing pasted' });
  return dedupeImported({ papers, problems });
}
