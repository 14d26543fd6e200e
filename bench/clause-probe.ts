/**
 * npx tsx bench/clause-probe.ts [--show]
 *
 * Probe for issue #15 item 2, third round: query clauses. A typed query is split into clauses at
 * punctuation and before a closed list of clause- or phrase-opening function words ("without",
 * "using", "that", "when", ...); a clause with no content word joins its neighbour, so a one-clause
 * query is left exactly as shipped. Each clause is embedded (with bge's query instruction, as the
 * whole query is), and the semantic side scores a paper by a combination of the whole query's cosine
 * and the clauses' cosines; the lexical side, the fusion and the feedback step stay as shipped (the
 * feedback moves the whole query's vector; the clauses' vectors stay). Two split rules: "clauses"
 * (punctuation, conjunctions, subordinators, "without" / "using" / "via" / "instead") and
 * "phrases" (also every preposition but "of"). `--show` prints each query's split. Also a query
 * rewrite of the same family: the query embedded from its content words only (the lexical analyzer's
 * stopwords dropped: "embeddings shorten retraining"), instead of or averaged with the whole query.
 * First row of each table: `npm run eval`'s default.
 */
import '../src/cli/node-env';
import { embedQueries } from '../src/cli/embed-queries';
import { openEngine } from '../src/cli/open-engine';
import type { JudgedQuery } from '../src/core/eval/queries';
import type { Scored } from '../src/core/hybrid/fuse';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { rocchio } from '../src/core/hybrid/prf';
import { analyze, processTerm } from '../src/core/lexical/analyzer';
import { searchLexical } from '../src/core/lexical/index';
import { normaliseInPlace } from '../src/core/vectors';
import { exactSemantic, shippedIds, rotatedUnit, loadJudgedQueries, printProbeTables } from './probe-pipeline';

const log = (l: string) => process.stderr.write(`${l}\n`);
const queries = loadJudgedQueries();
const { engine, embedder, artifacts } = await openEngine({ log });
const D = engine.dims;
const N = engine.papers.length;

const CLAUSE_WORDS = new Set(
  'and but or nor so yet that which who whom whose when where while whereas because since although though unless if whether without using via instead than'.split(' '),
);
const PHRASE_WORDS = new Set([...CLAUSE_WORDS, ...'with for from by in on at to into onto through across over under between among after before during until like'.split(' ')]);

/** The query's clauses: split at punctuation and before a split word; a clause without a content word joins the one before (or after). */
function clauses(text: string, splitWords: ReadonlySet<string>): string[] {
  const parts: string[][] = [];
  for (const piece of text.split(/[,;:!?()"]+|\.(?=\s|$)/)) {
    let current: string[] = [];
    for (const word of piece.trim().split(/\s+/).filter(Boolean)) {
      if (splitWords.has(word.toLowerCase()) && current.length > 0) {
        parts.push(current);
        current = [];
      }
      current.push(word);
    }
    if (current.length > 0) parts.push(current);
  }
  const merged: string[][] = [];
  for (const p of parts) {
    if (analyze(p.join(' ')).length === 0 && merged.length > 0) merged[merged.length - 1].push(...p);
    else merged.push([...p]);
  }
  // A leading clause with no content word joins the next.
  while (merged.length > 1 && analyze(merged[0].join(' ')).length === 0) merged.splice(0, 2, [...merged[0], ...merged[1]]);
  return merged.map((p) => p.join(' '));
}

const typed = queries.filter((q): q is JudgedQuery & { text: string } => q.kind !== 'similar');
const rules = { clauses: CLAUSE_WORDS, phrases: PHRASE_WORDS } as const;
const split = new Map<string, Map<string, string[]>>();
for (const [name, words] of Object.entries(rules)) split.set(name, new Map(typed.map((q) => [q.id, clauses(q.text, words)])));
if (process.argv.includes('--show')) {
  for (const q of typed) console.log(`${q.id}: ${[...split.keys()].map((r) => `${r}: ${(split.get(r)?.get(q.id) as string[]).join(' | ')}`).join('   ')}`);
}

const rotate = (v: Float32Array) => rotatedUnit(artifacts.rotation, D, v);
const whole = new Map([...(await embedQueries(embedder, queries))].map(([id, v]) => [id, rotate(v)]));
const clauseVectors = new Map<string, Float32Array>();
for (const m of split.values()) for (const cs of m.values()) if (cs.length > 1) for (const c of cs) if (!clauseVectors.has(c)) clauseVectors.set(c, rotate(await embedder.embedQuery(c)));
// Content words only: the words the lexical analyzer keeps, in order, as typed.
const contentForm = (text: string) => text.split(/\s+/).filter((w) => w.split(/[^\p{L}\p{N}]+/u).some((t) => t && processTerm(t) !== null)).join(' ');
const contentVectors = new Map<string, Float32Array>();
for (const q of typed) {
  const c = contentForm(q.text);
  contentVectors.set(q.id, c === q.text ? (whole.get(q.id) as Float32Array) : rotate(await embedder.embedQuery(c)));
}
console.log(`Typed queries whose content-word form differs: ${typed.filter((q) => contentForm(q.text) !== q.text).length} / ${typed.length} (flagship: "${contentForm('embeddings you can shorten without retraining')}").`);
await embedder.dispose();
const multi = Object.fromEntries([...split].map(([r, m]) => [r, [...m.values()].filter((cs) => cs.length > 1).length]));
console.log(`Typed queries with more than one part: ${Object.entries(multi).map(([r, n]) => `${r} ${n} / ${typed.length}`).join(', ')}.`);
for (const [name, m] of split) {
  const counts = { keyword: 0, paraphrase: 0, question: 0 } as Record<string, number>;
  for (const q of typed) if ((m.get(q.id) as string[]).length > 1) counts[q.kind]++;
  console.log(`  ${name}: ${Object.entries(counts).map(([k, n]) => `${k} ${n}`).join(', ')}`);
}

/** Cosines of every paper with a rotated vector. */
function cosines(v: Float32Array): Float64Array {
  const out = new Float64Array(N);
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += v[i] * engine.vectors[r * D + i];
    out[r] = s;
  }
  return out;
}
/** z-scored over the corpus. */
function z(xs: Float64Array): Float64Array {
  const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / xs.length) || 1;
  return xs.map((x) => (x - mu) / sd);
}
const top = (score: Float64Array): Scored[] =>
  Array.from(score, (s, row) => ({ row, score: s }))
    .sort((a, b) => b.score - a.score || a.row - b.row)
    .slice(0, FUSION_DEPTH);

