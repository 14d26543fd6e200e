import { describe, expect, it } from 'vitest';
import { compareFormats, formatComparisonTable, formatDrops } from './formats';
import type { SystemReport } from './run';

function report(name: string, ndcg: Record<string, number>): SystemReport {
  const scores = Object.fromEntries(Object.entries(ndcg).map(([kind, ndcg10]) => [kind, { ndcg10 }]));
  return { name, scores, perQuery: {}, unjudged: [] } as unknown as SystemReport;
}

describe('format comparison', () => {
  const two = [report('hybrid', { keyword: 0.9, paraphrase: 0.5, question: 0.7, similar: 0.7, overall: 0.7 })];
  const three = [report('hybrid', { keyword: 0.91, paraphrase: 0.48, question: 0.696, similar: 0.7, overall: 0.695 })];

  it('names each kind where format 3 falls more than the tolerance below format 2, and no other', () => {
    expect(formatDrops(compareFormats(two, three))).toEqual(['hybrid paraphrase: -0.020']);
    expect(formatDrops(compareFormats(two, three), 0.03)).toEqual([]);
  });

  it('prints format 2, format 3 and the signed difference per mode', () => {
    const table = formatComparisonTable(compareFormats(two, three));
    expect(table).toContain('| hybrid | 3 − 2 | +0.010 | −0.020 | −0.004 | +0.000 | −0.005 |');
  });
});
