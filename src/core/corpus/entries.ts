/**
 * Lines of a paper listing → entries {title, abstract, authors, date}. Format-agnostic on purpose: it reads
 * the scraped listing pages in seeds/ (with or without blank lines, with or without author/date blocks) and
 * is meant to read the user's own lists later. Blank lines carry no meaning here; an entry is a title line
 * followed by an abstract line, told apart by their shape (see looksLikeAbstract), optionally followed by a
 * meta block `byline` / `·` / `date [upvotes]`. Everything it cannot place is reported, never guessed into a
 * neighbouring paper.
 */

/** One paper as read from lines, before deduplication. */
export interface Entry {
  title: string;
  abstract: string;
  /** Names when the byline lists them; null when it gives only a count ("• 9 authors") or an organisation. */
  authors: string[] | null;
  /** As printed ("Sep 25, 2017", "Mar 14"), the upvote count that follows it dropped. */
  date: string | null;
  /** 1-based line of the title. */
  line: number;
}

export type EntryEvent =
  | { kind: 'entry'; entry: Entry }
  /** Something skipped; `line` is 1-based. */
  | { kind: 'problem'; line: number; message: string };

/** Page furniture of the listing site, dropped wherever it stands as a whole line (compared case-insensitively). */
const CHROME_LINES = new Set(
  [
    'new',
    'Subscribe',
    'Daily Papers',
    'byAK and the research community',
    'Get trending papers in your email inbox!',
    'Get trending papers in your email inbox once a day!',
    'Copy link',
    'Upvote',
  ].map((text) => text.toLowerCase()),
);

/**
 * Chrome the scraper glued to the next text with no separator ("SubscribeChimera: ..."). Only stripped when
 * an upper-case letter, digit or quote follows directly, which a real title starting with these words lacks.
 */
