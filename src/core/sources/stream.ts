/**
 * One paper file, read incrementally: push its bytes in chunks of any size, get papers as they complete.
 * Line formats (JSON lines, the arXiv snapshot, CSV) are read line by line, so a file larger than a
 * JavaScript string (the 4 GB arXiv snapshot) streams through; BibTeX, JSON documents and text lists are
 * gathered and read at the end.
 *
 * The encoding is sniffed on the first 64 KB (UTF-8, UTF-16 LE/BE with or without a byte-order mark;
 * binary, compressed and PDF files are refused, naming the file). The format comes from the extension,
 * else from the content: `@` BibTeX, `[` a JSON document, `{` JSON lines (the arXiv snapshot when its
 * records say so), a header row naming a title column CSV, else a listing page or a pasted list.
 */
import type { Paper } from '../types';
import { readBibtex } from './bibtex';
import { CsvRecords, looksLikeCsvHeader, type CsvEvent } from './csv';
import { sniffEncoding, SNIFF_BYTES } from './decode';
import { PaperDeduper } from './dedupe';
import { isArxivRecord } from './arxiv';
import { isJsonObject, jsonDocumentItems, jsonFields, lineLocator } from './json';
import { looksLikeListing, readListing, readPastedList } from './listing';
import { FileReport, MAX_PROBLEMS_PER_FILE } from './report';
import type { PaperFormat, SourceProblem, TextEncodingName } from './types';

export interface ReadOptions {
  /** Read as this format whatever the name and content say. */
  format?: PaperFormat;
  /** Shared by the files of one read, so duplicates across files are found; a fresh one per file otherwise. */
  deduper?: PaperDeduper;
  /** How sources and problems name the file; default: the file name. */
  sourceName?: string;
  maxProblems?: number;
}

const EXTENSION_FORMATS: Record<string, PaperFormat | 'json-or-lines' | 'text'> = {
  bib: 'bibtex',
  bibtex: 'bibtex',
  json: 'json-or-lines',
  jsonl: 'json-or-lines',
  ndjson: 'json-or-lines',
  csv: 'csv',
  tsv: 'csv',
  txt: 'text',
};

/** The format the name says, if it says one ("json-or-lines": JSON, the content tells a document from lines). */
function formatOfName(fileName: string): PaperFormat | 'json-or-lines' | 'text' | undefined {
  const extension = /\.([a-z]+)$/i.exec(fileName)?.[1]?.toLowerCase();
  return extension ? EXTENSION_FORMATS[extension] : undefined;
}

type Mode = { kind: 'json-lines' } | { kind: 'csv'; records: CsvRecords } | { kind: 'whole'; format: PaperFormat | 'text' };

export class PaperFileStream {
  readonly source: string;
  readonly report: FileReport;
  format: PaperFormat | null = null;
  encoding: TextEncodingName | null = null;
  /** Papers this file gave (duplicates of earlier ones not counted). */
  count = 0;
  private readonly head: Uint8Array[] = [];
  private headBytes = 0;
  private decoder: TextDecoder | undefined;
  private refused = false;
  private sawText = false;
  private mode: Mode | undefined;
  /** Text before the format is decided, then the partial last line (line modes) or everything (whole mode). */
  private text: string[] = [];
  private lineNumber = 0;

  constructor(
    readonly fileName: string,
    private readonly options: ReadOptions = {},
  ) {
    this.source = options.sourceName ?? fileName;
    this.report = new FileReport(this.source, options.deduper ?? new PaperDeduper(), options.maxProblems ?? MAX_PROBLEMS_PER_FILE);
  }

  /** The next bytes of the file; returns the papers they complete. */
  push(bytes: Uint8Array): Paper[] {
    if (this.refused) return [];
    if (!this.decoder) {
      this.head.push(bytes);
      this.headBytes += bytes.length;
      if (this.headBytes < SNIFF_BYTES) return [];
      return this.startDecoding(false);
    }
    return this.pushText(this.decoder.decode(bytes, { stream: true }));
  }

  /** Text already decoded (what was pasted, or a file read elsewhere); returns the papers it completes. */
  pushText(text: string): Paper[] {
    if (this.refused || text.length === 0) return [];
    this.encoding ??= 'utf-8';
    if (!this.sawText) {
      text = text.replace(/^\uFEFF/, '');
      this.sawText = text.length > 0;
    }
    if (this.mode?.kind === 'whole') {
      this.text.push(text);
      return [];
    }
    this.text.push(text);
    if (!this.mode) {
      const sofar = this.text.join('');
      this.text = [sofar];
      // Decide once the first non-blank line is whole (or there is plenty to look at).
      const start = sofar.search(/\S/);
      if (start < 0 || (sofar.indexOf('\n', start) < 0 && sofar.length < SNIFF_BYTES)) return [];
      this.mode = this.decideMode(sofar);
      if (this.mode.kind === 'whole') return [];
    }
    return this.readLines(false);
  }

