/**
 * JSON → papers: a JSON array of objects, or JSON lines (one object per line), each
 * `{title, abstract, authors?, date?, url?}`. Extra fields are ignored.
 */
import { dedupeImported, lineLocator, toImportedPaper, type ImportFields, type ImportProblem, type ImportResult, type ImportedPaper } from './imported-paper';

export function parseJsonPapers(text: string, sourceName: string): ImportResult {
  const input = text.replace(/^\uFEFF/, '');
  const items = input.trimStart().startsWith('[') ? arrayItems(input) : jsonLines(input);
  const papers: ImportedPaper[] = [];
  const problems: ImportProblem[] = [];
  for (const item of items) {
    if ('reason' in item) {
      problems.push(item);
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null || Array.isArray(item.value)) {
      problems.push({ line: item.line, reason: 'not an object with title and abstract' });
      continue;
    }
    const result = toImportedPaper(item.value as ImportFields, sourceName, item.line);
    if (typeof result === 'string') problems.push({ line: item.line, reason: result });
    else papers.push(result);
  }
  if (items.length === 0) problems.push({ line: 1, reason: 'no papers found' });
  return dedupeImported({ papers, problems });
}

type Item = { line: number; value: unknown } | ImportProblem;

function jsonLines(input: string): Item[] {
  const items: Item[] = [];
  input.split(/\r\n|\r|\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      items.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (e) {
      items.push({ line: i + 1, reason: `not valid JSON (${(e as Error).message})` });
    }
  });
  return items;
}

/**
 * A JSON array's elements with the line each starts on. JSON.parse gives no positions, so a small scan
 * (strings and nesting only) finds where each top-level element begins.
 */
function arrayItems(input: string): Item[] {
  let values: unknown;
  try {
    values = JSON.parse(input);
  } catch (e) {
    // One syntax error spoils the whole array; JSON lines would let the other entries through.
    return [{ line: 1, reason: `not valid JSON (${(e as Error).message})` }];
  }
  if (!Array.isArray(values)) return [{ line: 1, reason: 'not a JSON array' }];
  const lineOf = lineLocator(input);
  const starts: number[] = [];
  let depth = 0;
  let inString = false;
  let awaitingElement = false;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (awaitingElement && !/\s/.test(c) && c !== ']') {
      starts.push(lineOf(i));
      awaitingElement = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      depth++;
      if (depth === 1) awaitingElement = true;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) awaitingElement = true;
  }
  return values.map((value, i) => ({ line: starts[i] ?? 1, value }));
}
