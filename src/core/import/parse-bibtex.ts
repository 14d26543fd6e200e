/**
 * BibTeX → papers. Library: @retorquere/bibtex-parser, the parser behind Better BibTeX for Zotero. It is
 * pure TypeScript (ESM + CJS, no Node APIs), so the browser worker and Node run the same code; it turns
 * LaTeX into Unicode ({\"o} → ö, $\alpha$ → α, --- → —), splits author lists into names, resolves
 * @string macros, and on a broken entry reports an error with the entry's text and goes on with the next.
 * bibtex-parse-js / @orcid/bibtex-parse-js leave LaTeX in the text and are unmaintained;
 * @citation-js/plugin-bibtex needs citation-js's core and converts to CSL first.
 */
import { parse, type Creator } from '@retorquere/bibtex-parser';
import { dedupeImported, lineLocator, toImportedPaper, type ImportResult, type ImportedPaper, type ImportProblem } from './imported-paper';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * `<` and `>` are no BibTeX syntax, but the parser reads them as TeX text-mode glyphs (¡ ¿, OT1 encoding)
 * and emits its own HTML (<i>, <b>, small caps) for \emph and friends. They travel through the parser as
 * private-use characters, so every tag in its output is its own and can be dropped, leaving plain text.
 */
const LESS_THAN = '\uE000';
const GREATER_THAN = '\uE001';

/** Parses a .bib file; `sourceName` names it in each paper's source (`import:<name>:<line>`). */
export function parseBibtex(text: string, sourceName: string): ImportResult {
  const input = text.replace(/^\uFEFF/, '').replaceAll('<', LESS_THAN).replaceAll('>', GREATER_THAN);
  const library = parse(input, {
    // Keep titles as written: no sentence-casing (it also pulls in an NLP model) and no case-protection markup.
    sentenceCase: false,
    english: false,
    caseProtection: false,
    // An unknown TeX command keeps its argument's text rather than failing the whole file.
    unsupported: 'ignore',
  });
  const lineOf = lineLocator(input);
  const papers: ImportedPaper[] = [];
  const problems: ImportProblem[] = [];
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
  const entryAt = positions(library.entries.map((e) => e.input));
  const errorAt = positions(library.errors.map((e) => e.input ?? ''));
  const located = [
    ...library.entries.map((entry, i) => ({ kind: 'entry' as const, entry, at: entryAt[i] })).filter((e) => e.entry.input),
    ...library.errors.map((error, i) => ({ kind: 'error' as const, error, at: errorAt[i] })),
  ].sort((a, b) => a.at - b.at);
  for (const item of located) {
    const line = lineOf(Math.max(0, item.at));
    if (item.kind === 'error') {
      // The parser's own "at line N" counts where it gave up, not where the entry starts: drop it.
      problems.push({ line, reason: plain(item.error.error.replace(/ at line \d+, column \d+/, '')) ?? 'unreadable entry' });
      continue;
    }
    const { entry } = item;
    const fields = entry.fields;
    const result = toImportedPaper(
      {
        title: plain(fields.title),
        abstract: plain(fields.abstract),
        authors: fields.author?.map(creatorName),
        date: dateOf(fields.year, fields.month),
        url: plain(fields.url) ?? (fields.doi ? `https://doi.org/${fields.doi}` : undefined),
      },
      sourceName,
      line,
    );
    if (typeof result === 'string') problems.push({ line, reason: `@${entry.type}{${entry.key}}: ${result}` });
    else papers.push(result);
  }
  if (library.entries.length === 0 && library.errors.length === 0) problems.push({ line: 1, reason: 'no BibTeX entries found' });
  return dedupeImported({ papers, problems });
}

/** Parser output as plain text: its HTML tags dropped, the user's own < and > restored. */
function plain(value: string | undefined): string | undefined {
  return value?.replace(/<[^>]*>/g, '').replaceAll(LESS_THAN, '<').replaceAll(GREATER_THAN, '>');
}

function creatorName(creator: Creator): string {
  if (creator.name) return plain(creator.name) ?? '';
  return plain([creator.firstName, creator.prefix, creator.lastName, creator.suffix].filter(Boolean).join(' ')) ?? '';
}

/** "Jun 2017" or "2017", the way the seed listings print dates; the parser gives months as 1..12. */
function dateOf(year: string | undefined, month: string | undefined): string | undefined {
  if (!year) return undefined;
  const name = MONTHS[Number(month) - 1];
  return name ? `${name} ${year}` : year;
}
