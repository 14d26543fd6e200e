/**
 * Text a user pastes to find related papers, read as a paper: a short first line followed by more
 * text is its title, the rest its abstract; anything else is all abstract. The embedding text is then
 * the corpus's own form (paperText), so a pasted paper lands where the same paper in the corpus would.
 */
import { PapersiftError } from './errors';
import { MAX_ABSTRACT_CHARS, MAX_TITLE_CHARS } from './import/imported-paper';
import { paperText } from './models';

export interface PastedPaper {
  /** '' when the text had no title line. */
  title: string;
  abstract: string;
  /** What the model embeds: "title. abstract", or the abstract alone. */
  text: string;
  /** True when the text was longer than an abstract may be and was cut. */
  truncated: boolean;
}

/** Longer than this, a first line is a paragraph, not a title. */
const TITLE_LINE_CHARS = 300;

export function pastedPaper(input: string): PastedPaper {
  const trimmed = (input ?? '').replace(/\r\n?/g, '\n').trim();
  if (!trimmed) throw new PapersiftError('empty-query', 'Paste a title and abstract (or any passage) to find related papers');
  const limit = MAX_TITLE_CHARS + MAX_ABSTRACT_CHARS;
  const kept = trimmed.length > limit ? trimmed.slice(0, limit) : trimmed;
  const lineBreak = kept.indexOf('\n');
  const firstLine = lineBreak < 0 ? kept : kept.slice(0, lineBreak).trim();
  const rest = lineBreak < 0 ? '' : kept.slice(lineBreak + 1);
  const hasTitle = rest.trim().length > 0 && firstLine.length <= TITLE_LINE_CHARS;
  const title = hasTitle ? collapse(firstLine) : '';
  const abstract = collapse(hasTitle ? rest : kept);
  return { title, abstract, text: title ? paperText({ title, abstract }) : abstract, truncated: kept.length < trimmed.length };
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
