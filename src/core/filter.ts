/**
 * Narrowing and ordering results by what a corpus knows about its papers: the year a paper appeared
 * (`Paper.published`) and its subject categories (`Paper.categories`). The engine applies a filter
 * inside retrieval (every hit passes it), not after it, so a narrow filter still fills the result list.
 * Facets say which years and categories a corpus has, with counts, so a UI offers only real choices.
 */
import { PapersiftError } from './errors';
import type { Paper } from './types';

export interface PaperFilter {
  /** First year kept, inclusive; omitted: no lower bound. */
  yearFrom?: number;
  /** Last year kept, inclusive; omitted: no upper bound. */
  yearTo?: number;
  /**
   * A category ("cs.LG", "hep-ph") or a whole archive ("cs": every cs.* category). A paper passes when
   * any of its categories does.
   */
  category?: string;
}

/** relevance: best match first (default). date: the same most relevant papers, newest first. */
export type SortOrder = 'relevance' | 'date';
export const SORT_ORDERS: readonly SortOrder[] = ['relevance', 'date'];

/** Years a filter may name: anything outside cannot be a publication year and is a typo. */
const MIN_YEAR = 1000;
const MAX_YEAR = 9999;

/** Whether a filter narrows anything. */
export function isActiveFilter(filter: PaperFilter | undefined): filter is PaperFilter {
  return filter !== undefined && (filter.yearFrom !== undefined || filter.yearTo !== undefined || Boolean(filter.category));
}

/** Refuses what cannot be a filter, with a message a person can act on. */
export function checkFilter(filter: PaperFilter): void {
  for (const [name, year] of [['yearFrom', filter.yearFrom], ['yearTo', filter.yearTo]] as const) {
    if (year !== undefined && (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR)) {
      throw new PapersiftError('invalid-option', `${name} must be a four-digit year; got ${String(year)}`, { [name]: year });
    }
  }
  if (filter.yearFrom !== undefined && filter.yearTo !== undefined && filter.yearFrom > filter.yearTo) {
    throw new PapersiftError('invalid-option', `The year range ${filter.yearFrom}–${filter.yearTo} is empty: the first year comes after the last`, {
      yearFrom: filter.yearFrom,
      yearTo: filter.yearTo,
    });
  }
  if (filter.category !== undefined && typeof filter.category !== 'string') {
    throw new PapersiftError('invalid-option', `category must be text; got ${String(filter.category)}`);
  }
}

