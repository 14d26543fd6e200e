import type { Paper } from '../types';
import { dedupePapers } from './dedupe';
import { parseSeedFile, type ParseProblem } from './parse';

export interface CorpusFile {
  /** How sources name the file, e.g. "seeds/000_642b5ed72580e05c.txt". */
  name: string;
  text: string;
}

/**
 * Parses every listing and merges them into one deduplicated corpus. Files are read in order of name
 * (code-unit order, the same in every runtime and locale), so paper order does not depend on the order
 * the caller listed the files in.
 */
export function buildCorpus(files: readonly CorpusFile[]): { papers: Paper[]; problems: ParseProblem[] } {
  const byName = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const results = byName.map((file) => parseSeedFile(file.text, file.name));
  return {
    papers: dedupePapers(results.flatMap((result) => result.papers)),
    problems: results.flatMap((result) => result.problems),
  };
}
