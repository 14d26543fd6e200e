/**
 * Paper files from disk, for `--corpus`, `--with` and build-index: paths checked before anything loads,
 * then each file streamed through the core reader (src/core/sources) in 1 MB chunks, so the 4 GB arXiv
 * snapshot is read without ever being one string. Encoding and format are detected from the first bytes.
 *
 *   const problems = checkInputPaths(paths, '--corpus');        // before the model or engine loads
 *   const { papers, problems } = await readPaperPaths(paths);   // all papers, duplicates across files dropped
 *   await streamPaperPath(path, { deduper, onPapers })          // or batch by batch, for corpora too big to hold
 */
import { accessSync, constants, createReadStream, statSync } from 'node:fs';
import { PaperDeduper, PaperFileStream, type PaperFileResult, type PaperFilesResult, type ReadOptions, type SourceProblem } from '../core/sources';
import type { Paper } from '../core/types';

/**
 * Why each path cannot be read as a paper file (missing, a directory, unreadable, empty), one message per
 * bad path, naming it and the flag it came from; empty when all are fine. Cheap: call it before loading
 * the model, so a typo costs no wait.
 */
export function checkInputPaths(paths: readonly string[], flag: string): string[] {
  const messages: string[] = [];
  for (const path of paths) {
    let stats;
    try {
      stats = statSync(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      messages.push(code === 'ENOENT' ? `${flag} ${path}: no such file` : `${flag} ${path}: cannot be read (${code ?? (e as Error).message})`);
      continue;
    }
    if (stats.isDirectory()) {
      messages.push(`${flag} ${path} is a directory; give the paper files inside it (for example ${path.replace(/\/$/, '')}/*.bib)`);
      continue;
    }
    if (!stats.isFile()) {
      messages.push(`${flag} ${path} is not a regular file`);
      continue;
    }
    try {
      accessSync(path, constants.R_OK);
    } catch {
      messages.push(`${flag} ${path}: permission denied`);
      continue;
    }
    if (stats.size === 0) messages.push(`${flag} ${path} is empty`);
  }
  return messages;
}

/** One line per problem, compiler-style: `file:line: warning: message` (no line for a whole-file problem). */
export function formatProblem(problem: SourceProblem): string {
  return `${problem.source}${problem.line > 0 ? `:${problem.line}` : ''}: ${problem.severity}: ${problem.message}`;
}

export interface StreamOptions extends ReadOptions {
  /** Called with each batch of papers as the file is read (in file order); awaited before reading on. */
  onPapers?: (papers: Paper[]) => void | Promise<void>;
}

/** Streams one file through the reader; the papers go to `onPapers`, the summary is returned. */
export async function streamPaperPath(path: string, options: StreamOptions = {}): Promise<Omit<PaperFileResult, 'papers'> & { count: number }> {
  const reader = new PaperFileStream(path, options);
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const papers = reader.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (papers.length > 0) await options.onPapers?.(papers);
  }
  const last = reader.end();
  if (last.length > 0) await options.onPapers?.(last);
  return { problems: reader.problems(), format: reader.format, encoding: reader.encoding, count: reader.count };
}

/** Every file's papers, in the order given; a paper repeated across files is reported once, the first kept. */
export async function readPaperPaths(paths: readonly string[], options: Omit<ReadOptions, 'deduper' | 'sourceName'> = {}): Promise<PaperFilesResult> {
  const deduper = new PaperDeduper();
  const result: PaperFilesResult = { papers: [], problems: [], files: [] };
  for (const path of paths) {
    const read = await streamPaperPath(path, {
      ...options,
      deduper,
      onPapers: (papers) => {
        for (const paper of papers) result.papers.push(paper);
      },
    });
    result.problems.push(...read.problems);
    result.files.push({ name: path, format: read.format, encoding: read.encoding, papers: read.count });
  }
  return result;
}