/** The year a paper appeared, from `published` ("2007", "2007-04", "2007-04-02"); undefined when unknown. */
export function paperYear(paper: Pick<Paper, 'published'>): number | undefined {
  const match = /^(\d{4})/.exec(paper.published ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The archive of a category: "cs" for "cs.LG", "math" for "math.CO"; a category without a dot is its own. */
export function archiveOf(category: string): string {
  const dot = category.indexOf('.');
  return dot > 0 ? category.slice(0, dot) : category;
}

/** A predicate for one filter; papers lacking the field a filter reads do not pass it. */
export function paperMatcher(filter: PaperFilter): (paper: Paper) => boolean {
  checkFilter(filter);
  const { yearFrom, yearTo } = filter;
  const category = filter.category?.trim();
  return (paper) => {
    if (yearFrom !== undefined || yearTo !== undefined) {
      const year = paperYear(paper);
      if (year === undefined || (yearFrom !== undefined && year < yearFrom) || (yearTo !== undefined && year > yearTo)) return false;
    }
    if (category) {
      if (!paper.categories?.some((c) => c === category || archiveOf(c) === category)) return false;
    }
    return true;
  };
}

/** Describes a filter in a few words: "2007–2008, cs". */
export function describeFilter(filter: PaperFilter): string {
  const { yearFrom: from, yearTo: to } = filter;
  const years =
    from !== undefined && to !== undefined
      ? from === to
        ? `${from}`
        : `${from}–${to}`
      : from !== undefined
        ? `${from} or later`
        : to !== undefined
          ? `${to} or earlier`
          : '';
  return [years, filter.category?.trim() ? `category ${filter.category.trim()}` : ''].filter(Boolean).join(', ');
}

/**
 * "2007-2009", "2007-", "-2009" or "2007" → a year range; the form the CLI's --year and the page's URL
 * share. Anything else is refused with the reason.
 */
export function parseYearRange(text: string): Pick<PaperFilter, 'yearFrom' | 'yearTo'> {
  const match = /^\s*(\d{4})?\s*(?:([-–])\s*(\d{4})?)?\s*$/.exec(text);
  if (!match || (!match[1] && !match[3])) {
    throw new PapersiftError('invalid-option', `A year range is YYYY, YYYY-YYYY, YYYY- or -YYYY; got "${text}"`, { input: text });
  }
  const from = match[1] ? Number(match[1]) : undefined;
  const to = match[2] ? (match[3] ? Number(match[3]) : undefined) : from;
  const range = { yearFrom: from, yearTo: to };
  checkFilter(range);
  return range;
}

/** The inverse of parseYearRange; '' when the range is open at both ends. */
export function formatYearRange(filter: Pick<PaperFilter, 'yearFrom' | 'yearTo'>): string {
  const { yearFrom: from, yearTo: to } = filter;
  if (from === undefined && to === undefined) return '';
  if (from !== undefined && from === to) return String(from);
  return `${from ?? ''}-${to ?? ''}`;
}

export interface FacetCount {
  value: string;
  count: number;
}

/** What a corpus can be filtered by: only values that occur, each with how many papers have it. */
export interface Facets {
  /** Papers counted (the live ones). */
  papers: number;
  /** Years in ascending order. */
  years: { year: number; count: number }[];
  /** Papers with a known year. */
  dated: number;
  /** Every category, alphabetically, counting papers that list it anywhere (not only as primary). */
  categories: FacetCount[];
  /** Archives that group several categories ("cs" for cs.LG, cs.CL), alphabetically, counting papers with any of them. */
  archives: FacetCount[];
  /** Papers with at least one category. */
  categorised: number;
}

export function paperFacets(papers: Iterable<Paper>): Facets {
  const years = new Map<number, number>();
  const categories = new Map<string, number>();
  const archives = new Map<string, { count: number; members: Set<string> }>();
  let count = 0;
  let dated = 0;
  let categorised = 0;
  for (const paper of papers) {
    count++;
    const year = paperYear(paper);
    if (year !== undefined) {
      dated++;
      years.set(year, (years.get(year) ?? 0) + 1);
    }
    const own = new Set(paper.categories ?? []);
    if (own.size > 0) categorised++;
    const ownArchives = new Set<string>();
    for (const category of own) {
      categories.set(category, (categories.get(category) ?? 0) + 1);
      if (category.includes('.')) ownArchives.add(archiveOf(category));
    }
    for (const archive of ownArchives) {
      const entry = archives.get(archive) ?? { count: 0, members: new Set<string>() };
      entry.count++;
      for (const category of own) if (archiveOf(category) === archive) entry.members.add(category);
      archives.set(archive, entry);
    }
  }
  const byName = (a: FacetCount, b: FacetCount) => a.value.localeCompare(b.value);
  return {
    papers: count,
    years: [...years].sort(([a], [b]) => a - b).map(([year, n]) => ({ year, count: n })),
    dated,
    categories: [...categories].map(([value, n]) => ({ value, count: n })).sort(byName),
    // An archive with one category adds no choice beyond that category.
    archives: [...archives]
      .filter(([, entry]) => entry.members.size > 1)
      .map(([value, entry]) => ({ value, count: entry.count }))
      .sort(byName),
    categorised,
  };
}

/**
 * Newest first by `published` (ISO prefixes compare as text); papers without a date go last; ties keep
 * their relevance order (the sort is stable).
 */
export function sortByDate<T extends { paper: Pick<Paper, 'published'> }>(hits: T[]): T[] {
  return [...hits].sort((a, b) => {
    const x = a.paper.published ?? '';
    const y = b.paper.published ?? '';
    if (x === y) return 0;
    if (!x) return 1;
    if (!y) return -1;
    return x < y ? 1 : -1;
  });
}
