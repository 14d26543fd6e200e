import { PaperDeduper } from './dedupe';
import { PaperFileStream, type ReadOptions } from './stream';
import type { PaperFileResult, SourceProblem } from './types';
import type { Paper } from '../types';

/**
 * A whole paper file (bytes, or text already decoded) as papers and problems. For files too large to hold,
 * feed a PaperFileStream instead.
 */
export function readPaperFile(input: Uint8Array | string, fileName: string, options: ReadOptions = {}): PaperFileResult {
  const stream = new PaperFileStream(fileName, options);
  const papers = typeof input === 'string' ? stream.pushText(input) : stream.push(input);
  papers.push(...stream.end());
  return { papers, problems: stream.problems(), format: stream.format, encoding: stream.encoding };
}

export interface PaperFilesResult {
  papers: Paper[];
  problems: SourceProblem[];
  files: { name: string; format: PaperFileResult['format']; encoding: PaperFileResult['encoding']; papers: number }[];
}

/**
 * Several files as one corpus: read in the order given, duplicates across them reported once (the first
 * kept). The browser's way of reading a corpus; Node streams paths through src/cli/paper-files.ts.
 */
export function readPaperFiles(files: readonly { name: string; bytes: Uint8Array | string }[], options: Omit<ReadOptions, 'deduper' | 'sourceName'> = {}): PaperFilesResult {
  const deduper = new PaperDeduper();
  const result: PaperFilesResult = { papers: [], problems: [], files: [] };
  for (const file of files) {
    const read = readPaperFile(file.bytes, file.name, { ...options, deduper });
    for (const paper of read.papers) result.papers.push(paper);
    result.problems.push(...read.problems);
    result.files.push({ name: file.name, format: read.format, encoding: read.encoding, papers: read.papers.length });
  }
  return result;
}
