/**
 * npx tsx bench/passage-rerank-probe.ts
 *
 * Probe for issue #15 item 2, after bench/passage-probe.ts: other ways to use passage vectors
 * (passage = title + two consecutive abstract sentences, ~4.3 per paper) inside the shipped ranking
 * (coverage z-score + PRF for typed queries, smoothing for "similar"): passages as the semantic score
 * (max-sim, max with the document, top-2 mean), as a third fused list, or only to re-rank the top of
 * the final list (what a format-3 site could afford: passages stored low-dim int8, fetched for a
 * shortlist). Per kind, per half (alternate queries), and the flagship query's Matryoshka rank.
 * Needs the passage vectors that bench/passage-probe.ts caches in .cache/ (run it first).
 */
import '../src/cli/node-env';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedQueries } from '../src/cli/embed-queries';
import { REPO_ROOT } from '../src/cli/node-env';
import { probeHeader, probeRow, rotatedUnit } from './probe-pipeline';
import { openEngine } from '../src/cli/open-engine';
import { parseJudgedQueries, type JudgedQuery } from '../src/core/eval/queries';
import { splitSentences } from '../src/core/explain';
import { FUSION_DEPTH, coverageWeighted, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { fuseScores, type Scored } from '../src/core/hybrid/fuse';
import { rocchio } from '../src/core/hybrid/prf';
import { candidateVectors, smoothOverNeighbours } from '../src/core/hybrid/smooth';
import { searchLexical, similarLexical, type LexicalHit } from '../src/core/lexical/index';
import { dot, normaliseInPlace } from '../src/core/vectors';

const opened = await openEngine({ log: (l) => process.stderr.write(`${l}\n`) });
const { engine, embedder, artifacts } = opened;
const D = engine.dims;
const N = engine.papers.length;
const queries = parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test/eval/queries.json'), 'utf8')));

const owner: number[] = [];
let P = 0;
engine.papers.forEach((p, row) => {
  const n = Math.max(1, splitSentences(p.abstract).length);
  for (let i = 0; i < n; i += 2) owner.push(row), P++;
});
const cacheFile = join(REPO_ROOT, '.cache', `passages-${engine.manifest.model.id}-${P}.f32`);
if (!existsSync(cacheFile)) throw new Error(`Run bench/passage-probe.ts first (${cacheFile})`);
const raw = new Float32Array(readFileSync(cacheFile).buffer.slice(0));
const queryVectors = await embedQueries(embedder, queries);
await embedder.dispose();
const rotate = (v: Float32Array) => rotatedUnit(artifacts.rotation, D, v);
const passagesOf: number[][] = Array.from({ length: N }, () => []);
owner.forEach((row, i) => passagesOf[row].push(i));

/** Passage vectors, rotated, cut to `dims` and re-normalised; int8 with one scale per vector when asked. */
function passageSet(dims: number, int8: boolean): { v: Float32Array; dims: number } {
  const out = new Float32Array(P * dims);
  for (let i = 0; i < P; i++) {
    const r = rotate(raw.subarray(i * D, (i + 1) * D)).slice(0, dims);
    normaliseInPlace(r);
    if (int8) {
      const scale = Math.max(...r.map(Math.abs)) / 127;
      for (let j = 0; j < dims; j++) r[j] = Math.round(r[j] / scale) * scale;
    }
    out.set(r, i * dims);
  }
  return { v: out, dims };
}
const full = passageSet(D, false);
const low128 = passageSet(128, true);
const low64 = passageSet(64, true);
type PSet = typeof full;

/** Per paper: its passages' cosines with q (q cut to the set's dims), best first. */
function passageCosines(q: Float32Array, set: PSet, row: number): number[] {
  const qq = q.slice(0, set.dims);
  normaliseInPlace(qq);
  return passagesOf[row].map((i) => dot(qq, set.v, set.dims, i * set.dims)).sort((a, b) => b - a);
}
const docCos = (q: Float32Array, row: number) => dot(q, engine.vectors, D, row * D);

type SemScore = (q: Float32Array, row: number) => number;
function semantic(q: Float32Array, exclude: number, score: SemScore): Scored[] {
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) if (r !== exclude) list.push({ row: r, score: score(q, r) });
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}

