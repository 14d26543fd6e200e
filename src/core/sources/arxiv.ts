/**
 * The arXiv metadata snapshot (Kaggle's arxiv-metadata-oai-snapshot.json, one JSON object per line): its
 * records as papers. Titles and abstracts carry hard line breaks and LaTeX, converted as BibTeX is.
 */
import { latexToText } from './latex';
import { arxivIdOf, displayDate, publishedDate, text, type RecordFields } from './record';

/** A record of the snapshot: it carries fields no generic paper file would. */
export function isArxivRecord(record: Record<string, unknown>): boolean {
  return Array.isArray(record.authors_parsed) || Array.isArray(record.versions) || (typeof record.update_date === 'string' && 'id' in record);
}

export function arxivFields(record: Record<string, unknown>): RecordFields {
  const names = parsedAuthors(record.authors_parsed);
  const values: Record<string, string> = {
    title: typeof record.title === 'string' ? record.title : '',
    abstract: typeof record.abstract === 'string' ? record.abstract : '',
  };
  if (!names && typeof record.authors === 'string') values.authors = record.authors;
  names?.forEach((name, i) => (values[`author${i}`] = name));
  // One conversion call for the whole record: the parser's fixed cost per call is most of the cost.
  const converted = latexToText(values);
  const id = text(record.id);
  const published = firstVersionDate(record.versions) ?? publishedDate(record.update_date);
  return {
    id,
    title: converted.title,
    abstract: converted.abstract,
    authors: names ? names.map((_, i) => converted[`author${i}`]) : converted.authors,
    date: displayDate(published),
    published,
    doi: record.doi,
    categories: typeof record.categories === 'string' ? record.categories.split(/\s+/).filter(Boolean) : record.categories,
    venue: record['journal-ref'],
    arxivId: arxivIdOf(id) ?? id,
  };
}

/** `authors_parsed` ([[last, first, suffix], ...]) as "First Last Suffix"; undefined when absent. */
function parsedAuthors(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.map((parts) => (Array.isArray(parts) ? [parts[1], parts[0], parts[2]].filter((p) => typeof p === 'string' && p.trim()).join(' ') : String(parts)));
}

/** The date version 1 was submitted ("Mon, 2 Apr 2007 19:18:42 GMT" → "2007-04-02"). */
function firstVersionDate(versions: unknown): string | undefined {
  if (!Array.isArray(versions)) return undefined;
  const first = versions.find((v) => v?.version === 'v1') ?? versions[0];
  return publishedDate(first?.created);
}
