/**
 * npm run search -- "query text" [--k N] [--dims D] [--adaptive] [--similar ID|TITLE] [--model ID] [--json]
 * npm run search -- --related FILE   (a pasted title + abstract; - reads standard input)
 * npm run search -- --batch FILE     (JSON lines: {"id","text"} or {"id","similar"})
 * --with FILE adds the user's papers first (BibTeX, JSON, pasted list, or a .pscoll collection file).
 * --index DIR searches an index built by `npm run build-index -- --corpus FILE --out DIR` instead of the seeds
 * (a format-3 index from `build-index --merge ... --format 3`: queries, --similar, filters and --sort).
 */
import './node-env';
import { readFileSync } from 'node:fs';
import { importPapers, parseImportFile, readCollection } from '../core/import';
import { checkInputPaths, formatProblem } from './paper-files';
import { getModel } from '../core/models';
import { pastedPaper } from '../core/pasted-paper';
import { parseArgs } from 'node:util';
import type { Embedder } from '../core/embed/types';
import { describeError } from '../core/errors';
import type { Dtype } from '../core/models';
import { describeFilter, isActiveFilter, parseYearRange, SORT_ORDERS, type PaperFilter, type SortOrder } from '../core/filter';
import { SEARCH_MODES, type SearchEngine, type SearchMode, type SearchOptions, type SearchResult } from '../core/search';
import type { KeywordMatches } from '../core/lexical';
import { relevanceBand } from '../core/relevance/relevance';
import { openEngine } from './open-engine';
import { manifestVersionIn, searchFormat3 } from './format3-search';

const USAGE = `Usage:
  npm run search -- "query text" [options]
  npm run search -- --similar <paper id or exact title> [options]
  npm run search -- --related <file with a title and abstract, or - for stdin> [options]
  npm run search -- --batch queries.jsonl [options]

Options:
  --index DIR      search the index built into DIR by build-index (default: the seed papers); a
                   format-3 index (build-index --merge --format 3) takes queries, --similar, --related, --mode,
                   --year, --category, --sort, --k and --json
  --mode M         hybrid (default: BM25 and embeddings fused), semantic or lexical
  --k N            results to return (default 10)
  --dims D         leading rotated dimensions to compare: 32, 64, 128, 256 or 384 (default full)
  --adaptive       shortlist at --dims with HNSW, re-rank at full dims
  --shortlist N    shortlist size for --adaptive (default 50)
  --exact          brute-force search instead of HNSW
  --year Y         only papers from these years: 2007, 2005-2007, 2005- or -2007 (needs dates in the corpus)
  --category C     only papers in this category (cs.LG) or archive (cs: every cs.* category)
  --sort S         relevance (default) or date: the --k most relevant papers, newest first
  --model ID       bge-small-en-v1.5 (default) or all-MiniLM-L6-v2
  --dtype T        q8 or fp32
  --with FILE      add your papers first: BibTeX, JSON / JSON lines (arXiv metadata too), CSV with a
                   header row, a pasted list, or a .pscoll collection exported by the site (its
                   embeddings are reused when the model matches). UTF-8 or UTF-16. Exits 1 when the
                   file is missing, a directory, empty, binary, or holds no readable paper
  --json           one JSON object per query instead of a table
  --rebuild        rebuild the artifacts even if they match`;

export interface BatchLine {
  id: string;
  text?: string;
  similar?: string;
}

export interface BatchOutcome {
  line: string;
  results?: { id: string; title: string; score: number }[];
  error?: string;
}

