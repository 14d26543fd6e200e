import type { SearchMode } from '../protocol';

/** Which part of the page is open: searching, finding papers related to pasted text, or the user's papers. */
export type Tab = 'search' | 'related' | 'library';
const TABS: readonly Tab[] = ['search', 'related', 'library'];

/**
 * What the page shows, as it lives in the URL: `?q=` or `?similar=`, `&dims=`, `&adaptive=1`, `&mode=`,
 * `&tab=` (search is the default) and `&map=1`. Pasted text for "related" is too long for a URL; the
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
  };
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
  const query = params.toString();
  return query ? `?${query}` : '';
}

export function sameView(a: ViewState, b: ViewState): boolean {
  return a.q === b.q && a.similar === b.similar && a.dims === b.dims && a.adaptive === b.adaptive && a.mode === b.mode && a.tab === b.tab && a.map === b.map;
}
