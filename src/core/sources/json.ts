/**
 * JSON paper files: an array of objects, one object, or JSON lines (one object per line), each
 * `{id?, title, abstract, authors?, date?, url?, doi?, categories?, ...}` or an arXiv snapshot record.
 * Extra fields are ignored.
 */
import { arxivFields, isArxivRecord } from './arxiv';
import { arxivIdOf, type RecordFields } from './record';

export type JsonRecord = Record<string, unknown>;

export function isJsonObject(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A parsed object's fields, the arXiv way when it is an arXiv record. */
export function jsonFields(record: JsonRecord): RecordFields {
  if (isArxivRecord(record)) return arxivFields(record);
  const first = (...names: string[]) => names.map((n) => record[n]).find((v) => v !== undefined && v !== null && v !== '');
  const url = first('url', 'link');
  return {
    id: first('id', 'key'),
    title: record.title,
    abstract: first('abstract', 'summary'),
    authors: first('authors', 'author'),
    date: first('date', 'year'),
    published: first('published', 'date', 'year'),
    url,
    doi: record.doi,
    categories: first('categories', 'category', 'keywords'),
    venue: first('venue', 'journal', 'booktitle'),
    arxivId: first('arxivId', 'arxiv_id', 'arxiv') ?? arxivIdOf(url),
  };
}

export type JsonItem = { line: number; value: unknown } | { line: number; error: string };

/** A JSON array's (or single object's) elements with the line each starts on, or why the text is not JSON. */
export function jsonDocumentItems(input: string, lineOf: (offset: number) => number): JsonItem[] {
  let values: unknown;
  try {
    values = JSON.parse(input);
  } catch (e) {
    // One syntax error spoils the whole document; JSON lines would let the other entries through.
    return [{ line: 1, error: `not valid JSON (${(e as Error).message})` }];
  }
  if (!Array.isArray(values)) return [{ line: lineOf(input.search(/\S/)), value: values }];
  // JSON.parse gives no positions, so a small scan (strings and nesting only) finds where each element begins.
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let awaitingElement = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (awaitingElement && !/\s/.test(c) && c !== ']') {
      starts.push(lineOf(i));
      awaitingElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) awaitingElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) awaitingElement = true;
  }
  return values.map((value, i) => ({ line: starts[i] ?? 1, value }));
}

/** A function from an offset in `text` to its 1-based line (binary search over line starts). */
export function lineLocator(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (starts[mid] <= offset) low = mid;
      else high = mid - 1;
    }
    return low + 1;
  };
}
