/**
 * BibTeX → records. Library: @retorquere/bibtex-parser, the parser behind Better BibTeX for Zotero. It is
 * pure TypeScript (ESM + CJS, no Node APIs), so the browser worker and Node run the same code; it turns
 * LaTeX into Unicode, splits author lists into names, resolves @string macros, and on a broken entry
 * reports an error with the entry's text and goes on with the next.
 * bibtex-parse-js / @orcid/bibtex-parse-js leave LaTeX in the text and are unmaintained;
 * @citation-js/plugin-bibtex needs citation-js's core and converts to CSL first.
 */
import { parse, type Creator, type Entry } from '@retorquere/bibtex-parser';
import type { Paper } from '../types';
import { lineLocator } from './json';
import { BIBTEX_OPTIONS, plain, protectAngles } from './latex';
import { arxivIdOf, displayDate, publishedDate, type RecordFields } from './record';
import type { FileReport } from './report';

/** Reads every entry of a .bib file into `report`, returning the papers in file order. */
export function readBibtex(text: string, report: FileReport): Paper[] {
  const input = protectAngles(text);
  const library = parse(input, BIBTEX_OPTIONS);
  const lineOf = lineLocator(input);
  // Entries and errors each come in file order; place each at its text, searching on from the last one
  // found so that identical entries get their own lines. An entry that failed to parse is also listed,
  // with no text: its error says why.
  const positions = (texts: string[]) => {
    let cursor = 0;
    return texts.map((t) => {
      const at = t ? input.indexOf(t, cursor) : -1;
      if (at >= 0) cursor = at + 1;
      return at;
    });
  };
  const entries = library.entries.filter((e) => e.input);
  const entryAt = positions(entries.map((e) => e.input));
  const errors = library.errors.filter((e) => !UNRESOLVED.test(e.error));
  const errorAt = positions(errors.map((e) => e.input ?? ''));
  for (const error of library.errors) {
    const name = UNRESOLVED.exec(error.error)?.[1];
    if (name) warnUnresolved(name, entries, entryAt, lineOf, report);
  }
  const located = [
    ...entries.map((entry, i) => ({ kind: 'entry' as const, entry, at: entryAt[i] })),
    ...errors.map((error, i) => ({ kind: 'error' as const, error, at: errorAt[i] })),
  ].sort((a, b) => a.at - b.at);
  const papers: Paper[] = [];
  for (const item of located) {
    const line = lineOf(Math.max(0, item.at));
    if (item.kind === 'error') {
      // The parser's own "at line N" counts where it gave up, not where the entry starts: drop it.
      report.problem(line, plain(item.error.error.replace(/ at line \d+, column \d+/, '')) ?? 'unreadable entry');
      continue;
    }
    const paper = report.paper(entryFields(item.entry), line, `@${item.entry.type}{${item.entry.key}}`);
    if (paper) papers.push(paper);
  }
  if (library.entries.length === 0 && library.errors.length === 0) report.problem(0, 'no BibTeX entries found');
  return papers;
}

const UNRESOLVED = /^Unresolved @string reference "([^"]+)"/;

/**
 * The parser reports an unknown @string macro with no place and keeps its name as the field's text. The
 * entry is still good: warn at the line of each entry that uses the macro, bare (`= name`, `# name`).
 */
function warnUnresolved(name: string, entries: Entry[], entryAt: number[], lineOf: (offset: number) => number, report: FileReport): void {
  const use = new RegExp(`[=#]\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*(?=[,#}\\n]|$)`, 'i');
  let found = false;
  entries.forEach((entry, i) => {
    const at = use.exec(entry.input);
    if (!at || entryAt[i] < 0) return;
    found = true;
    report.problem(lineOf(entryAt[i] + at.index), `@${entry.type}{${entry.key}}: @string "${name}" is not defined; its name is kept as the text`, 'warning');
  });
  if (!found) report.problem(0, `@string "${name}" is not defined; its name is kept as the text`, 'warning');
}

function entryFields(entry: Entry): RecordFields {
  const fields = entry.fields as Record<string, string | undefined> & { author?: Creator[] };
  const published = publishedDate(fields.date) ?? publishedDate(fields.year && fields.month ? `${fields.year}-${fields.month}` : fields.year);
  const arxiv = /arxiv/i.test(fields.archiveprefix ?? fields.eprinttype ?? '') ? arxivIdOf(fields.eprint) : undefined;
  const url = plain(fields.url);
  return {
    id: entry.key,
    title: plain(fields.title),
    abstract: plain(fields.abstract),
    authors: entry.fields.author?.map(creatorName),
    // "Jun 2017" or "2017", the way the seed listings print dates.
    date: displayDate(published),
    published,
    url,
    doi: fields.doi,
    categories: fields.primaryclass ? [fields.primaryclass] : undefined,
    venue: plain(fields.journal ?? fields.journaltitle ?? fields.booktitle),
    arxivId: arxiv ?? arxivIdOf(url),
  };
}

function creatorName(creator: Creator): string {
  if (creator.name) return plain(creator.name) ?? '';
  return plain([creator.firstName, creator.prefix, creator.lastName, creator.suffix].filter(Boolean).join(' ')) ?? '';
}