type Combine = (wholeVec: Float32Array, parts: Float32Array[]) => Scored[];
const combiners: Record<string, Combine> = {
  'mean of z(whole) and each clause’s z': (w, ps) => {
    const all = [w, ...ps].map((v) => z(cosines(v)));
    return top(all[0].map((_, r) => all.reduce((s, a) => s + a[r], 0) / all.length));
  },
  '½ z(whole) + ½ mean of clause z': (w, ps) => {
    const zw = z(cosines(w));
    const zs = ps.map((v) => z(cosines(v)));
    return top(zw.map((x, r) => 0.5 * x + (0.5 * zs.reduce((s, a) => s + a[r], 0)) / zs.length));
  },
  'whole cosine + mean clause cosine': (w, ps) => {
    const cw = cosines(w);
    const cs = ps.map(cosines);
    return top(cw.map((x, r) => x + cs.reduce((s, a) => s + a[r], 0) / cs.length));
  },
  '½ z(whole) + ½ min of clause z (soft AND)': (w, ps) => {
    const zw = z(cosines(w));
    const zs = ps.map((v) => z(cosines(v)));
    return top(zw.map((x, r) => 0.5 * x + 0.5 * Math.min(...zs.map((a) => a[r]))));
  },
  'one vector: whole + mean of clause vectors': (w, ps) => {
    const v = w.map((x, i) => x + ps.reduce((s, p) => s + p[i], 0) / ps.length);
    normaliseInPlace(v);
    return exactSemantic(engine, v);
  },
};

const partsOf = (rule: string, q: JudgedQuery) => ((split.get(rule) as Map<string, string[]>).get(q.id) as string[]).map((c) => clauseVectors.get(c) as Float32Array);

function hybrid(rule: string, combine: Combine) {
  return (q: JudgedQuery): string[] => {
    const qv = whole.get(q.id) as Float32Array;
    const parts = q.kind === 'similar' ? [] : partsOf(rule, q);
    if (parts.length < 2) return shippedIds(engine, artifacts.lexical, q, qv);
    const lexical = searchLexical(artifacts.lexical, (q as { text: string }).text, FUSION_DEPTH);
    const first = fuseHybrid(lexical, combine(qv, parts));
    const moved = rocchio(qv, engine.vectors, D, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT);
    return fuseHybrid(lexical, combine(moved, parts)).map((s) => engine.papers[s.row].id);
  };
}
function semantic(rule: string | null, combine: Combine | null) {
  return (q: JudgedQuery): string[] => {
    if (q.kind === 'similar') {
      const source = engine.rowOf(q.source);
      return exactSemantic(engine, engine.vectors.slice(source * D, (source + 1) * D), source).map((s) => engine.papers[s.row].id);
    }
    const qv = whole.get(q.id) as Float32Array;
    const parts = rule ? partsOf(rule, q) : [];
    const list = parts.length < 2 || !combine ? exactSemantic(engine, qv) : combine(qv, parts);
    return list.map((s) => engine.papers[s.row].id);
  };
}

const shipped = { name: 'shipped', rank: (q: JudgedQuery) => shippedIds(engine, artifacts.lexical, q, whole.get(q.id)) };
const hybridRows = [shipped, ...Object.keys(rules).flatMap((rule) => Object.entries(combiners).map(([name, c]) => ({ name: `${rule}: ${name}`, rank: hybrid(rule, c) })))];
const semanticRows = [
  { name: 'shipped', rank: semantic(null, null) },
  ...Object.keys(rules).flatMap((rule) => Object.entries(combiners).map(([name, c]) => ({ name: `${rule}: ${name}`, rank: semantic(rule, c) }))),
];
const rewrite = (form: (q: JudgedQuery) => Float32Array) => ({
  hybrid: (q: JudgedQuery) => shippedIds(engine, artifacts.lexical, q, q.kind === 'similar' ? undefined : form(q)),
  semantic: (q: JudgedQuery) => (q.kind === 'similar' ? semantic(null, null)(q) : exactSemantic(engine, form(q)).map((s) => engine.papers[s.row].id)),
});
const contentOnly = rewrite((q) => contentVectors.get(q.id) as Float32Array);
const meanForm = rewrite((q) => {
  const v = (whole.get(q.id) as Float32Array).map((x, i) => x + (contentVectors.get(q.id) as Float32Array)[i]);
  normaliseInPlace(v);
  return v;
});
hybridRows.push({ name: 'query embedded from its content words only', rank: contentOnly.hybrid }, { name: 'mean of the whole query and its content words', rank: meanForm.hybrid });
semanticRows.push({ name: 'query embedded from its content words only', rank: contentOnly.semantic }, { name: 'mean of the whole query and its content words', rank: meanForm.semantic });
console.log('');
printProbeTables(queries, hybridRows, semanticRows, 'Paired over the 60 queries, against shipped (hybrid):');
