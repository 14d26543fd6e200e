/** Text for people: markdown tables of the metrics and the quality targets, from system reports. */
import type { QueryScores } from './metrics';
import { QUERY_KINDS, type QueryKind } from './queries';
import type { SystemReport } from './run';

export const METRICS: { key: keyof QueryScores; label: string }[] = [
  { key: 'ndcg10', label: 'nDCG@10' },
  { key: 'recall10', label: 'Recall@10' },
  { key: 'mrr10', label: 'MRR@10' },
  { key: 'p1', label: 'P@1' },
];

const COLUMNS = [...QUERY_KINDS, 'overall'] as const;

/** One metric, one row per system, one column per query kind and overall; nDCG also shows unjudged top-10 slots. */
export function metricTable(reports: readonly SystemReport[], metric: keyof QueryScores, label: string): string {
  const withUnjudged = metric === 'ndcg10';
  const header = ['system', ...COLUMNS, ...(withUnjudged ? ['unjudged in top 10'] : [])];
  const rows = reports.map((r) => [
    r.name,
    ...COLUMNS.map((c) => r.scores[c][metric].toFixed(3)),
    ...(withUnjudged ? [String(r.scores.overall.unjudged10)] : []),
  ]);
  return [`**${label}**`, '', row(header), row(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)].join('\n');
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

export interface TargetCheck {
  /** hybrid / lexical, overall nDCG@10 (target ≥ 1.2). */
  overallRatio: number;
  /** hybrid / lexical on paraphrases (target ≥ 1.6). */
  paraphraseRatio: number;
  /** Per kind: the hybrid's nDCG@10 against the better of lexical and semantic (the default-mode rule). */
  perKind: Record<QueryKind, { hybrid: number; betterSide: number; holds: boolean }>;
}

export function checkTargets(hybrid: SystemReport, lexical: SystemReport, semantic: SystemReport): TargetCheck {
  const perKind = Object.fromEntries(
    QUERY_KINDS.map((kind) => {
      const betterSide = Math.max(lexical.scores[kind].ndcg10, semantic.scores[kind].ndcg10);
      const value = hybrid.scores[kind].ndcg10;
      return [kind, { hybrid: value, betterSide, holds: value >= betterSide }];
    }),
  ) as TargetCheck['perKind'];
  return {
    overallRatio: hybrid.scores.overall.ndcg10 / lexical.scores.overall.ndcg10,
    paraphraseRatio: hybrid.scores.paraphrase.ndcg10 / lexical.scores.paraphrase.ndcg10,
    perKind,
  };
}
