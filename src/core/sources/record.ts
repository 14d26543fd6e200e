/**
 * One record's fields → a Paper, or why it is not one. Every format (arXiv, JSON, BibTeX, CSV, listings)
 * ends here, so they are held to the same rules: a title and an abstract of sane length, the record's own id
 * when it has a usable one (else the title's slug), links only when http(s), dates as far as YYYY-MM-DD goes.
 */
import { paperId } from '../corpus/ids';
import type { Paper } from '../types';

/** What a format found for one record, before checking. Values are whatever the file held. */
export interface RecordFields {
  id?: unknown;
  title?: unknown;
  abstract?: unknown;
  authors?: unknown;
  /** Shown as printed; also read for `published` when that is absent. */
  date?: unknown;
  published?: unknown;
  url?: unknown;
  doi?: unknown;
  categories?: unknown;
  venue?: unknown;
  arxivId?: unknown;
}

/** Longer than any real title; a longer "title" is a whole document pasted into the wrong place. */
export const MAX_TITLE_CHARS = 1000;
/** Generous for an abstract (the seed corpus's longest is ~3k characters); more is not an abstract. */
export const MAX_ABSTRACT_CHARS = 20_000;
/** Ids travel in URLs (`?similar=`), tables and joins: no whitespace or control characters, and not endless. */
const USABLE_ID = /^[^\s\p{Cc}]{1,200}$/u;
/** New-style (2106.09685) and old-style (hep-th/0701001) arXiv identifiers, without a version. */
export const ARXIV_ID = /^(?:\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?\/\d{7})$/;

export interface RecordPaper {
  paper: Paper;
  /** False when the id is the title's slug: the record had none (or none usable). */
  ownId: boolean;
}

/**
 * Checks and shapes one record. `warn` hears what was kept in another form (an unusable id, a link that is
 * not http(s)); the returned string is why the record is not a paper.
 */
export function recordToPaper(fields: RecordFields, source: string, warn: (message: string) => void): RecordPaper | string {
  const title = text(fields.title);
  const abstract = text(fields.abstract);
  if (!title) return 'no title';
  if (!abstract) return 'no abstract';
  if (title.length > MAX_TITLE_CHARS) return `title longer than ${MAX_TITLE_CHARS} characters`;
  if (abstract.length > MAX_ABSTRACT_CHARS) return `abstract longer than ${MAX_ABSTRACT_CHARS} characters`;
  const givenId = text(fields.id);
  let ownId = givenId !== undefined && USABLE_ID.test(givenId);
  if (givenId !== undefined && !ownId) warn(`id "${givenId.slice(0, 60)}" has spaces or control characters or is too long; the title's slug is used instead`);
  const id = ownId ? givenId! : paperId(title);
  if (!id) ownId = false;

  const authors = authorList(fields.authors);
  const date = text(fields.date);
  const published = publishedDate(fields.published) ?? publishedDate(fields.date);
  const doi = doiOf(fields.doi);
  const arxivId = arxivIdOf(fields.arxivId);
  let url = text(fields.url);
  if (url && !/^https?:\/\//i.test(url)) {
    warn(`link "${url.slice(0, 60)}" is not http(s); left out`);
    url = undefined;
  }
  const link = arxivId ? `https://arxiv.org/abs/${arxivId}` : doi ? `https://doi.org/${doi}` : url;
  const categories = listOf(fields.categories);
  const venue = text(fields.venue);
  const paper: Paper = {
    id,
    title,
    abstract,
    authors: authors.length > 0 ? authors : null,
    date: date ?? null,
    sources: [source],
  };
  if (link) paper.url = link;
  if (published) paper.published = published;
  if (categories.length > 0) paper.categories = categories;
  if (doi) paper.doi = doi;
  if (venue) paper.venue = venue;
  if (arxivId) paper.arxivId = arxivId;
  return { paper, ownId };
}

