import { describe, expect, it } from 'vitest';
import { looksLikeAbstract, readEntries, type Entry, type EntryEvent } from './entries';

/** An abstract-shaped line: several sentences, well over the 30 words that make a line an abstract. */
const abstractAbout = (topic: string) =>
  `We study ${topic} in deep networks trained on large corpora. Our analysis shows that ${topic} follows a ` +
  `simple law across model sizes, and we confirm it with experiments on language and vision benchmarks alike.`;

const read = (lines: string[]) => {
  const events: EntryEvent[] = [...readEntries(lines)];
  return {
    entries: events.flatMap((e) => (e.kind === 'entry' ? [e.entry] : [])),
    problems: events.flatMap((e) => (e.kind === 'problem' ? [[e.line, e.message]] : [])),
  };
};

describe('looksLikeAbstract', () => {
  it('takes 30 words or more for an abstract', () => {
    expect(looksLikeAbstract(abstractAbout('memorisation'))).toBe(true);
    expect(looksLikeAbstract(Array.from({ length: 30 }, () => 'word').join(' '))).toBe(true);
  });

  it('takes a short text of several sentences for an abstract', () => {
    expect(looksLikeAbstract('We study grokking. We show it is slow generalisation in disguise.')).toBe(true);
  });

  it('keeps titles, with a question inside or at the end, on the title side', () => {
    expect(looksLikeAbstract('Is Fast Adaptation All You Need?')).toBe(false);
    for (const title of [
      'Are Gaussian data all you need? Extents and limits of universality in estimation',
      'This Looks Like That, Because ... Explaining Prototypes for Image Recognition',
    ]) {
      expect(looksLikeAbstract(title)).toBe(false);
    }
    expect(
      looksLikeAbstract(
        'Interpretable structural model error discovery from sparse assimilation increments using spectral ' +
          'bias-reduced neural networks: A quasi-geostrophic turbulence test case',
      ),
    ).toBe(false);
  });
});

describe('readEntries', () => {
  it('pairs titles with abstracts with or without blank lines between them', () => {
    const withBlanks = read(['Title One', '', abstractAbout('one'), '', '', 'Title Two', '', abstractAbout('two')]);
    const without = read(['Title One', abstractAbout('one'), 'Title Two', abstractAbout('two')]);
    expect(withBlanks.entries.map((e) => [e.title, e.line])).toEqual([
      ['Title One', 1],
      ['Title Two', 6],
    ]);
    expect(without.entries.map((e) => [e.title, e.line])).toEqual([
      ['Title One', 1],
      ['Title Two', 3],
    ]);
  });

  it('reports a title without an abstract in the format without blank lines, keeping both neighbours', () => {
    const { entries, problems } = read([
      'Title One',
      abstractAbout('one'),
      'Title Without Abstract',
      'Title Three',
      abstractAbout('three'),
    ]);
    expect(entries.map((e) => e.title)).toEqual(['Title One', 'Title Three']);
    expect(entries[1].abstract).toBe(abstractAbout('three'));
    expect(problems).toEqual([[3, 'title without an abstract: "Title Without Abstract"']]);
  });

  it('reports a title at the end of the input that never got its abstract', () => {
    expect(read(['Title One', abstractAbout('one'), 'Last Title']).problems).toEqual([
      [3, 'title without an abstract: "Last Title"'],
    ]);
  });

  it('reads author names from a byline that lists them, not from a count or an organisation', () => {
    const { entries } = read([
      'Named',
      abstractAbout('names'),
      'Ada Lovelace, Alan Turing, Grace Hopper',
      '·',
      'Dec 10, 1843',
      'Counted',
      abstractAbout('counts'),
      '  • 3 authors',
      '·',
      'Sept 3',
      'Organised',
      abstractAbout('organisations'),
      'pathwaycom Pathway',
      '·',
      'Sep 30 27',
    ]);
    const fields = entries.map(({ title, authors, date }): Pick<Entry, 'title' | 'authors' | 'date'> => ({
      title,
      authors,
      date,
    }));
    expect(fields).toEqual([
      { title: 'Named', authors: ['Ada Lovelace', 'Alan Turing', 'Grace Hopper'], date: 'Dec 10, 1843' },
      { title: 'Counted', authors: null, date: 'Sept 3' },
      { title: 'Organised', authors: null, date: 'Sep 30' },
    ]);
  });

  it('strips chrome glued to a title, several pieces in a row too', () => {
    const { entries } = read(['newSubscribeChimera: Two-Dimensional State Spaces', abstractAbout('state spaces')]);
    expect(entries.map((e) => e.title)).toEqual(['Chimera: Two-Dimensional State Spaces']);
  });

  it('leaves a title alone when the chrome word is really part of it', () => {
    const { entries } = read(['Subscriber Churn Prediction with Transformers', abstractAbout('churn')]);
    expect(entries.map((e) => e.title)).toEqual(['Subscriber Churn Prediction with Transformers']);
  });

  it('drops a submitter’s name after "Submitted by", but not a title that stands there', () => {
    const { entries, problems } = read([
      'Submitted by',
      'akhaliq',
      'Title One',
      abstractAbout('one'),
      'Submitted by',
      'Title Two',
      abstractAbout('two'),
    ]);
    expect(entries.map((e) => e.title)).toEqual(['Title One', 'Title Two']);
    expect(problems).toEqual([]);
  });

  it('collapses runs of whitespace and trims', () => {
    const { entries } = read(['  Spaced \t Out   Title ', `  ${abstractAbout('spacing').replace(' ', '   ')}  `]);
    expect(entries[0].title).toBe('Spaced Out Title');
    expect(entries[0].abstract).toBe(abstractAbout('spacing'));
  });

  it('does not hang an orphan abstract’s meta block on the paper before it', () => {
    const { entries, problems } = read([
      'Title One',
      abstractAbout('one'),
      '\u0000\u0000',
      abstractAbout('lost title'),
      '  • 2 authors',
      '·',
      'Mar 2, 2024',
    ]);
    expect(entries.map((e) => [e.title, e.date])).toEqual([['Title One', null]]);
    expect(problems).toEqual([
      [3, 'binary or control characters on line 3; skipped'],
      [4, 'abstract without a title; skipped'],
    ]);
  });

  it('reads from any iterable of lines, a generator included', () => {
    function* lines() {
      yield 'Title One';
      yield abstractAbout('one');
    }
    expect([...readEntries(lines())]).toEqual([
      {
        kind: 'entry',
        entry: { title: 'Title One', abstract: abstractAbout('one'), authors: null, date: null, line: 1 },
      },
    ]);
  });
});
