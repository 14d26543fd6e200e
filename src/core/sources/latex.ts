/**
 * LaTeX → Unicode text, the way the BibTeX reader gets it: through @retorquere/bibtex-parser (the parser
 * behind Better BibTeX for Zotero: {\"o} → ö, $\alpha$ → α, --- → —). It exposes no converter of its own,
 * so arXiv titles, abstracts and names go through it as the fields of one small entry; that keeps a single
 * LaTeX conversion for every format instead of a hand-written second one.
 */
import { parse, type Options } from '@retorquere/bibtex-parser';

export const BIBTEX_OPTIONS: Options = {
  // Keep titles as written: no sentence-casing (it also pulls in an NLP model) and no case-protection markup.
  sentenceCase: false,
  english: false,
  caseProtection: false,
  // An unknown TeX command keeps its argument's text rather than failing the whole file.
  unsupported: 'ignore',
};

/**
 * `<` and `>` are no BibTeX syntax, but the parser reads them as TeX text-mode glyphs (¡ ¿, OT1 encoding)
 * and emits its own HTML (<i>, <b>, <sub>, small caps) for \emph and friends. They travel through the
 * parser as private-use characters, so every tag in its output is its own and can be dropped.
 */
const LESS_THAN = '\uE000';
const GREATER_THAN = '\uE001';

/** Text for the parser: the user's own < and > hidden from it. */
export function protectAngles(text: string): string {
  return text.replaceAll('<', LESS_THAN).replaceAll('>', GREATER_THAN);
}

/** Parser output as plain text: its HTML tags dropped, the user's own < and > restored. */
export function plain(value: string | undefined): string | undefined {
  return value
    // Sub- and superscripts with no Unicode form come as <sub>/<sup>: keep them readable (k<sub>F</sub> → k_F).
    ?.replace(/<sub>([^<]*)<\/sub>/g, (_, x: string) => (x.length > 1 ? `_(${x})` : `_${x}`))
    .replace(/<sup>([^<]*)<\/sup>/g, (_, x: string) => (x.length > 1 ? `^(${x})` : `^${x}`))
    .replace(/<[^>]*>/g, '').replaceAll(LESS_THAN, '<').replaceAll(GREATER_THAN, '>');
}

/** Whether text holds anything the conversion would change; most arXiv titles and half the abstracts hold none. */
export function hasLatex(text: string): boolean {
  return /[\\$^_{}~]|--|``|''/.test(text);
}

/** Whitespace runs (arXiv's hard line breaks and indents) as single spaces. */
export function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * Each value's LaTeX as Unicode text, whitespace collapsed. Only the LaTeX islands are converted: runs of
 * words from one holding a command, math, braces or TeX quotes/dashes to where its `$` and braces balance.
 * The parser's cost grows with its input, and an arXiv abstract is mostly plain words, so this is several
 * times faster than converting whole fields, with the same text. A `%` there is a percent sign, not a TeX
 * comment. An island the parser refuses (an unclosed `$`, unbalanced braces) is tried again with its dollars
 * escaped, then kept as written.
 */
export function latexToText<K extends string>(values: Record<K, string>): Record<K, string> {
  const out = {} as Record<K, string>;
  const islands: string[] = [];
  const pieces = new Map<K, (string | number)[]>();
  for (const k of Object.keys(values) as K[]) {
    const words = values[k].split(/\s+/).filter(Boolean);
    if (!words.some(hasLatex)) {
      out[k] = words.join(' ');
      continue;
    }
    const parts: (string | number)[] = [];
    let island: string[] | null = null;
    let dollars = 0;
    let depth = 0;
    for (const word of words) {
      if (!island && !hasLatex(word)) {
        parts.push(word);
        continue;
      }
      island ??= [];
      island.push(word);
      dollars += (word.match(/(?<!\\)\$/g) ?? []).length;
      depth += (word.match(/(?<!\\)\{/g) ?? []).length - (word.match(/(?<!\\)\}/g) ?? []).length;
      if (dollars % 2 === 0 && depth <= 0) {
        parts.push(islands.push(island.join(' ')) - 1);
        island = null;
        dollars = 0;
        depth = 0;
      }
    }
    if (island) parts.push(islands.push(island.join(' ')) - 1);
    pieces.set(k, parts);
  }
  if (islands.length === 0) return out;
  const percent = (v: string) => v.replace(/(?<!\\)%/g, '\\%');
  const escapeDollars = (v: string) => percent(v).replace(/(?<!\\)\$/g, '\\$');
  // All islands as one field (the parser's cost is mostly per field); when one spoils it, each island alone,
  // so only that one stays as written.
  const converted = convertJoined(islands, percent) ?? islands.map((island) => (convert([island], percent) ?? convert([island], escapeDollars))?.[0] ?? island);
  for (const [k, parts] of pieces) out[k] = collapse(parts.map((p) => (typeof p === 'number' ? (converted[p] ?? islands[p]) : p)).join(' '));
  return out;
}

/** Joins islands with a private-use mark the parser passes through as text, converts once, splits again. */
const ISLAND_BREAK = '\uE002';
function convertJoined(texts: string[], adjust: (v: string) => string): string[] | undefined {
  if (texts.length === 1) return convert(texts, adjust);
  const [joined] = convert([texts.map(adjust).join(` ${ISLAND_BREAK} `)], (v) => v) ?? [];
  const parts = joined?.split(ISLAND_BREAK).map((part) => part.trim());
  return parts?.length === texts.length ? parts : undefined;
}

/** The texts converted as the fields of one entry (one parser call), or undefined when the parser refuses them. */
function convert(texts: string[], adjust: (v: string) => string): string[] | undefined {
  const fields = texts.map((t, i) => `f${i} = {${protectAngles(adjust(t))}}`);
  const library = parse(`@misc{x,\n${fields.join(',\n')}\n}`, BIBTEX_OPTIONS);
  if (library.errors.length > 0 || library.entries.length !== 1) return undefined;
  const entry = library.entries[0].fields as Record<string, string | undefined>;
  return texts.map((t, i) => plain(entry[`f${i}`]) ?? t);
}
