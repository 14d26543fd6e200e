/**
 * npx tsx bench/expand-probe.ts [--show]
 *
 * Probe for issue #15 item 2: semantic query-term expansion. The corpus vocabulary (every index term
 * in at least two papers, spelled as the papers most often spell it) is embedded once with the same
 * model; a query word's nearest vocabulary words are added to the BM25 side of the shipped hybrid
 * (coverage z-score + PRF), weighted by their cosine. "shorten" may then reach papers that say
 * "truncat(e)" or "smaller". Scored per kind and per half (alternate queries) on the judged queries.
 * Word vectors are cached in .cache/ (a minute or two the first time). --show prints each typed
 * query's expansions.
 */
import '../src/cli/node-env';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedQueries } from '../src/cli/embed-queries';
import { REPO_ROOT } from '../src/cli/node-env';
import { probeHeader, probeRow, rotatedUnit } from './probe-pipeline';
import { openEngine } from '../src/cli/open-engine';
import { parseJudgedQueries, type JudgedQuery } from '../src/core/eval/queries';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import type { Scored } from '../src/core/hybrid/fuse';
import { rocchio } from '../src/core/hybrid/prf';
import { candidateVectors, smoothOverNeighbours } from '../src/core/hybrid/smooth';
import { coverageOf, queryTermWeights, searchLexical, similarLexical, type LexicalHit } from '../src/core/lexical/index';
import { paperTerms, processTerm, tokenize } from '../src/core/lexical/analyzer';
import { dot } from '../src/core/vectors';

const SHOW = process.argv.includes('--show');
const opened = await openEngine({ log: (l) => process.stderr.write(`${l}\n`) });
const { engine, embedder, artifacts } = opened;
const D = engine.dims;
const N = engine.papers.length;
const queries = parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test/eval/queries.json'), 'utf8')));

// Vocabulary: index term → document frequency and its most frequent surface form.
const df = new Map<string, number>();
const surfaces = new Map<string, Map<string, number>>();
for (const p of engine.papers) {
  const seen = new Set<string>();
  for (const token of tokenize(`${p.title} ${p.abstract}`)) {
    const term = processTerm(token);
    if (!term || !/^\p{L}{3,}$/u.test(term)) continue;
    const lower = token.toLowerCase();
    const s = surfaces.get(term) ?? new Map<string, number>();
    s.set(lower, (s.get(lower) ?? 0) + 1);
    surfaces.set(term, s);
    if (!seen.has(term)) df.set(term, (df.get(term) ?? 0) + 1);
    seen.add(term);
  }
}
const vocab = [...df].filter(([, n]) => n >= 2).map(([t]) => t).sort();
const spelled = vocab.map((t) => [...(surfaces.get(t) as Map<string, number>)].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0]);

async function cachedEmbed(name: string, texts: string[]): Promise<Float32Array> {
  const file = join(REPO_ROOT, '.cache', `${name}-${engine.manifest.model.id}-${texts.length}.f32`);
  if (existsSync(file)) return new Float32Array(readFileSync(file).buffer.slice(0));
  process.stderr.write(`Embedding ${texts.length} ${name}…\n`);
  const out = await embedder.embedDocuments(texts, { batchSize: 64 });
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  writeFileSync(file, Buffer.from(out.buffer));
  return out;
}
const vocabVectors = await cachedEmbed('vocab', spelled);
// Query words, embedded the same way (as documents, no instruction), so word and word compare alike.
const queryWords = [...new Set(queries.filter((q) => q.kind !== 'similar').flatMap((q) => tokenize(q.text).filter((t) => processTerm(t)).map((t) => t.toLowerCase())))].sort();
const wordVectors = await cachedEmbed('query-words', queryWords);
const wordRow = new Map(queryWords.map((w, i) => [w, i]));
const queryVectors = await embedQueries(embedder, queries);
// Whole queries embedded as documents (no instruction), to compare with the vocabulary's word vectors.
const typedQueries = queries.filter((q): q is Extract<JudgedQuery, { text: string }> => q.kind !== 'similar');
const queryAsText = await embedder.embedDocuments(typedQueries.map((q) => q.text));
const queryAsTextRow = new Map(typedQueries.map((q, i) => [q.text, i]));
await embedder.dispose();
console.log(`${vocab.length} vocabulary terms (in ≥ 2 of ${N} papers); ${queryWords.length} query words.\n`);

const rotate = (v: Float32Array) => rotatedUnit(artifacts.rotation, D, v);

/** A query's expansion: extra index term → cosine with the query word it came from (best over words), plus which query term it stands for. */
type Expansion = Map<string, { sim: number; for: string }>;
interface Setting {
  name: string;
  /** Neighbours per query word and the cosine they must reach. */
  k: number;
  min: number;
  /** Only words in at most this share of papers are expanded (1: all). */
  maxShare: number;
  /** Expanded terms' BM25 boost = weight × cosine. */
  weight: number;
  /** An expansion term found in a paper credits its query term's coverage by its cosine. */
  softCoverage: boolean;
  /** Neighbours of the whole query's vector instead of each word's. */
  wholeQuery?: boolean;
}