/** A string or number as collapsed text (NFC: LaTeX accents arrive as combining marks), undefined when empty. */
export function text(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  let collapsed = String(value);
  // Both steps cost more than the rest of a record's checks; most text needs neither (ASCII, single spaces).
  if (/[^\x00-\x7f]/.test(collapsed)) collapsed = collapsed.normalize('NFC');
  if (/\s\s|[^\S ]/.test(collapsed)) collapsed = collapsed.replace(/\s+/g, ' ');
  collapsed = collapsed.trim();
  return collapsed.length > 0 ? collapsed : undefined;
}

/**
 * Authors from a list, or from one string: split on ';' when it has one, else on " and " and on commas
 * between full names ("Ada Lovelace, Alan Turing and Grace Hopper"); "Lovelace, Ada" stays one name.
 */
export function authorList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text).filter((a): a is string => Boolean(a));
  const all = text(value);
  if (!all) return [];
  if (all.includes(';')) return all.split(';').map((a) => a.trim()).filter(Boolean);
  const parts = all.split(/\s+and\s+/).flatMap((part) => {
    const names = part.split(',').map((n) => n.trim()).filter(Boolean);
    return names.length > 1 && names.every((n) => /\S\s+\S/.test(n)) ? names : [part.trim()];
  });
  return parts.filter(Boolean);
}

/** A list from an array, or from one string split on commas, semicolons or spaces between tokens. */
function listOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(text).filter((c): c is string => Boolean(c));
  const all = text(value);
  if (!all) return [];
  return all.split(all.includes(';') ? ';' : all.includes(',') ? ',' : ' ').map((c) => c.trim()).filter(Boolean);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/**
 * As much of YYYY-MM-DD as a date gives: "2007", "2007-04", "2007-04-02", an ISO timestamp, arXiv's
 * "Mon, 2 Apr 2007 19:18:42 GMT", "Apr 2, 2007", "Jul 2020", or a year as a number. Undefined otherwise.
 */
export function publishedDate(value: unknown): string | undefined {
  const date = text(value);
  if (!date) return undefined;
  const iso = /^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?(?:$|[T\s])/.exec(date);
  if (iso) return isoOf(+iso[1], iso[2] ? +iso[2] : undefined, iso[3] ? +iso[3] : undefined);
  const named = /(?:^|[\s,])(\d{1,2})?\s*([A-Za-z]{3})[a-z]*\.?\s+(\d{1,2})?,?\s*(\d{4})\b/.exec(date);
  if (named) {
    const month = MONTHS.indexOf(named[2].toLowerCase()) + 1;
    if (month > 0) return isoOf(+named[4], month, named[1] ? +named[1] : named[3] ? +named[3] : undefined);
  }
  return undefined;
}

function isoOf(year: number, month?: number, day?: number): string | undefined {
  if (year < 1000 || year > 2999) return undefined;
  if (month === undefined || month < 1 || month > 12) return String(year);
  if (day === undefined || day < 1 || day > 31) return `${year}-${pad(month)}`;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** "Apr 2, 2007" from "2007-04-02" (the way the seed listings print dates), "Apr 2007", "2007". */
export function displayDate(published: string | undefined): string | undefined {
  if (!published) return undefined;
  const [year, month, day] = published.split('-');
  const name = month ? MONTHS[Number(month) - 1] : undefined;
  if (!name) return year;
  const Month = name[0].toUpperCase() + name.slice(1);
  return day ? `${Month} ${Number(day)}, ${year}` : `${Month} ${year}`;
}

/** The DOI without a resolver or "doi:" prefix; the first when several are listed. */
export function doiOf(value: unknown): string | undefined {
  const doi = text(value)?.split(/\s+/)[0].replace(/^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)/i, '');
  return doi && /^10\.\d{4,}\/\S+$/.test(doi) ? doi : undefined;
}

/** An arXiv identifier from an id, an "arXiv:" reference or an arxiv.org link, version dropped. */
export function arxivIdOf(value: unknown): string | undefined {
  const raw = text(value)?.replace(/^(?:arxiv:|https?:\/\/(?:www\.)?arxiv\.org\/(?:abs|pdf)\/)/i, '').replace(/(?:v\d+)?(?:\.pdf)?$/, '');
  return raw && ARXIV_ID.test(raw) ? raw : undefined;
}
