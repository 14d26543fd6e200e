import { readFile, writeFile } from 'node:fs/promises';

/**
 * Replaces the part of a doc a bench generates, between `<!-- <bench>: generated from here -->` and
 * `<!-- <bench>: generated up to here -->`, and keeps what people wrote around it. Without the markers the
 * section goes at the end of the file.
 */
export async function writeDocSection(path: string, bench: string, report: string): Promise<void> {
  const startMark = `<!-- ${bench}: generated from here -->`;
  const endMark = `<!-- ${bench}: generated up to here -->`;
  const old = await readFile(path, 'utf8').catch(() => '');
  const start = old.indexOf(startMark);
  const end = old.indexOf(endMark);
  const generated = `${startMark}\n${report.trimEnd()}\n${endMark}`;
  const next =
    start >= 0 && end > start ? old.slice(0, start) + generated + old.slice(end + endMark.length) : `${old.trimEnd()}\n\n${generated}\n`;
  await writeFile(path, next.endsWith('\n') ? next : `${next}\n`);
}
