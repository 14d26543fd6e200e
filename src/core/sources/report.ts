import type { Paper } from '../types';
import type { PaperDeduper } from './dedupe';
import { recordToPaper, type RecordFields } from './record';
import type { SourceProblem } from './types';

/** Enough to see what is wrong with a file; a file wrong on every line would otherwise hold millions. */
export const MAX_PROBLEMS_PER_FILE = 1000;

/** One file's outcome as it is read: records checked into papers, duplicates and problems noted. */
export class FileReport {
  private readonly kept: SourceProblem[] = [];
  private dropped = { error: 0, warning: 0 };

  constructor(
    readonly source: string,
    private readonly deduper: PaperDeduper,
    private readonly maxProblems = MAX_PROBLEMS_PER_FILE,
  ) {}

  problem(line: number, message: string, severity: SourceProblem['severity'] = 'error'): void {
    // Messages quote the file (JSON.parse quotes the text it choked on): its control characters go out escaped.
    const shown = message.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (this.kept.length < this.maxProblems) this.kept.push({ source: this.source, line, message: shown, severity });
    else this.dropped[severity]++;
  }

  /** The record as a checked, first-seen paper; null when it is not one or repeats one (the reason is noted). */
  paper(fields: RecordFields, line: number, label?: string): Paper | null {
    const prefix = label ? `${label}: ` : '';
    const result = recordToPaper(fields, `${this.source}:${line}`, (message) => this.problem(line, prefix + message, 'warning'));
    if (typeof result === 'string') {
      this.problem(line, prefix + result);
      return null;
    }
    const duplicate = this.deduper.admit(result.paper, this.source, line, result.ownId);
    if (duplicate) {
      this.problem(line, prefix + duplicate, 'warning');
      return null;
    }
    return result.paper;
  }

  /** Problems in line order (a whole-file problem first), and a count of any past the cap. */
  problems(): SourceProblem[] {
    const out = [...this.kept].sort((a, b) => a.line - b.line);
    for (const severity of ['error', 'warning'] as const) {
      const n = this.dropped[severity];
      if (n > 0) out.push({ source: this.source, line: 0, message: `and ${n} more ${severity}s not listed`, severity });
    }
    return out;
  }

  get errorCount(): number {
    return this.kept.filter((p) => p.severity === 'error').length + this.dropped.error;
  }
}
