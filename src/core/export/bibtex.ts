/**
 * One paper as a BibTeX entry, for "Copy BibTeX". What the paper knows becomes fields (title, author,
 * year, month, eprint / archivePrefix / primaryClass for arXiv, doi, url, journal); nothing is made up.
 * Text fields are escaped so that any title stays one valid field (TeX's specials become their escaped
 * forms); verbatim fields (doi, url, eprint) keep their text, with braces and backslashes percent-encoded
 * so they cannot end the field early. Checked by parsing the output back with @retorquere/bibtex-parser.
 */
import { safeUrl } from '../safe-url';
import type { Paper } from '../types';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const TEX_SPECIALS: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '{': '\\{',
  '}': '\\}',
  $: '\\$',
  '&': '\\&',
  '%': '\\%',
  '#': '\\#',
  _: '\\_',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
};

/** Plain text as BibTeX field text: TeX's special characters escaped, whitespace runs made one space. */
export function escapeBibtexText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\{}$&%#_~^]/g, (c) => TEX_SPECIALS[c]);
}

/** A verbatim field's text: only what would break the field's braces is encoded. */
function verbatim(text: string): string {
  return text.trim().replace(/[{}\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** A citation key from the paper's id: letters, digits and . : _ - kept, anything else a hyphen. */
export function bibtexKey(paper: Pick<Paper, 'id' | 'title'>): string {
  const key = paper.id.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9.:_-]+/g, '-').replace(/^-+|-+$/g, '');
  return key || 'paper';
}

/**
 * One author for an `and`-separated list. A name holding a comma or the word "and" is braced whole, so
 * BibTeX reads it as one name rather than splitting it.
 */
function authorName(name: string): string {
  const text = escapeBibtexText(name);
  return /,|\band\b/i.test(name) ? `{${text}}` : text;
}

export function paperToBibtex(paper: Paper): string {
  const fields: [string, string][] = [];
  // Double braces keep the title's capitals as written.
  fields.push(['title', `{${escapeBibtexText(paper.title)}}`]);
  const authors = (paper.authors ?? []).map((a) => a.trim()).filter(Boolean);
  if (authors.length > 0) fields.push(['author', authors.map(authorName).join(' and ')]);
  const published = /^(\d{4})(?:-(\d{2}))?/.exec(paper.published ?? '');
  if (published) {
    fields.push(['year', published[1]]);
    const month = MONTHS[Number(published[2]) - 1];
    if (month) fields.push(['month', month]);
  }
  if (paper.venue?.trim()) fields.push(['journal', escapeBibtexText(paper.venue)]);
  if (paper.arxivId?.trim()) {
    fields.push(['eprint', verbatim(paper.arxivId)], ['archivePrefix', 'arXiv']);
    const primary = paper.categories?.[0]?.trim();
    if (primary) fields.push(['primaryClass', escapeBibtexText(primary)]);
  }
  if (paper.doi?.trim()) fields.push(['doi', verbatim(paper.doi)]);
  const url = safeUrl(paper.url);
  if (url) fields.push(['url', verbatim(url)]);

  const type = paper.venue?.trim() ? 'article' : 'misc';
  const body = fields.map(([name, value]) => (name === 'month' ? `  ${name} = ${value}` : `  ${name} = {${value}}`)).join(',\n');
  return `@${type}{${bibtexKey(paper)},\n${body}\n}\n`;
}