/** Runs one batch file's lines; a bad line yields an error entry and the rest still run. */
export async function runBatch(
  lines: string[],
  engine: SearchEngine,
  embedder: Embedder,
  options: SearchOptions,
): Promise<{ id: string | null; results?: BatchOutcome['results']; error?: string }[]> {
  const out = [];
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const where = `line ${i + 1}`;
    let entry: BatchLine;
    try {
      entry = JSON.parse(raw) as BatchLine;
    } catch {
      out.push({ id: null, error: `${where}: not valid JSON: ${raw.slice(0, 80)}` });
      continue;
    }
    if (typeof entry !== 'object' || entry === null || (typeof entry.text !== 'string' && typeof entry.similar !== 'string')) {
      out.push({ id: typeof entry?.id === 'string' ? entry.id : null, error: `${where}: needs "text" or "similar"` });
      continue;
    }
    const id = typeof entry.id === 'string' ? entry.id : `line-${i + 1}`;
    try {
      const result =
        typeof entry.similar === 'string'
          ? engine.similar(entry.similar, options)
          : await engine.search(embedder, entry.text as string, options);
      out.push({ id, results: compact(result) });
    } catch (e) {
      out.push({ id, error: `${where} (${id}): ${describeError(e)}` });
    }
  }
  return out;
}

/** `--with`, read before the engine loads: a collection file's bytes (it needs the model to read), or papers. */
export type UserPapers = { kind: 'collection'; file: string; bytes: Uint8Array } | { kind: 'papers'; file: string; parsed: ReturnType<typeof parseImportFile> };

/**
 * Reads a `--with` file, printing its problems (`file:line: error|warning: ...`) to `log`. Returns why
 * nothing in it is usable (binary, empty, no readable entry), or what it holds.
 */
export function readUserPapers(file: string, log: (line: string) => void): UserPapers | { error: string } {
  const bytes = new Uint8Array(readFileSync(file));
  if (new TextDecoder('latin1').decode(bytes.subarray(0, 6)) === 'PSCOLL') return { kind: 'collection', file, bytes };
  const parsed = parseImportFile(bytes, file);
  for (const problem of parsed.problems) log(formatProblem({ source: file, line: problem.line, message: problem.reason, severity: problem.severity }));
  if (parsed.papers.length === 0) return { error: `Nothing usable in ${file}: no paper could be read from it` };
  return { kind: 'papers', file, parsed };
}

/** `--with`: the user's papers into the engine before searching, reported on stderr like the site reports them. */
async function addUserPapers(user: UserPapers, engine: SearchEngine, embedder: Embedder): Promise<void> {
  if (user.kind === 'collection') {
    const { papers, embeddings } = readCollection(user.bytes, { model: getModel(engine.manifest.model.id), dtype: engine.manifest.model.dtype });
    const added = engine.addPapers(papers, embeddings!);
    process.stderr.write(`Added ${added.added.length} papers from ${user.file} (${added.duplicates.length} already held)\n`);
    return;
  }
  const { parsed } = user;
  const result = await importPapers(engine, embedder, parsed.papers);
  const count = (severity: string) => parsed.problems.filter((p) => p.severity === severity).length;
  process.stderr.write(
    `Added ${result.added.length} papers from ${user.file} (${parsed.format}; ${result.duplicates.length} already held, ${count('error')} unreadable, ${count('warning')} warnings)\n`,
  );
}

