/**
 * npx tsx bench/doc-expansion-probe.ts
 *
 * Probe for issue #15 item 2, third round: document expansion from neighbours on the lexical side
 * (cluster-based document expansion: Tao et al., "Language model information retrieval with document
 * expansion", NAACL 2006; Liu & Croft, SIGIR 2004), done offline at build time. Each paper's BM25
 * document gets a third field, "expansion": the index terms its K nearest papers (document cosine)
 * share and it lacks, rare ones only (in ≤ 5% of the papers), held by at least two of the neighbours,
 * the 10 with the highest summed neighbour cosine. The field is searched with a low boost. Coverage
 * (the fusion weight of a lexical hit) counts a query term the paper holds only by expansion either
 * at the boost ("soft") or not at all ("own terms"). "similar" is ranked by the engine's pipeline
 * (similarLexical over the same index, fused, smoothed), so it sees the expansion too.
 * Also prints whether the flagship query's words ("shorten", "retraining", "truncate", "shorter")
 * are in any paper at all, and Matryoshka's expansion.
 */
import '../src/cli/node-env';
import MiniSearch from 'minisearch';
import { openEngine } from '../src/cli/open-engine';
import type { JudgedQuery } from '../src/core/eval/queries';
import type { Scored } from '../src/core/hybrid/fuse';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { rocchio } from '../src/core/hybrid/prf';
import { candidateVectors, smoothOverNeighbours } from '../src/core/hybrid/smooth';
import { analyze, paperTerms, processTerm, tokenize } from '../src/core/lexical/analyzer';
import { BM25, queryTermWeights, similarLexical, type LexicalHit, type LexicalIndex } from '../src/core/lexical/index';
import { normaliseInPlace } from '../src/core/vectors';
import { exactSemantic, FLAGSHIP_PAPER, pairedTable, probeHeader, probeRow, shippedIds, rotatedQueryVectors, loadJudgedQueries } from './probe-pipeline';

const log = (l: string) => process.stderr.write(`${l}\n`);
const queries = loadJudgedQueries();
const { engine, embedder, artifacts } = await openEngine({ log });
const D = engine.dims;
const N = engine.papers.length;
const queryVectors = await rotatedQueryVectors(embedder, queries, artifacts.rotation, D);
await embedder.dispose();

const terms = engine.papers.map(paperTerms);
const df = new Map<string, number>();
for (const t of terms) for (const x of t) df.set(x, (df.get(x) ?? 0) + 1);
for (const word of ['shorten', 'shorter', 'truncate', 'retraining', 'retrain', 'smaller', 'compress'])
  console.log(`"${word}" (${analyze(word)[0]}): in ${df.get(analyze(word)[0]) ?? 0} of ${N} papers`);

const cos = (a: number, b: number) => {
  let s = 0;
  for (let i = 0; i < D; i++) s += engine.vectors[a * D + i] * engine.vectors[b * D + i];
  return s;
};
const nearest: number[][] = [];
const sims: Float64Array[] = [];
for (let r = 0; r < N; r++) {
  const row = new Float64Array(N);
  for (let s = 0; s < N; s++) row[s] = s === r ? -Infinity : cos(r, s);
  sims.push(row);
  nearest.push([...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, 20));
}
const RARE = 0.05 * N;
const TERMS_KEPT = 10;
function expansion(r: number, k: number): string[] {
  const score = new Map<string, number>();
  const count = new Map<string, number>();
  for (const s of nearest[r].slice(0, k)) {
    for (const t of terms[s]) {
      if (terms[r].has(t) || (df.get(t) as number) > RARE) continue;
      score.set(t, (score.get(t) ?? 0) + sims[r][s]);
      count.set(t, (count.get(t) ?? 0) + 1);
    }
  }
  return [...score]
    .filter(([t]) => (count.get(t) as number) >= 2)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TERMS_KEPT)
    .map(([t]) => t);
}

/** A lexical index over title, abstract and the expansion terms (already index terms: indexed verbatim). */
function expandedIndex(k: number, boost: number): { index: LexicalIndex; expanded: Set<string>[] } {
  const expanded = engine.papers.map((_, r) => new Set(k > 0 ? expansion(r, k) : []));
  const search = new MiniSearch({
    idField: 'id',
    fields: ['title', 'abstract', 'expansion'],
    storeFields: [],
    tokenize,
    processTerm: (term: string, field?: string) => (field === 'expansion' ? term : processTerm(term)),
    searchOptions: { boost: { title: 1, expansion: boost }, bm25: BM25, combineWith: 'OR' as const },
  });
  search.addAll(engine.papers.map((p, r) => ({ id: p.id, title: p.title, abstract: p.abstract, expansion: [...expanded[r]].join(' ') })));
  return { index: { search, ids: engine.papers.map((p) => p.id), rowById: new Map(engine.papers.map((p, r) => [p.id, r])) }, expanded };
}

function lexicalHits(index: LexicalIndex, expanded: Set<string>[], text: string, soft: number): LexicalHit[] {
  const weights = queryTermWeights(artifacts.lexical, text);
  let total = 0;
  for (const w of weights.values()) total += w;
  return index.search
    .search(text, { processTerm: (t: string) => processTerm(t) })
    .slice(0, FUSION_DEPTH)
    .map((res) => {
      const row = index.rowById.get(res.id as string) as number;
      let covered = 0;
      for (const [t, w] of weights) covered += terms[row].has(t) ? w : expanded[row].has(t) ? soft * w : 0;
      return { row, id: res.id as string, score: res.score, terms: Object.keys(res.match), coverage: total > 0 ? covered / total : 0 };
    });
}