const GLUED_CHROME =
  /^(?:new|Subscribe|Daily Papers|Get trending papers in your email inbox(?: once a day)?!)(?=[\p{Lu}\d"'“‘])/u;

/** "Submitted by akhaliq" on one line, or "Submitted by" with the submitter's name on the next line. */
const SUBMITTED_BY = /^Submitted by\b/i;

/** A user name is one word; anything longer after a bare "Submitted by" is kept, lest a title be lost. */
const USER_NAME = /^\S+$/;

/** Upvote counts and similar bare numbers that the page prints on a line of their own. */
const BARE_NUMBER = /^\d+$/;

/** The separator line of a meta block: `byline` / `·` / `date`. */
const META_SEPARATOR = '·';

/** "• 9 authors": the listing gives only how many authors there are, not who. */
const AUTHOR_COUNT = /^•\s*\d+\s+authors?$/i;

/** "Sep 25, 2017", "Mar 14", "Jun 16 3" (3 upvotes), "Dec 5, 2024 2". Group 1 is the date as printed. */
const DATE_LINE = /^((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec) \d{1,2}(?:, \d{4})?)(?: \d+)?$/;

/**
 * Characters no text listing contains: C0/C1 controls other than tab, the replacement character a failed
 * UTF-8 decode leaves, and the two noncharacters U+FFFE/U+FFFF (a UTF-16 byte-order mark read the wrong way).
 */
const BINARY_JUNK = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD\uFFFE\uFFFF]/;

/** Stops after the 30th word instead of splitting a whole abstract into words. */
const THIRTY_WORDS = /^\s*(?:\S+\s+){29}\S/;

/**
 * Whether a line reads as an abstract rather than a title. Seed titles run to 19 words and never contain two
 * sentences; seed abstracts run from 54 words. So: 30 words or more is an abstract; shorter text is one only
 * when it is several sentences ("We study X. We show Y."), which keeps titles with a question inside
 * ("Are Gaussian data all you need? Extents and limits of ...") on the title side.
 */
export function looksLikeAbstract(text: string): boolean {
  if (THIRTY_WORDS.test(text)) return true;
  return /[.!?]\s+\p{Lu}/u.test(text) && /[.!?]["')\]]?$/.test(text);
}

type Token =
  | { kind: 'text'; text: string; line: number }
  | { kind: 'separator'; line: number }
  | { kind: 'author-count'; line: number }
  | { kind: 'date'; date: string; line: number }
  | { kind: 'junk'; line: number; lastLine: number };

/** Drops blank lines and chrome, recognises meta lines, and folds each run of junk lines into one token. */
function* tokenise(lines: Iterable<string>): Generator<Token> {
  let lineNumber = 0;
  let junkRun: { line: number; lastLine: number } | null = null;
  let submitterExpected = false;
  for (const raw of lines) {
    lineNumber++;
    if (BINARY_JUNK.test(raw)) {
      if (junkRun) junkRun.lastLine = lineNumber;
      else junkRun = { line: lineNumber, lastLine: lineNumber };
      continue;
    }
    // Only runs of whitespace and tabs or NBSPs are rewritten; matching every single space costs 5x more.
    let text = raw.replace(/\s{2,}|[^\S ]/g, ' ').trim();
    if (!text) continue; // blank lines neither start nor end a run of junk: binary blobs contain newlines too
    if (junkRun) {
      yield { kind: 'junk', ...junkRun };
      junkRun = null;
    }
    const isSubmitter = submitterExpected && USER_NAME.test(text);
    submitterExpected = false;
    if (isSubmitter) continue;
    if (SUBMITTED_BY.test(text)) {
      submitterExpected = text.toLowerCase() === 'submitted by';
      continue;
    }
    for (let glued = GLUED_CHROME.exec(text); glued; glued = GLUED_CHROME.exec(text)) {
      text = text.slice(glued[0].length);
    }
    if (CHROME_LINES.has(text.toLowerCase()) || BARE_NUMBER.test(text)) continue;
    const date = DATE_LINE.exec(text);
    if (text === META_SEPARATOR) yield { kind: 'separator', line: lineNumber };
    else if (AUTHOR_COUNT.test(text)) yield { kind: 'author-count', line: lineNumber };
    else if (date) yield { kind: 'date', date: date[1], line: lineNumber };
    else yield { kind: 'text', text, line: lineNumber };
  }
  if (junkRun) yield { kind: 'junk', ...junkRun };
}

/** A byline names authors only when it is a comma-separated list; a lone name there is the submitting organisation. */
function authorsFromByline(byline: string): string[] | null {
  const names = byline
    .replace(/^•\s*/, '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names.length >= 2 ? names : null;
}

function junkMessage(line: number, lastLine: number): string {
  const where = line === lastLine ? `line ${line}` : `lines ${line}–${lastLine}`;
  return `binary or control characters on ${where}; skipped`;
}

/**
 * Reads entries from lines (without their line breaks), yielding each entry once nothing more can attach to
 * it, and a problem for every line it skips: junk, a title with no abstract, an abstract with no title.
 */
export function* readEntries(lines: Iterable<string>): Generator<EntryEvent> {
  const tokens = tokenise(lines);
  /** A title waiting for its abstract. */
  let pendingTitle: { text: string; line: number } | null = null;
  /** The last complete entry, still open to the meta block that follows it. */
  let open: Entry | null = null;
  let dateExpected = false;

  function* closeOpen(): Generator<EntryEvent> {
    if (open) yield { kind: 'entry', entry: open };
    open = null;
  }
  function* dropPendingTitle(): Generator<EntryEvent> {
    if (pendingTitle) {
      yield { kind: 'problem', line: pendingTitle.line, message: `title without an abstract: "${pendingTitle.text}"` };
    }
    pendingTitle = null;
  }

  let next = tokens.next();
  while (!next.done) {
    const token = next.value;
    next = tokens.next();
    const separatorFollows = !next.done && next.value.kind === 'separator';
    const afterSeparator = dateExpected;
    dateExpected = false;

    switch (token.kind) {
      case 'junk':
        yield { kind: 'problem', line: token.line, message: junkMessage(token.line, token.lastLine) };
        break;
      case 'separator':
        yield* dropPendingTitle();
        dateExpected = true;
        break;
      case 'author-count':
        yield* dropPendingTitle();
        break;
      case 'date':
        // A date outside a meta block is the page's own date ("Mar 14" above the first paper): chrome.
        if (afterSeparator && open) open.date ??= token.date;
        break;
      case 'text':
        if (looksLikeAbstract(token.text)) {
          if (pendingTitle) {
            yield* closeOpen();
            const { text: title, line } = pendingTitle;
            open = { title, abstract: token.text, authors: null, date: null, line };
            pendingTitle = null;
          } else {
            // Its title was lost (junk, a cut page): closing the previous entry keeps this paper's meta off it.
            yield* closeOpen();
            yield { kind: 'problem', line: token.line, message: 'abstract without a title; skipped' };
          }
        } else if (separatorFollows) {
          yield* dropPendingTitle();
          if (open) open.authors ??= authorsFromByline(token.text);
        } else {
          yield* dropPendingTitle();
          yield* closeOpen();
          pendingTitle = { text: token.text, line: token.line };
        }
        break;
    }
  }
  yield* dropPendingTitle();
  yield* closeOpen();
}
