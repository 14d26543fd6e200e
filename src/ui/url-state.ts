import type { SearchMode } from '../protocol';

/**
 * What the page shows, as it lives in the URL: `?q=` or `?similar=`, `&dims=`, `&adaptive=1`, `&mode=`.
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
  };
}

export function formatViewState(view: ViewState): string {
  const params = new URLSearchParams();
  if (view.similar) params.set('similar', view.similar);
  else if (view.q) params.set('q', view.q);
  if (view.dims !== null) params.set('dims', String(view.dims));
  if (view.adaptive) params.set('adaptive', '1');
  if (view.mode !== 'hybrid') params.set('mode', view.mode);
  const query = params.toString();
  return query ? `?${query}` : '';
}

export function sameView(a: ViewState, b: ViewState): boolean {
  return a.q === b.q && a.similar === b.similar && a.dims === b.dims && a.adaptive === b.adaptive && a.mode === b.mode;
}