function ranker(k: number, boost: number, soft: boolean) {
  const { index, expanded } = expandedIndex(k, boost);
  return (q: JudgedQuery): string[] => {
    if (q.kind === 'similar') {
      const source = engine.rowOf(q.source);
      const lexical = similarLexical(index, engine.papers[source], FUSION_DEPTH).filter((h) => h.row !== source);
      const fused = fuseHybrid(lexical, exactSemantic(engine, engine.vectors.slice(source * D, (source + 1) * D), source));
      return smoothOverNeighbours(fused, candidateVectors(fused, engine.vectors, D, FUSION_DEPTH), D, FUSION_DEPTH).map((s) => engine.papers[s.row].id);
    }
    const qv = queryVectors.get(q.id) as Float32Array;
    const lexical = lexicalHits(index, expanded, q.text, soft ? boost : 0);
    const first: Scored[] = fuseHybrid(lexical, exactSemantic(engine, qv));
    const moved = rocchio(qv, engine.vectors, D, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT);
    return fuseHybrid(lexical, exactSemantic(engine, moved)).map((s) => engine.papers[s.row].id);
  };
}

const mrl = engine.rowOf(FLAGSHIP_PAPER);
for (const k of [5, 10]) console.log(`Matryoshka's expansion, ${k} neighbours: ${expansion(mrl, k).join(', ') || '(none)'}`);
console.log(`Matryoshka's 10 nearest papers: ${nearest[mrl].slice(0, 10).map((s) => engine.papers[s].id.slice(0, 40)).join('; ')}`);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`Expansion terms per paper (5 / 10 neighbours): ${mean(engine.papers.map((_, r) => expansion(r, 5).length)).toFixed(1)} / ${mean(engine.papers.map((_, r) => expansion(r, 10).length)).toFixed(1)}`);

const rows = [
  { name: 'shipped (npm run eval default)', rank: (q: JudgedQuery) => shippedIds(engine, artifacts.lexical, q, queryVectors.get(q.id)) },
  { name: 'the same, rebuilt here (no expansion)', rank: ranker(0, 0, false) },
  ...[5, 10].flatMap((k) =>
    [0.1, 0.3].flatMap((boost) => [false, true].map((soft) => ({ name: `${k} neighbours, boost ${boost}, ${soft ? 'soft coverage' : 'coverage by own terms'}`, rank: ranker(k, boost, soft) }))),
  ),
];
console.log('\n' + probeHeader('lexical document'));
for (const r of rows) console.log(probeRow(r.name, queries, r.rank));
console.log('\nPaired over the 60 queries, against shipped:\n');
console.log(pairedTable('lexical document', queries, rows));

// ---- The same idea on the vector side: each paper's stored vector expanded by its nearest papers' at build time
// (αDBA, database-side augmentation: x' = normalise(x + Σ_{j ≤ k} cos(x, x_j)^3 · x_j); Radenović et al., TPAMI 2019).
// No runtime cost; the query side is untouched; PRF, Similar and its smoothing read the expanded vectors.
function dba(k: number): Float32Array {
  const out = new Float32Array(N * D);
  for (let r = 0; r < N; r++) {
    for (let i = 0; i < D; i++) out[r * D + i] = engine.vectors[r * D + i];
    for (const s of nearest[r].slice(0, k)) {
      const w = Math.max(0, sims[r][s]) ** 3;
      for (let i = 0; i < D; i++) out[r * D + i] += w * engine.vectors[s * D + i];
    }
    normaliseInPlace(out, r * D, D);
  }
  return out;
}
function exactOver(vectors: Float32Array, qv: Float32Array, exclude = -1): Scored[] {
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) {
    if (r === exclude) continue;
    let s = 0;
    for (let i = 0; i < D; i++) s += qv[i] * vectors[r * D + i];
    list.push({ row: r, score: s });
  }
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}
function dbaRanker(k: number) {
  const vectors = k > 0 ? dba(k) : engine.vectors;
  return (q: JudgedQuery): string[] => {
    if (q.kind === 'similar') {
      const source = engine.rowOf(q.source);
      const lexical = similarLexical(artifacts.lexical, engine.papers[source], FUSION_DEPTH).filter((h) => h.row !== source);
      const fused = fuseHybrid(lexical, exactOver(vectors, vectors.slice(source * D, (source + 1) * D), source));
      return smoothOverNeighbours(fused, candidateVectors(fused, vectors, D, FUSION_DEPTH), D, FUSION_DEPTH).map((s) => engine.papers[s.row].id);
    }
    const qv = queryVectors.get(q.id) as Float32Array;
    const lexical = lexicalHits(artifacts.lexical, engine.papers.map(() => new Set<string>()), q.text, 0);
    const first = fuseHybrid(lexical, exactOver(vectors, qv));
    const moved = rocchio(qv, vectors, D, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT);
    return fuseHybrid(lexical, exactOver(vectors, moved)).map((s) => engine.papers[s.row].id);
  };
}
const dbaRows = [rows[0], ...[0, 1, 3, 5].map((k) => ({ name: k === 0 ? 'the same, rebuilt here (no expansion)' : `αDBA, ${k} nearest papers`, rank: dbaRanker(k) }))];
console.log('\nVector side (αDBA):\n');
console.log(probeHeader('stored vectors'));
for (const r of dbaRows) console.log(probeRow(r.name, queries, r.rank));
console.log('\n' + pairedTable('stored vectors', queries, dbaRows));
