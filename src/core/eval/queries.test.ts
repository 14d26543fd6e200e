import { describe, expect, it } from 'vitest';
import { isPapersiftError } from '../errors';
import { parseJudgedQueries } from './queries';

const ids = new Set(['a', 'b', 'c']);
const file = (...queries: unknown[]) => ({ queries });

describe('parseJudgedQueries', () => {
  it('reads text and similar queries', () => {
    const parsed = parseJudgedQueries(
      file(
        { id: 'k1', kind: 'keyword', text: 'sparse autoencoders', judgments: { a: 2, b: 0 } },
        { id: 's1', kind: 'similar', source: 'a', judgments: { b: 1, c: 0 } },
      ),
      ids,
    );
    expect(parsed).toEqual([
      { id: 'k1', kind: 'keyword', text: 'sparse autoencoders', judgments: { a: 2, b: 0 } },
      { id: 's1', kind: 'similar', source: 'a', judgments: { b: 1, c: 0 } },
    ]);
  });

  it.each([
    ['no queries array', {}],
    ['an unknown kind', file({ id: 'x', kind: 'vague', text: 't', judgments: { a: 2 } })],
    ['a grade out of range', file({ id: 'x', kind: 'keyword', text: 't', judgments: { a: 3 } })],
    ['a paper not in the corpus', file({ id: 'x', kind: 'keyword', text: 't', judgments: { zzz: 2 } })],
    ['no relevant paper', file({ id: 'x', kind: 'keyword', text: 't', judgments: { a: 0 } })],
    ['empty text', file({ id: 'x', kind: 'question', text: ' ', judgments: { a: 2 } })],
    ['a similar query judging its own source', file({ id: 'x', kind: 'similar', source: 'a', judgments: { a: 2 } })],
    ['a duplicate id', file({ id: 'x', kind: 'keyword', text: 't', judgments: { a: 2 } }, { id: 'x', kind: 'keyword', text: 'u', judgments: { a: 2 } })],
  ])('refuses %s', (_, json) => {
    try {
      parseJudgedQueries(json, ids);
      expect.unreachable();
    } catch (e) {
      expect(isPapersiftError(e, 'parse')).toBe(true);
    }
  });
});