  /** The file has ended; returns the last papers. */
  end(): Paper[] {
    const papers: Paper[] = [];
    if (!this.decoder && !this.refused && this.headBytes > 0) papers.push(...this.startDecoding(true));
    if (this.decoder && !this.refused) papers.push(...this.pushText(this.decoder.decode()));
    if (!this.refused) {
      if (!this.mode && this.text.join('').trim() !== '') this.mode = this.decideMode(this.text.join(''));
      if (this.mode?.kind === 'whole') papers.push(...this.readWhole(this.mode.format));
      else if (this.mode) papers.push(...this.readLines(true));
      if (this.mode?.kind === 'json-lines') this.format ??= this.options.format ?? 'json';
      if (this.headBytes === 0 && !this.sawText) this.report.problem(0, 'the file is empty');
      else if (!this.mode) this.report.problem(0, 'the file holds only white space');
      else if (this.count === 0 && this.report.problems().length === 0) this.report.problem(0, 'no papers found');
    }
    this.text = [];
    return papers;
  }

  problems(): SourceProblem[] {
    return this.report.problems();
  }

  private startDecoding(complete: boolean): Paper[] {
    const head = concat(this.head, this.headBytes);
    this.head.length = 0;
    const verdict = sniffEncoding(head.subarray(0, SNIFF_BYTES), this.fileName, complete && head.length <= SNIFF_BYTES);
    if ('refused' in verdict) {
      this.refused = true;
      this.report.problem(0, verdict.refused);
      return [];
    }
    if (verdict.note) this.report.problem(0, verdict.note, 'warning');
    this.encoding = verdict.encoding;
    // TextDecoder drops a byte-order mark of its own encoding (ignoreBOM is false by default).
    this.decoder = new TextDecoder(verdict.encoding);
    return this.pushText(this.decoder.decode(head, { stream: true }));
  }

  private decideMode(head: string): Mode {
    const named = this.options.format ?? formatOfName(this.fileName);
    // BibTeX allows free text and % comments before the first entry; JSON allows none.
    const start = head.replace(/^(\s|%[^\n]*\n)*/, '');
    const firstLine = start.split(/\r?\n/, 1)[0].trim();
    const jsonMode = (): Mode => {
      // JSON lines put a whole object on each line; a pretty-printed document's first line is "{" or ends in ",".
      if (start.startsWith('{') && firstLine.endsWith('}')) return { kind: 'json-lines' };
      return { kind: 'whole', format: 'json' };
    };
    switch (named) {
      case 'bibtex':
      case 'listing':
      case 'pasted':
        return { kind: 'whole', format: named };
      case 'csv':
        this.format = 'csv';
        return { kind: 'csv', records: new CsvRecords() };
      case 'json':
      case 'arxiv':
      case 'json-or-lines':
        return jsonMode();
    }
    if (start.startsWith('@')) return { kind: 'whole', format: 'bibtex' };
    if (start.startsWith('{') || start.startsWith('[')) return jsonMode();
    if (named !== 'text' && looksLikeCsvHeader(firstLine)) {
      this.format = 'csv';
      return { kind: 'csv', records: new CsvRecords() };
    }
    return { kind: 'whole', format: 'text' };
  }

  /** Reads the complete lines held (all of them at the end). */
  private readLines(atEnd: boolean): Paper[] {
    const all = this.text.join('');
    const lines = all.split('\n');
    const rest = atEnd ? '' : (lines.pop() ?? '');
    this.text = rest ? [rest] : [];
    const papers: Paper[] = [];
    for (const raw of lines) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      this.lineNumber++;
      if (this.mode?.kind === 'csv') for (const event of this.mode.records.push(line, this.lineNumber)) this.csvEvent(event, papers);
      else this.jsonLine(line, papers);
    }
    if (atEnd && this.mode?.kind === 'csv') for (const event of this.mode.records.end()) this.csvEvent(event, papers);
    return papers;
  }

  private jsonLine(line: string, papers: Paper[]): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      this.report.problem(this.lineNumber, `not valid JSON (${(e as Error).message})`);
      return;
    }
    this.jsonValue(value, this.lineNumber, papers);
  }

  private jsonValue(value: unknown, line: number, papers: Paper[]): void {
    if (!isJsonObject(value)) {
      this.report.problem(line, 'not an object with title and abstract');
      return;
    }
    this.format ??= this.options.format ?? (isArxivRecord(value) ? 'arxiv' : 'json');
    this.keep(this.report.paper(jsonFields(value), line), papers);
  }

  private csvEvent(event: CsvEvent, papers: Paper[]): void {
    if ('error' in event) this.report.problem(event.line, event.error, event.severity);
    else this.keep(this.report.paper(event.fields, event.line), papers);
  }

  private keep(paper: Paper | null, papers: Paper[]): void {
    if (!paper) return;
    this.count++;
    papers.push(paper);
  }

  private readWhole(format: PaperFormat | 'text'): Paper[] {
    const text = this.text.join('');
    this.text = [];
    let papers: Paper[] = [];
    if (format === 'bibtex') papers = readBibtex(text, this.report);
    else if (format === 'json' || format === 'arxiv') {
      for (const item of jsonDocumentItems(text, lineLocator(text))) {
        if ('error' in item) this.report.problem(item.line, item.error);
        else this.jsonValue(item.value, item.line, papers);
      }
      this.format ??= 'json';
      return papers;
    } else {
      const lines = text.split(/\r\n|\r|\n/);
      const listing = format === 'listing' || (format === 'text' && looksLikeListing(text));
      this.format = listing ? 'listing' : 'pasted';
      papers = listing ? readListing(lines, this.report) : readPastedList(lines, this.report);
    }
    this.format ??= format as PaperFormat;
    this.count += papers.length;
    return papers;
  }
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