function expansion(text: string, s: Setting): Expansion {
  const own = new Set<string>();
  const out: Expansion = new Map();
  const words = tokenize(text).filter((t) => processTerm(t));
  for (const t of words) own.add(processTerm(t) as string);
  if (s.wholeQuery) {
    const row = queryAsTextRow.get(text) as number;
    const qv = queryAsText.subarray(row * D, (row + 1) * D);
    const near: [string, number][] = [];
    for (let v = 0; v < vocab.length; v++) if (!own.has(vocab[v])) near.push([vocab[v], dot(qv, vocabVectors, D, v * D)]);
    near.sort((a, b) => b[1] - a[1]);
    for (const [t, sim] of near.slice(0, s.k)) out.set(t, { sim, for: '' });
    return out;
  }
  for (const word of words) {
    const term = processTerm(word) as string;
    if ((df.get(term) ?? 0) / N > s.maxShare) continue;
    const row = wordRow.get(word.toLowerCase()) as number;
    const wv = wordVectors.subarray(row * D, (row + 1) * D);
    const near: [string, number][] = [];
    for (let v = 0; v < vocab.length; v++) {
      if (own.has(vocab[v])) continue;
      near.push([vocab[v], dot(wv, vocabVectors, D, v * D)]);
    }
    near.sort((a, b) => b[1] - a[1]);
    for (const [t, sim] of near.slice(0, s.k)) {
      if (sim < s.min) break;
      if ((out.get(t)?.sim ?? -1) < sim) out.set(t, { sim, for: term });
    }
  }
  return out;
}

function expandedLexical(text: string, s: Setting): LexicalHit[] {
  const weights = queryTermWeights(artifacts.lexical, text);
  const extra = expansion(text, s);
  if (extra.size === 0) return searchLexical(artifacts.lexical, text, FUSION_DEPTH);
  const boost = new Map<string, number>([...weights.keys()].map((t) => [t, 1]));
  for (const [t, e] of extra) boost.set(t, s.weight * e.sim);
  const results = artifacts.lexical.search.search(
    { queries: [...boost.keys()], combineWith: 'OR' },
    { tokenize: (t) => [t], processTerm: (t) => t, boostTerm: (t) => boost.get(t) ?? 1 },
  );
  return results.slice(0, FUSION_DEPTH).map((r) => {
    const row = artifacts.lexical.rowById.get(r.id as string) as number;
    const terms = paperTerms(engine.papers[row]);
    let coverage = coverageOf(weights, terms);
    if (s.softCoverage) {
      let total = 0;
      let covered = 0;
      for (const [term, w] of weights) {
        total += w;
        let credit = terms.has(term) ? 1 : 0;
        for (const [t, e] of extra) if (e.for === term && terms.has(t)) credit = Math.max(credit, e.sim);
        covered += w * credit;
      }
      coverage = total > 0 ? covered / total : 0;
    }
    return { row, id: r.id as string, score: r.score, terms: Object.keys(r.match), coverage };
  });
}

function semantic(qv: Float32Array, exclude: number): Scored[] {
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) if (r !== exclude) list.push({ row: r, score: dot(qv, engine.vectors, D, r * D) });
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}

/** The shipped pipeline with the lexical side given; "similar" as shipped (smoothed). */
function ranked(q: JudgedQuery, lexical: (text: string) => LexicalHit[]): Scored[] {
  if (q.kind === 'similar') {
    const source = engine.rowOf(q.source);
    const fused = fuseHybrid(similarLexical(artifacts.lexical, engine.papers[source], FUSION_DEPTH).filter((h) => h.row !== source), semantic(engine.vectors.slice(source * D, (source + 1) * D), source));
    return smoothOverNeighbours(fused, candidateVectors(fused, engine.vectors, D, FUSION_DEPTH), D, FUSION_DEPTH);
  }
  const qv = rotate(queryVectors.get(q.id) as Float32Array);
  const lex = lexical(q.text);
  const first = fuseHybrid(lex, semantic(qv, -1));
  const moved = rocchio(qv, engine.vectors, D, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT);
  return fuseHybrid(lex, semantic(moved, -1));
}

const ids = (list: Scored[]) => list.map((s) => engine.papers[s.row].id);
const settings: Setting[] = [];
for (const maxShare of [1, 0.05])
  for (const [k, min] of [[3, 0.8], [5, 0.75], [10, 0.7]] as [number, number][])
    for (const weight of [0.5, 1])
      for (const softCoverage of [false, true]) settings.push({ name: `k ${k}, cos ≥ ${min}, ${maxShare === 1 ? 'every word' : 'words in ≤ 5% of papers'}, boost ${weight}×cos, ${softCoverage ? 'soft' : 'plain'} coverage`, k, min, maxShare, weight, softCoverage });
for (const k of [3, 5, 10]) for (const weight of [0.5, 1]) settings.push({ name: `whole query: its ${k} nearest vocabulary terms, boost ${weight}×cos`, k, min: -1, maxShare: 1, weight, softCoverage: false, wholeQuery: true });

if (SHOW) {
  const s = settings.find((x) => x.k === 5 && x.maxShare === 1) as Setting;
  const w = settings.find((x) => x.wholeQuery && x.k === 5) as Setting;
  for (const q of typedQueries) console.log(`${q.id} "${q.text}": ${[...expansion(q.text, s)].map(([t, e]) => `${t}←${e.for} ${e.sim.toFixed(2)}`).join(', ')}\n  whole query → ${[...expansion(q.text, w)].map(([t, e]) => `${t} ${e.sim.toFixed(2)}`).join(', ')}`);
}

console.log(probeHeader('lexical side'));
console.log(probeRow('BM25 as shipped', queries, (q) => ids(ranked(q, (t) => searchLexical(artifacts.lexical, t, FUSION_DEPTH)))));
for (const s of settings) console.log(probeRow(s.name, queries, (q) => ids(ranked(q, (t) => expandedLexical(t, s)))));
