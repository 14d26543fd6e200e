/**
 * Which words of a card's text to mark: those whose index term the paper matched (the engine's own analyzer
 * decides). A word is a maximal run of letters and digits, as the analyzer's tokenizer splits text; every
 * occurrence of a marked word is marked. Computed in one pass over the text, each distinct word analysed once
 * per page (a result list of ten cards has ~500 words, most of them seen in earlier lists).
 */
import { processTerm } from '../core/lexical/analyzer';

/** The text cut into alternating runs: unmarked, marked, unmarked, … (even indexes unmarked, possibly empty). */
export type Segments = string[];

const WORD = /[\p{L}\p{N}]+/gu;

/** Word → its index term ('' for a stopword), for words seen so far; cleared when it grows past MAX_WORDS. */
const termOf = new Map<string, string>();
const MAX_WORDS = 20_000;

function term(word: string): string {
  let t = termOf.get(word);
  if (t === undefined) {
    if (termOf.size >= MAX_WORDS) termOf.clear();
    t = processTerm(word) ?? '';
    termOf.set(word, t);
  }
  return t;
}

/** `text` as segments with the words matching `terms` at odd indexes; null when nothing is marked. */
export function highlightSegments(text: string, terms: readonly string[] | undefined): Segments | null {
  if (!terms || terms.length === 0) return null;
  const wanted = new Set(terms);
  let out: Segments | null = null;
  let from = 0;
  for (const match of text.matchAll(WORD)) {
    const word = match[0];
    const t = term(word);
    if (t === '' || !wanted.has(t)) continue;
    out ??= [];
    out.push(text.slice(from, match.index), word);
    from = match.index + word.length;
  }
  if (out) out.push(text.slice(from));
  return out;
}