function compact(result: SearchResult) {
  return result.hits.map((h) => ({
    id: h.paper.id,
    title: h.paper.title,
    score: round(h.score),
    ...(h.paper.published ? { published: h.paper.published } : {}),
    ...(h.paper.categories?.length ? { categories: h.paper.categories } : {}),
    ...(h.relevance === undefined ? {} : { relevance: round(h.relevance) }),
  }));
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * One row per hit: the calibrated relevance (an estimated chance of being relevant, the same scale for
 * every query and mode) in words and per cent; a model with no calibration shows its ranking score.
 */
export function formatTable(result: SearchResult): string {
  const calibrated = result.hits.every((h) => h.relevance !== undefined);
  const rows = result.hits.map((h, i) => {
    const title = h.paper.title.length > 72 ? `${h.paper.title.slice(0, 71)}…` : h.paper.title;
    const relevance = calibrated ? `${relevanceBand(h.relevance as number).words.padEnd(17)} ${`${Math.round((h.relevance as number) * 100)}%`.padStart(4)}` : h.score.toFixed(4).padStart(22);
    // The date and categories the filters and the date sort read, when the corpus has them.
    const about = [h.paper.id, h.paper.published, h.paper.categories?.join(' ')].filter(Boolean).join(' · ');
    return `${String(i + 1).padStart(4)}  ${relevance}  ${title}\n${' '.repeat(30)}${about}`;
  });
  const notes = [
    result.correctedQuery ? `No paper has the query's words: keyword matches are for "${result.correctedQuery}"` : '',
    result.authorMatches ? `Papers by ${result.authorMatches.names.join(', ')} first (${result.authorMatches.papers})` : '',
    result.noCloseMatch ? 'No close matches — nearest papers:' : '',
    result.keywordMatches ? keywordLine(result.keywordMatches) : '',
  ].filter(Boolean);
  return [...notes, `rank  ${calibrated ? 'relevance'.padEnd(22) : 'score'.padStart(22)}  title / id`, ...rows].join('\n');
}

function keywordLine({ all, any }: KeywordMatches): string {
  if (all > 0) return `${all} ${all === 1 ? 'paper contains' : 'papers contain'} all of the query's words`;
  if (any > 0) return `${any} ${any === 1 ? 'paper contains' : 'papers contain'} some of the query's words, none all`;
  return 'No paper contains the query\'s words';
}

function intOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be a whole number; got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        mode: { type: 'string' },
        k: { type: 'string' },
        dims: { type: 'string' },
        adaptive: { type: 'boolean' },
        shortlist: { type: 'string' },
        exact: { type: 'boolean' },
        year: { type: 'string' },
        category: { type: 'string' },
        sort: { type: 'string' },
        similar: { type: 'string' },
        related: { type: 'string' },
        with: { type: 'string' },
        index: { type: 'string' },
        model: { type: 'string' },
        dtype: { type: 'string' },
        json: { type: 'boolean' },
        batch: { type: 'string' },
        rebuild: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const query = positionals.join(' ');
  if (!values.batch && values.similar === undefined && values.related === undefined && query.trim() === '') {
    process.stderr.write(`Nothing to search: give a query, --similar, --related or --batch.\n\n${USAGE}\n`);
    return 2;
  }
  let options: SearchOptions;
  try {
    if (values.mode !== undefined && !SEARCH_MODES.includes(values.mode as SearchMode)) {
      throw new Error(`--mode must be one of ${SEARCH_MODES.join(', ')}; got "${values.mode}"`);
    }
    if (values.sort !== undefined && !SORT_ORDERS.includes(values.sort as SortOrder)) {
      throw new Error(`--sort must be one of ${SORT_ORDERS.join(', ')}; got "${values.sort}"`);
    }
    const filter: PaperFilter = { ...(values.year !== undefined ? parseYearRange(values.year) : {}), category: values.category };
    options = {
      filter: isActiveFilter(filter) ? filter : undefined,
      sort: values.sort as SortOrder | undefined,
      mode: values.mode as SearchMode | undefined,
      k: intOption(values.k, 'k'),
      dims: intOption(values.dims, 'dims'),
      adaptive: values.adaptive,
      shortlist: intOption(values.shortlist, 'shortlist'),
      exact: values.exact,
    };
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n`);
    return 2;
  }

  if (values.index !== undefined && values.rebuild) {
    process.stderr.write(`--rebuild does not apply to --index: rebuild it with npm run build-index -- --corpus FILE --out ${values.index} --force\n`);
    return 2;
  }
  if (values.index !== undefined && manifestVersionIn(values.index) === 3) {
    // Format 3 (build-index --merge --format 3): its own engine over the folder's shards.
    const unsupported = ['with', 'batch', 'exact', 'model', 'dtype', 'shortlist'].filter(
      (name) => values[name as keyof typeof values] !== undefined,
    );
    if (unsupported.length > 0) {
      process.stderr.write(`A format-3 index does not take --${unsupported.join(', --')} (yet)\n`);
      return 2;
    }
    try {
      return await searchFormat3(
        {
          dir: values.index,
          query,
          similar: values.similar,
          related: values.related === undefined ? undefined : pastedPaper(readFileSync(values.related === '-' ? 0 : values.related, 'utf8')),
          options,
          json: values.json ?? false,
          formatTable,
        },
        (line) => process.stderr.write(`${line}\n`),
      );
    } catch (e) {
      process.stderr.write(`${describeError(e)}\n`);
      return 1;
    }
  }
  // Every file is checked, and --with read, before the model and the engine load: a typo costs no wait.
  const pathProblems = [
    ...checkInputPaths(values.with === undefined ? [] : [values.with], '--with'),
    ...checkInputPaths(values.batch === undefined ? [] : [values.batch], '--batch'),
    ...checkInputPaths(values.related === undefined || values.related === '-' ? [] : [values.related], '--related'),
  ];
  if (pathProblems.length > 0) {
    process.stderr.write(`${pathProblems.join('\n')}\n`);
    return 1;
  }
  let user: UserPapers | undefined;
  if (values.with !== undefined) {
    const read = readUserPapers(values.with, (line) => process.stderr.write(`${line}\n`));
    if ('error' in read) {
      process.stderr.write(`${read.error}\n`);
      return 1;
    }
    user = read;
  }

  const { engine, embedder } = await openEngine({
    modelId: values.model,
    dtype: values.dtype as Dtype | undefined,
    rebuild: values.rebuild,
    index: values.index,
  });
  try {
    if (user) await addUserPapers(user, engine, embedder);
    if (values.batch) {
      let text: string;
      try {
        text = readFileSync(values.batch, 'utf8');
      } catch (e) {
        process.stderr.write(`Cannot read batch file ${values.batch}: ${describeError(e)}\n`);
        return 1;
      }
      const outcomes = await runBatch(text.split('\n'), engine, embedder, options);
      let ran = 0;
      for (const o of outcomes) {
        if (o.error) process.stderr.write(`error: ${o.error}\n`);
        else ran++;
        process.stdout.write(`${JSON.stringify(o)}\n`);
      }
      process.stderr.write(`${ran} of ${outcomes.length} batch entries ran\n`);
      return ran > 0 ? 0 : 1;
    }
    const started = performance.now();
    const pasted = values.related === undefined ? undefined : pastedPaper(readFileSync(values.related === '-' ? 0 : values.related, 'utf8'));
    const result = pasted
      ? engine.related(pasted, (await embedder.embedDocuments([pasted.text])).slice(), options)
      : values.similar !== undefined
        ? engine.similar(values.similar, options)
        : await engine.search(embedder, query, options);
    const ms = performance.now() - started;
    const about = pasted ? pasted.title || `${pasted.abstract.slice(0, 60)}…` : undefined;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ query: about ?? values.similar ?? query, results: compact(result) })}\n`);
    } else {
      const what = about ? `Related to "${about}"` : values.similar !== undefined ? `Similar to "${engine.paper(values.similar).title}"` : `"${query}"`;
      const dims = result.adaptive ? `adaptive ${result.dims}→${engine.dims} dims` : `${result.dims} dims`;
      const mode = result.mode === 'lexical' ? 'lexical (BM25)' : `${result.mode}, ${dims}`;
      const scope = options.filter ? `, among ${result.matching} papers of ${describeFilter(options.filter)}` : '';
      const order = result.sort === 'date' ? ', newest first' : '';
      process.stdout.write(`${what} — ${mode}${scope}${order}, ${ms.toFixed(0)} ms\n${formatTable(result)}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`${describeError(e)}\n`);
    return 1;
  } finally {
    await embedder.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`${describeError(e)}\n`);
      process.exit(1);
    },
  );
}
