/**
 * The judged query set (test/eval/queries.json): what each query is, and which papers are relevant to it.
 * Parsing checks the shape and, given the corpus ids, that every judged paper exists, so a corpus
 * change that renames or drops a paper fails loudly instead of quietly scoring it as "not retrieved".
 */
import { PapersiftError } from '../errors';
import type { Judgments } from './metrics';

export const QUERY_KINDS = ['keyword', 'paraphrase', 'question', 'similar'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

interface QueryBase {
  id: string;
  judgments: Judgments;
}
/** Free text typed by a reader. */
export interface TextQuery extends QueryBase {
  kind: Exclude<QueryKind, 'similar'>;
  text: string;
}
/** "More like this paper": the papers a reader of `source` wants next; the source is never a result. */
export interface SimilarQuery extends QueryBase {
  kind: 'similar';
  source: string;
}
export type JudgedQuery = TextQuery | SimilarQuery;

export function parseJudgedQueries(json: unknown, corpusIds?: ReadonlySet<string>): JudgedQuery[] {
  const list = (json as { queries?: unknown })?.queries;
  if (!Array.isArray(list)) throw invalid('the file has no "queries" array');
  const seen = new Set<string>();
  return list.map((raw: Record<string, unknown>, i) => {
    const where = `query ${i} (${String(raw?.id)})`;
    if (typeof raw?.id !== 'string' || raw.id === '') throw invalid(`${where}: no id`);
    if (seen.has(raw.id)) throw invalid(`${where}: duplicate id`);
    seen.add(raw.id);
    if (!QUERY_KINDS.includes(raw.kind as QueryKind)) throw invalid(`${where}: kind must be one of ${QUERY_KINDS.join(', ')}`);
    const judgments = raw.judgments as Record<string, unknown>;
    if (typeof judgments !== 'object' || judgments === null) throw invalid(`${where}: no judgments`);
    for (const [paper, grade] of Object.entries(judgments)) {
      if (grade !== 0 && grade !== 1 && grade !== 2) throw invalid(`${where}: grade of ${paper} must be 0, 1 or 2`);
      if (corpusIds && !corpusIds.has(paper)) throw invalid(`${where}: judged paper ${paper} is not in the corpus`);
    }
    if (!Object.values(judgments).some((g) => (g as number) > 0)) throw invalid(`${where}: no relevant paper`);
    if (raw.kind === 'similar') {
      if (typeof raw.source !== 'string') throw invalid(`${where}: a similar query needs a source paper id`);
      if (corpusIds && !corpusIds.has(raw.source)) throw invalid(`${where}: source ${raw.source} is not in the corpus`);
      if (raw.source in judgments) throw invalid(`${where}: the source paper cannot be judged for itself`);
      return { id: raw.id, kind: 'similar', source: raw.source, judgments: judgments as Judgments };
    }
    if (typeof raw.text !== 'string' || raw.text.trim() === '') throw invalid(`${where}: no text`);
    return { id: raw.id, kind: raw.kind as TextQuery['kind'], text: raw.text, judgments: judgments as Judgments };
  });
}

function invalid(message: string): PapersiftError {
  return new PapersiftError('parse', `Judged queries: ${message}`);
}
