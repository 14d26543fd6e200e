import { formatYearRange, parseYearRange } from '../core/filter';
import type { PaperFilter, SearchMode, SortOrder } from '../protocol';

/** Which part of the page is open: searching, finding papers related to pasted text, or the user's papers. */
export type Tab = 'search' | 'related' | 'library';
const TABS: readonly Tab[] = ['search', 'related', 'library'];

/**
 * What the page shows, as it lives in the URL: `?q=` or `?similar=`, `&dims=`, `&adaptive=1`, `&mode=`,
 * `&tab=` (search is the default), `&map=1`, and the filters and order: `&year=2005-2007` (also `2007`,
 * `2005-`, `-2007`), `&cat=cs.LG`, `&sort=date`. Pasted text for "related" is too long for a URL; the
 * page keeps it for the session instead.
 * The URL is the source of truth, so a link reproduces a view and Back restores the previous one.
 */
export interface ViewState {
  /** Query text as typed ('' = nothing searched). */
  q: string;
  /** Paper id whose neighbours are shown; wins over `q`. */
  similar: string;
  /** Leading rotated dimensions; null = the model's full width. */
  dims: number | null;
  adaptive: boolean;
  /** hybrid is the default and stays out of the URL. */
  mode: SearchMode;
  tab: Tab;
  /** The map is shown above the results. */
  map: boolean;
  /** Years and category the results are drawn from; {} = all papers. */
  filter: PaperFilter;
  /** relevance is the default and stays out of the URL. */
  sort: SortOrder;
}

const MODES: readonly SearchMode[] = ['hybrid', 'semantic', 'lexical'];

export function readViewState(search: string): ViewState {
  const params = new URLSearchParams(search);
  const dims = Number(params.get('dims'));
  return {
    q: params.get('q') ?? '',
    similar: params.get('similar') ?? '',
    // Anything but a positive whole number means full width; the engine checks the upper bound.
    dims: Number.isInteger(dims) && dims > 0 ? dims : null,
    adaptive: params.get('adaptive') === '1',
    mode: MODES.find((mode) => mode === params.get('mode')) ?? 'hybrid',
    // "similar" results belong to the search tab, whatever the link says.
    tab: params.get('similar') ? 'search' : (TABS.find((tab) => tab === params.get('tab')) ?? 'search'),
    map: params.get('map') === '1',
    filter: readFilter(params),
    sort: params.get('sort') === 'date' ? 'date' : 'relevance',
  };
}

/** A malformed year range in a link is dropped (all years), not an error page. */
function readFilter(params: URLSearchParams): PaperFilter {
  const filter: PaperFilter = {};
  try {
    const year = params.get('year');
    if (year) Object.assign(filter, parseYearRange(year));
  } catch {
    // keep all years
  }
  for (const key of ['yearFrom', 'yearTo'] as const) if (filter[key] === undefined) delete filter[key];
  const category = params.get('cat')?.trim();
  if (category) filter.category = category;
  return filter;
}

export function formatViewState(view: ViewState): string {
  const params = new URLSearchParams();
  if (view.similar) params.set('similar', view.similar);
  else if (view.q) params.set('q', view.q);
  if (view.dims !== null) params.set('dims', String(view.dims));
  if (view.adaptive) params.set('adaptive', '1');
  if (view.mode !== 'hybrid') params.set('mode', view.mode);
  if (view.tab !== 'search' && !view.similar) params.set('tab', view.tab);
  if (view.map) params.set('map', '1');
  const years = formatYearRange(view.filter);
  if (years) params.set('year', years);
  if (view.filter.category) params.set('cat', view.filter.category);
  if (view.sort !== 'relevance') params.set('sort', view.sort);
  const query = params.toString();
  return query ? `?${query}` : '';
}

export function sameView(a: ViewState, b: ViewState): boolean {
  return (
    a.q === b.q &&
    a.similar === b.similar &&
    a.dims === b.dims &&
    a.adaptive === b.adaptive &&
    a.mode === b.mode &&
    a.tab === b.tab &&
    a.map === b.map &&
    sameFilter(a.filter, b.filter) &&
    a.sort === b.sort
  );
}

export function sameFilter(a: PaperFilter, b: PaperFilter): boolean {
  return a.yearFrom === b.yearFrom && a.yearTo === b.yearTo && (a.category ?? '') === (b.category ?? '');
}
