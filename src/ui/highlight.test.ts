import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze, processTerm, tokenize } from '../core/lexical/analyzer';
import { QUERIES } from '../../bench/queries';
import { highlightSegments } from './highlight';

/** The regular-expression highlighter the result list used before, kept here as the reference. */
function reference(text: string, terms: string[]): string[] | null {
  const wanted = new Set(terms);
  const words = new Set(tokenize(text).filter((word) => wanted.has(processTerm(word) ?? '')));
  if (words.size === 0) return null;
  const escape = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${[...words].map(escape).join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  return text.split(pattern);
}

const papers = JSON.parse(readFileSync(join(import.meta.dirname, '../../public/artifacts/papers.json'), 'utf8')) as { title: string; abstract: string }[];

describe('highlightSegments', () => {
  it('marks each word whose index term was matched, every occurrence, whole words only', () => {
    expect(highlightSegments('Models model remodel; model-based (MODELLING) modeled', ['model'])).toEqual([
      '', 'Models', ' ', 'model', ' remodel; ', 'model', '-based (', 'MODELLING', ') ', 'modeled', '',
    ]);
    expect(highlightSegments('the attention of the network', ['attent'])).toEqual(['the ', 'attention', ' of the network']);
    expect(highlightSegments('Café naïve résumé', [processTerm('cafe')!])).toEqual(['', 'Café', ' naïve résumé']);
  });

  it('marks nothing for stopwords, no terms or no match', () => {
    expect(highlightSegments('the and of', ['the', ''])).toBeNull();
    expect(highlightSegments('graph networks', [])).toBeNull();
    expect(highlightSegments('graph networks', undefined)).toBeNull();
    expect(highlightSegments('graph networks', ['molecul'])).toBeNull();
  });

  it('cuts every shipped paper exactly as the regular-expression highlighter did', () => {
    const termSets = [...QUERIES.map((q) => analyze(q)), ...papers.slice(0, 40).map((p) => analyze(p.title))];
    let marked = 0;
    for (const terms of termSets) {
      for (const paper of papers) {
        for (const text of [paper.title, paper.abstract]) {
          const got = highlightSegments(text, terms);
          expect(got).toEqual(reference(text, terms));
          if (got) marked++;
        }
      }
    }
    expect(marked).toBeGreaterThan(1000);
  });
});