interface Variant {
  name: string;
  /** The semantic side's score of a row (default: document cosine). */
  sem?: SemScore;
  /** Fuse a third list: best-passage cosine over all papers. */
  third?: { set: PSet; weight: number };
  /** Re-rank the top `depth` of the final list: fused z + weight × z(best passage cosine) over those. */
  rerank?: { set: PSet; depth: number; weight: number };
}

function ranked(q: JudgedQuery, v: Variant): Scored[] {
  const sem = v.sem ?? docCos;
  const best = (set: PSet) => (qv: Float32Array, r: number) => passageCosines(qv, set, r)[0];
  const fuse = (lex: LexicalHit[], qv: Float32Array, exclude: number) => {
    const lists = [coverageWeighted(lex), semantic(qv, exclude, sem)];
    if (v.third) lists.push(semantic(qv, exclude, best(v.third.set)));
    return fuseScores(lists, { normalisation: 'zscore', weights: [1, 1, v.third?.weight ?? 0] });
  };
  let list: Scored[];
  let qv: Float32Array;
  if (q.kind === 'similar') {
    const source = engine.rowOf(q.source);
    qv = engine.vectors.slice(source * D, (source + 1) * D);
    const fused = fuse(similarLexical(artifacts.lexical, engine.papers[source], FUSION_DEPTH).filter((h) => h.row !== source), qv, source);
    list = smoothOverNeighbours(fused, candidateVectors(fused, engine.vectors, D, FUSION_DEPTH), D, FUSION_DEPTH);
  } else {
    qv = rotate(queryVectors.get(q.id) as Float32Array);
    const lex = searchLexical(artifacts.lexical, q.text, FUSION_DEPTH);
    const first = fuse(lex, qv, -1);
    list = fuse(lex, rocchio(qv, engine.vectors, D, first.slice(0, PRF_DOCS).map((s) => s.row), PRF_WEIGHT), -1);
  }
  if (!v.rerank) return list;
  const { set, depth, weight } = v.rerank;
  const top = list.slice(0, depth);
  const z = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) || 1;
    return xs.map((x) => (x - m) / sd);
  };
  const fz = z(top.map((s) => s.score));
  const pz = z(top.map((s) => passageCosines(qv, set, s.row)[0]));
  const reranked = top.map((s, i) => ({ row: s.row, score: fz[i] + weight * pz[i] })).sort((a, b) => b.score - a.score || a.row - b.row);
  return [...reranked, ...list.slice(depth)];
}

const variants: Variant[] = [
  { name: 'shipped (document cosine)' },
  { name: 'semantic = doc + best passage (issue #15)', sem: (q, r) => docCos(q, r) + passageCosines(q, full, r)[0] },
  { name: 'semantic = max(doc, best passage)', sem: (q, r) => Math.max(docCos(q, r), passageCosines(q, full, r)[0]) },
  { name: 'semantic = best passage only', sem: (q, r) => passageCosines(q, full, r)[0] },
  { name: 'semantic = doc + mean of best 2 passages', sem: (q, r) => { const c = passageCosines(q, full, r); return docCos(q, r) + (c[0] + (c[1] ?? c[0])) / 2; } },
  { name: 'third list: best passage, weight 0.5', third: { set: full, weight: 0.5 } },
  { name: 'third list: best passage, weight 1', third: { set: full, weight: 1 } },
  ...[10, 30].flatMap((depth) => [0.5, 1].map((weight) => ({ name: `re-rank top ${depth}: + ${weight} × z(best passage), 384-d f32`, rerank: { set: full, depth, weight } }))),
  { name: 're-rank top 30: + 0.5 × z(best passage), 128-d int8', rerank: { set: low128, depth: 30, weight: 0.5 } },
  { name: 're-rank top 30: + 0.5 × z(best passage), 64-d int8', rerank: { set: low64, depth: 30, weight: 0.5 } },
];

const ids = (list: Scored[]) => list.map((s) => engine.papers[s.row].id);
console.log(`${P} passages for ${N} papers (${(P / N).toFixed(2)} per paper).\n`);
console.log(probeHeader('variant'));
for (const v of variants) console.log(probeRow(v.name, queries, (q) => ids(ranked(q, v))));
