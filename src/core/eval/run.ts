/**
 * Runs ranked systems over the judged queries and aggregates the metrics per query kind and overall.
 * A system is anything that turns a judged query into paper ids, best first.
 */
import { aggregate, scoreRanking, type QueryScores } from './metrics';
import { QUERY_KINDS, type JudgedQuery, type QueryKind } from './queries';

export interface RankingSystem {
  name: string;
  rank(query: JudgedQuery): Promise<readonly string[]> | readonly string[];
}

export type Breakdown = Record<QueryKind | 'overall', QueryScores>;

export interface SystemReport {
  name: string;
  scores: Breakdown;
  perQuery: Record<string, QueryScores>;
  /** Top-10 results that have no judgment: what the next judging round must read. */
  unjudged: { query: string; paper: string }[];
}

export async function evaluateSystem(system: RankingSystem, queries: readonly JudgedQuery[]): Promise<SystemReport> {
  const perQuery: Record<string, QueryScores> = {};
  const unjudged: SystemReport['unjudged'] = [];
  for (const query of queries) {
    const ranked = await system.rank(query);
    perQuery[query.id] = scoreRanking(ranked, query.judgments);
    for (const paper of ranked.slice(0, 10)) if (!(paper in query.judgments)) unjudged.push({ query: query.id, paper });
  }
  return { name: system.name, scores: breakdown(queries, perQuery), perQuery, unjudged };
}

/** Mean scores per kind and overall (overall = mean over all queries, so kinds weigh by their size). */
export function breakdown(queries: readonly JudgedQuery[], perQuery: Readonly<Record<string, QueryScores>>): Breakdown {
  const of = (list: readonly JudgedQuery[]) => aggregate(list.map((q) => perQuery[q.id]));
  const byKind = Object.fromEntries(QUERY_KINDS.map((kind) => [kind, of(queries.filter((q) => q.kind === kind))]));
  return { ...byKind, overall: of(queries) } as Breakdown;
}

export interface HeldOutChoice {
  heldOut: QueryKind;
  /** The system with the best mean nDCG@10 on the other kinds' queries. */
  chosen: string;
  /** Its nDCG@10 on the held-out kind, which played no part in choosing it. */
  heldOutNdcg: number;
}

/**
 * Leave-one-kind-out check on a choice among systems (fusion schemes, weights): for each kind, pick
 * the best system on the other three kinds and score it on the fourth. If the pick changes from
 * fold to fold, or the held-out scores fall well below the in-sample ones, the choice is fitted to
 * these queries rather than found.
 */
export function leaveOneKindOut(reports: readonly SystemReport[], queries: readonly JudgedQuery[]): HeldOutChoice[] {
  return QUERY_KINDS.map((heldOut) => {
    const train = queries.filter((q) => q.kind !== heldOut);
    const mean = (r: SystemReport) => train.reduce((sum, q) => sum + r.perQuery[q.id].ndcg10, 0) / train.length;
    const best = reports.reduce((a, b) => (mean(b) > mean(a) ? b : a));
    return { heldOut, chosen: best.name, heldOutNdcg: best.scores[heldOut].ndcg10 };
  });
}
