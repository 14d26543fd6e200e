/** The judged query set itself: enough queries of every kind, every judgment about a real seed paper. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readSeedCorpus } from '../../src/cli/corpus-files';
import { parseJudgedQueries, QUERY_KINDS } from '../../src/core/eval/queries';

const corpus = readSeedCorpus();
const queries = parseJudgedQueries(
  JSON.parse(readFileSync(new URL('./queries.json', import.meta.url), 'utf8')),
  new Set(corpus.papers.map((p) => p.id)),
);

describe('judged queries', () => {
  it.each(QUERY_KINDS)('has at least 12 %s queries', (kind) => {
    expect(queries.filter((q) => q.kind === kind).length).toBeGreaterThanOrEqual(12);
  });

  it('records judged-0 papers too, so pooled results are never scored unjudged', () => {
    for (const q of queries) expect(Object.values(q.judgments)).toContain(0);
  });

  it('has no two text queries with the same wording', () => {
    const texts = queries.flatMap((q) => (q.kind === 'similar' ? [] : [q.text.toLowerCase()]));
    expect(new Set(texts).size).toBe(texts.length);
  });
});
