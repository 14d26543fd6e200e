/**
 * CSV (or TSV) with a header row → records, fed line by line so a large file streams. Library: papaparse
 * 5 (well kept, no dependencies, the same code in the browser worker and in Node) reads each record: quotes,
 * doubled quotes, delimiters inside fields. Records are cut from the lines here, by quote parity (RFC 4180
 * escapes a quote by doubling it, so a record is complete when it holds an even number of quotes), which
 * lets us feed papaparse record by record with line numbers, from chunks of any size.
 */
import Papa from 'papaparse';
import type { RecordFields } from './record';

/** Header names (lower case, spaces and dashes as underscores) → record field, common aliases included. */
const COLUMNS: Record<string, keyof RecordFields> = {
  id: 'id', key: 'id', paper_id: 'id', identifier: 'id',
  title: 'title', paper_title: 'title',
  abstract: 'abstract', summary: 'abstract',
  authors: 'authors', author: 'authors',
  date: 'date', year: 'date', published: 'published', publication_date: 'published', pub_date: 'published',
  url: 'url', link: 'url',
  doi: 'doi',
  categories: 'categories', category: 'categories', keywords: 'categories',
  venue: 'venue', journal: 'venue', booktitle: 'venue',
  arxiv_id: 'arxivId', arxivid: 'arxivId', arxiv: 'arxivId',
};

const normaliseHeader = (name: string) => name.trim().toLowerCase().replace(/[\s-]+/g, '_');

/** Whether a first line reads as a CSV header that names a title column. */
export function looksLikeCsvHeader(line: string): boolean {
  const { data, meta } = Papa.parse<string[]>(line, { delimitersToGuess: [',', '\t', ';', '|'] });
  const header = data[0] ?? [];
  return header.length >= 2 && meta.delimiter !== undefined && header.some((h) => COLUMNS[normaliseHeader(h)] === 'title');
}

/** The longest record read as one: past it, an unclosed quote is reported rather than swallowing the file. */
const MAX_RECORD_LINES = 500;

export type CsvEvent = { line: number; fields: RecordFields } | { line: number; error: string; severity?: 'error' | 'warning' };

export class CsvRecords {
  private delimiter: string | undefined;
  private columns: (keyof RecordFields | undefined)[] | undefined;
  private pending: string[] = [];
  private pendingLine = 0;
  private quotes = 0;
  /** The header lacks a title or abstract column: rows are not read (the header's problem says why). */
  private refused = false;

  /** One line (without its line break) and its 1-based number; returns what it completes. */
  push(line: string, lineNumber: number): CsvEvent[] {
    if (this.pending.length === 0) {
      if (line.trim() === '') return [];
      this.pendingLine = lineNumber;
    }
    this.pending.push(line);
    this.quotes += countQuotes(line);
    if (this.quotes % 2 === 0) return this.flush();
    if (this.pending.length >= MAX_RECORD_LINES) {
      const start = this.pendingLine;
      this.pending = [];
      this.quotes = 0;
      return [{ line: start, error: `a quoted field opened here is not closed within ${MAX_RECORD_LINES} lines; skipped those lines` }];
    }
    return [];
  }

  end(): CsvEvent[] {
    if (this.pending.length === 0) return [];
    const start = this.pendingLine;
    this.pending = [];
    return [{ line: start, error: 'a quoted field opened here is never closed' }];
  }

  private flush(): CsvEvent[] {
    const text = this.pending.join('\n');
    const line = this.pendingLine;
    this.pending = [];
    this.quotes = 0;
    if (this.refused) return [];
    if (!this.columns) return this.readHeader(text, line);
    const { data, errors } = Papa.parse<string[]>(text, { delimiter: this.delimiter });
    const row = data[0];
    if (!row || errors.length > 0) return [{ line, error: `not a CSV row (${errors[0]?.message ?? 'empty'})` }];
    const fields: Record<string, string> = {};
    this.columns.forEach((field, i) => {
      if (field && row[i] !== undefined && row[i] !== '' && fields[field] === undefined) fields[field] = row[i];
    });
    if (row.length > this.columns.length) return [{ line, fields }, { line, error: `${row.length} fields where the header has ${this.columns.length}; the extra ones are ignored`, severity: 'warning' }];
    return [{ line, fields }];
  }

  private readHeader(text: string, line: number): CsvEvent[] {
    const { data, meta } = Papa.parse<string[]>(text, { delimitersToGuess: [',', '\t', ';', '|'] });
    this.delimiter = meta.delimiter;
    const header = data[0] ?? [];
    this.columns = header.map((h) => COLUMNS[normaliseHeader(h)]);
    const missing = (['title', 'abstract'] as const).filter((f) => !this.columns!.includes(f));
    this.refused = missing.length > 0;
    if (this.refused) return [{ line, error: `the header row (${header.join(', ').slice(0, 120)}) has no ${missing.join(' or ')} column` }];
    return [];
  }
}

function countQuotes(line: string): number {
  let n = 0;
  for (let i = line.indexOf('"'); i >= 0; i = line.indexOf('"', i + 1)) n++;
  return n;
}
