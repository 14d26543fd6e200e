/**
 * The same judged queries through two engines' own search paths (format 2's SearchEngine, format 3's
 * Format3Engine), mode by mode: what `npm run eval -- --index DIR` prints for a format-3 set, so a format's
 * cost in quality is one table at one commit. Each system asks the engine exactly what the site asks it
 * (searchText with the query's embedding, similar by id), so the 8-bit codes, the prefix shortlist, the
 * chunked keyword index and the smoothing all count.
 */
import { FUSION_DEPTH } from '../hybrid/hybrid';
import type { SearchMode, SearchOptions, SearchResult } from '../search';
import type { JudgedQuery, QueryKind } from './queries';
import { QUERY_KINDS } from './queries';
import type { RankingSystem, SystemReport } from './run';

/** What both engines offer (SearchEngine answers at once, Format3Engine once its shards are read). */
export interface SearchingEngine {
  searchText(text: string, embedding: Float32Array | null, options?: SearchOptions): SearchResult | Promise<SearchResult>;
  similar(id: string, options?: SearchOptions): SearchResult | Promise<SearchResult>;
}

export const ENGINE_MODES: readonly SearchMode[] = ['lexical', 'semantic', 'hybrid'];
/** Semantic search at these leading rotated dims (the Dimensions control), compared too. */
export const ENGINE_DIMS = [32, 64, 128, 256];

/** The largest drop of format 3 below format 2 the seed corpus may show, per kind and overall (issue #13). */
export const FORMAT_TOLERANCE = 0.005;

export function engineModeSystem(engine: SearchingEngine, mode: SearchMode, queryVectors: ReadonlyMap<string, Float32Array>, dims?: number): RankingSystem {
  return {
    name: dims === undefined ? mode : `${mode} at ${dims} dims`,
    rank: async (q: JudgedQuery) => {
      const options: SearchOptions = { k: FUSION_DEPTH, mode, ...(dims !== undefined ? { dims } : {}) };
      const result = await (q.kind === 'similar'
        ? engine.similar(q.source, options)
        : engine.searchText(q.text, mode === 'lexical' ? null : (queryVectors.get(q.id) ?? missing(q.id)), options));
      return result.hits.map((h) => h.paper.id);
    },
  };
}

function missing(id: string): never {
  throw new Error(`No embedding for query ${id}`);
}

const COLUMNS = [...QUERY_KINDS, 'overall'] as const;

export interface FormatComparison {
  mode: string;
  /** nDCG@10 per kind and overall. */
  two: Record<QueryKind | 'overall', number>;
  three: Record<QueryKind | 'overall', number>;
}

export function compareFormats(two: readonly SystemReport[], three: readonly SystemReport[]): FormatComparison[] {
  const ndcg = (r: SystemReport) => Object.fromEntries(COLUMNS.map((c) => [c, r.scores[c].ndcg10])) as FormatComparison['two'];
  return two.map((r, i) => ({ mode: r.name, two: ndcg(r), three: ndcg(three[i]) }));
}

/** Markdown: per mode, format 2, format 3 and the difference (3 − 2), nDCG@10 per kind and overall. */
export function formatComparisonTable(rows: readonly FormatComparison[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`;
  return [
    line(['mode', 'format', ...COLUMNS]),
    line(['---', '---', ...COLUMNS.map(() => '---:')]),
    ...rows.flatMap((r) => [
      line([r.mode, '2', ...COLUMNS.map((c) => r.two[c].toFixed(3))]),
      line([r.mode, '3', ...COLUMNS.map((c) => r.three[c].toFixed(3))]),
      line([r.mode, '3 − 2', ...COLUMNS.map((c) => signed(r.three[c] - r.two[c]))]),
    ]),
  ].join('\n');
}

/** Kinds (and overall) where format 3 falls more than the tolerance below format 2, as "mode kind: −0.012". */
export function formatDrops(rows: readonly FormatComparison[], tolerance = FORMAT_TOLERANCE): string[] {
  return rows.flatMap((r) =>
    COLUMNS.filter((c) => r.two[c] - r.three[c] > tolerance + 1e-9).map((c) => `${r.mode} ${c}: ${(r.three[c] - r.two[c]).toFixed(3)}`),
  );
}
