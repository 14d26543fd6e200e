/**
 * Regression guard: the default search mode's overall nDCG@10 on the judged queries must not fall
 * more than TOLERANCE below the figure recorded in recorded.json. Uses the shipped artifacts
 * (public/artifacts; rebuilt first if they no longer match the seeds) and embeds only the queries.
 * After an intended change, run `npm run eval`, update docs/QUALITY.md and recorded.json together.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/cli/open-engine';
import { parseJudgedQueries } from '../../src/core/eval/queries';
import { evaluateSystem, type SystemReport } from '../../src/core/eval/run';
import { DEFAULT_SYSTEM, defaultSystem } from '../../src/core/eval/systems';
import { buildLexicalIndex } from '../../src/core/lexical/index';

const TOLERANCE = 0.02;
const recorded = JSON.parse(readFileSync(new URL('./recorded.json', import.meta.url), 'utf8')) as {
  system: string;
  overallNdcg10: number;
};

let report: SystemReport;

describe('search quality', () => {
  // Loading the model and artifacts takes seconds; rebuilding stale artifacts takes minutes on 2 cores.
  beforeAll(async () => {
    const opened = await openEngine({ log: () => {} });
    const papers = opened.artifacts.papers;
    const queries = parseJudgedQueries(
      JSON.parse(readFileSync(new URL('./queries.json', import.meta.url), 'utf8')),
      new Set(papers.map((p) => p.id)),
    );
    const queryVectors = new Map<string, Float32Array>();
    for (const q of queries) if (q.kind !== 'similar') queryVectors.set(q.id, await opened.embedder.embedQuery(q.text));
    await opened.embedder.dispose();
    const inputs = { engine: opened.engine, rotation: opened.artifacts.rotation, lexical: buildLexicalIndex(papers), queryVectors };
    report = await evaluateSystem(defaultSystem(inputs), queries);
  }, 900_000);

  it('guards the mode the figure was recorded for', () => {
    expect(recorded.system).toBe(DEFAULT_SYSTEM);
  });

  it(`keeps the default mode's overall nDCG@10 within ${TOLERANCE} of the recorded figure`, () => {
    expect(report.scores.overall.ndcg10).toBeGreaterThanOrEqual(recorded.overallNdcg10 - TOLERANCE);
  });
});
