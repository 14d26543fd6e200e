/**
 * npx tsx bench/prefix-ensemble-probe.ts
 *
 * Probe for issue #15 item 2, third round: the stored vectors are PCA-rotated, so a prefix of d dims
 * is the paper's vector with its d strongest corpus directions kept (truncated PCA, as in LSI: the
 * weak directions are partly noise). Scoring a paper by the mean of its prefix cosines at several d
 * is an ensemble that needs no new vectors, no new model and no new search structure (format 3's
 * 8-bit rows hold every prefix). Semantic side only; the lexical side, fusion, feedback and "similar"
 * pipeline stay as shipped (Similar's semantic side uses the same prefix mean). First row: `npm run eval`'s default.
 */
import '../src/cli/node-env';
import { openEngine } from '../src/cli/open-engine';
import type { JudgedQuery } from '../src/core/eval/queries';
import type { Scored } from '../src/core/hybrid/fuse';
import { FUSION_DEPTH } from '../src/core/hybrid/hybrid';
import { hybridWith, shippedIds, rotatedQueryVectors, loadJudgedQueries, printProbeTables } from './probe-pipeline';
import { candidateVectors, smoothOverNeighbours } from '../src/core/hybrid/smooth';

const log = (l: string) => process.stderr.write(`${l}\n`);
const queries = loadJudgedQueries();
const { engine, embedder, artifacts } = await openEngine({ log });
const D = engine.dims;
const N = engine.papers.length;
const queryVectors = await rotatedQueryVectors(embedder, queries, artifacts.rotation, D);
await embedder.dispose();

/** Per row, the squared norm of each prefix: cumulative sums, so a prefix cosine is dot / (|q_d| |x_d|). */
const prefixNorm = new Float64Array(N * (D + 1));
for (let r = 0; r < N; r++) for (let i = 0; i < D; i++) prefixNorm[r * (D + 1) + i + 1] = prefixNorm[r * (D + 1) + i] + engine.vectors[r * D + i] ** 2;

function prefixMean(dims: readonly number[]) {
  return (qv: Float32Array, exclude: number): Scored[] => {
    const qNorm = new Float64Array(D + 1);
    for (let i = 0; i < D; i++) qNorm[i + 1] = qNorm[i] + qv[i] ** 2;
    const list: Scored[] = [];
    for (let r = 0; r < N; r++) {
      if (r === exclude) continue;
      let dotSum = 0;
      let at = 0;
      let score = 0;
      for (const d of dims) {
        for (; at < d; at++) dotSum += qv[at] * engine.vectors[r * D + at];
        score += dotSum / Math.sqrt(qNorm[d] * prefixNorm[r * (D + 1) + d]) / dims.length;
      }
      list.push({ row: r, score });
    }
    return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
  };
}

const SETS: number[][] = [[384], [128, 384], [256, 384], [128, 256, 384], [64, 128, 256, 384]];
const sourceVector = (q: JudgedQuery) => {
  const s = engine.rowOf((q as { source: string }).source);
  return engine.vectors.slice(s * D, (s + 1) * D);
};
function hybrid(dims: number[]) {
  const sem = prefixMean(dims);
  return (q: JudgedQuery): string[] => {
    const qv = q.kind === 'similar' ? sourceVector(q) : (queryVectors.get(q.id) as Float32Array);
    let list = hybridWith(engine, artifacts.lexical, q, qv, sem);
    if (q.kind === 'similar') list = smoothOverNeighbours(list, candidateVectors(list, engine.vectors, D, FUSION_DEPTH), D, FUSION_DEPTH);
    return list.map((s) => engine.papers[s.row].id);
  };
}
function semantic(dims: number[]) {
  const sem = prefixMean(dims);
  return (q: JudgedQuery): string[] => {
    const exclude = q.kind === 'similar' ? engine.rowOf(q.source) : -1;
    return sem(q.kind === 'similar' ? sourceVector(q) : (queryVectors.get(q.id) as Float32Array), exclude).map((s) => engine.papers[s.row].id);
  };
}
const name = (dims: number[]) => (dims.length === 1 ? `${dims[0]} dims (shipped)` : `mean of prefix cosines at ${dims.join(' / ')} dims`);
const hybridRows = [{ name: 'shipped (npm run eval default)', rank: (q: JudgedQuery) => shippedIds(engine, artifacts.lexical, q, queryVectors.get(q.id)) }, ...SETS.map((d) => ({ name: name(d), rank: hybrid(d) }))];
const semanticRows = SETS.map((d) => ({ name: name(d), rank: semantic(d) }));
printProbeTables(queries, hybridRows, semanticRows, 'Paired over the 60 queries, against shipped:');
