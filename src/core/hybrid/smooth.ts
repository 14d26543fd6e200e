/**
 * Score regularisation over the candidate list (the cluster hypothesis: papers close to each other
 * are relevant to the same queries; Diaz, "Regularizing ad hoc retrieval scores", CIKM 2005). Each
 * candidate's fused score is mixed with the mean score of its nearest fellow candidates, so a paper
 * in the thick of what the query found rises and a stray match that only one side liked sinks.
 *
 * Used for paper-shaped queries only (Similar, Related). There the papers a reader wants next sit
 * in the source's neighbourhood, and smoothing raised "similar" nDCG@10 at every setting tried
 * (docs/QUALITY.md). For typed queries it lowered paraphrases at every setting: when the first
 * ranking of a paraphrase is off topic, its neighbours are off topic too and smoothing entrenches them.
 */
import { dot } from '../vectors';
import type { Scored } from './fuse';

/**
 * Each candidate's nearest fellow candidates counted, and their share of its new score. Both picked
 * by leave-half-out over the "similar" queries (a 3×3 grid; each half chose this setting).
 */
export const SMOOTHING_NEIGHBOURS = 10;
export const SMOOTHING_WEIGHT = 0.5;

/**
 * The first `depth` candidates of `list` (best first), each rescored as (1 − weight) · own score +
 * weight · mean score of its `neighbours` most similar fellow candidates, best first. `vectors` holds
 * those candidates' unit vectors of `dims`, row-major in list order (candidateVectors packs them from
 * a corpus array; a sharded reader fetches just these). Candidates past `depth` are dropped: callers
 * pass a depth of at least what they show.
 */
export function smoothOverNeighbours(
  list: readonly Scored[],
  vectors: Float32Array,
  dims: number,
  depth: number,
  neighbours = SMOOTHING_NEIGHBOURS,
  weight = SMOOTHING_WEIGHT,
): Scored[] {
  const top = list.slice(0, depth);
  const n = top.length;
  if (n < 2) return top.map((s) => ({ ...s }));
  // Pairwise similarities of the candidates, computed once (n ≤ a few hundred).
  const sim = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = vectors.subarray(i * dims, (i + 1) * dims);
    for (let j = i + 1; j < n; j++) sim[i * n + j] = sim[j * n + i] = dot(a, vectors, dims, j * dims);
  }
  const count = Math.min(neighbours, n - 1);
  const smoothed = top.map((s, i) => {
    const others: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i) others.push(j);
    others.sort((x, y) => sim[i * n + y] - sim[i * n + x] || x - y);
    let sum = 0;
    for (let t = 0; t < count; t++) sum += top[others[t]].score;
    return { row: s.row, score: (1 - weight) * s.score + (weight * sum) / count };
  });
  return smoothed.sort((a, b) => b.score - a.score || a.row - b.row);
}

/** The vectors of the first `depth` candidates of `list`, packed in list order, from row-major `corpus` of `dims`. */
export function candidateVectors(list: readonly Scored[], corpus: Float32Array, dims: number, depth: number): Float32Array {
  const top = list.slice(0, depth);
  const out = new Float32Array(top.length * dims);
  top.forEach((s, i) => out.set(corpus.subarray(s.row * dims, (s.row + 1) * dims), i * dims));
  return out;
}
