/**
 * The ranking systems `npm run eval` compares, built over one opened engine, its lexical index and
 * the embedded queries. Pure: loading artifacts and embedding queries is the caller's business.
 *
 * Semantic rows come in three flavours: plain prefixes (the model's own first d dims, re-normalised,
 * exact), rotated prefixes (the engine's PCA-rotated vectors cut to d dims, exact) and adaptive (the
 * engine's low-dim HNSW graph shortlists, full dims re-rank) — the engine's real search path.
 */
import { fuseRrf, fuseScores, confidenceWeights, type Scored } from '../hybrid/fuse';
import { FUSION_DEPTH, PRF_DOCS, PRF_WEIGHT, coverageWeighted, fuseHybrid } from '../hybrid/hybrid';
import { rocchio } from '../hybrid/prf';
import { searchLexical, similarLexical, type LexicalHit, type LexicalIndex } from '../lexical/index';
import type { SearchEngine, SearchOptions } from '../search';
import { dot, prefixRows, prefixVector } from '../vectors';
import type { JudgedQuery } from './queries';
import type { RankingSystem } from './run';

export interface EvalInputs {
  engine: SearchEngine;
  /** The artifacts' rotation (D×D, row-major), to recover the model's own vectors for plain prefixes. */
  rotation: Float32Array;
  lexical: LexicalIndex;
  /** The raw (unrotated) model embedding of every text query, by query id. */
  queryVectors: ReadonlyMap<string, Float32Array>;
  /** A second embedding model over the same papers: the ensemble rows. */
  second?: { engine: SearchEngine; rotation: Float32Array; queryVectors: ReadonlyMap<string, Float32Array> };
}

/** The mode the engine uses by default; the regression test guards its overall nDCG@10. */
export const DEFAULT_SYSTEM = 'hybrid (default: coverage z-score + PRF, similar smoothed)';
export const PREFIX_DIMS = [32, 64, 128, 256];
export const ADAPTIVE_DIMS = [32, 64];
export const ADAPTIVE_SHORTLIST = 50;
/** Every system whose name starts so is a fusion scheme over the default model: the candidates of the leave-one-kind-out check. */
export const HYBRID_PREFIX = 'hybrid';

export function defaultSystem(inputs: EvalInputs): RankingSystem {
  return system(DEFAULT_SYSTEM, inputs, (q) => defaultRanking(inputs, q));
}

export function comparedSystems(inputs: EvalInputs): RankingSystem[] {
  const { engine } = inputs;
  const full = engine.dims;
  const raw = unrotatedVectors(engine, inputs.rotation);
  const prefixes = new Map(PREFIX_DIMS.map((d) => [d, prefixRows(raw, full, d)]));
  const lex = (q: JudgedQuery) => lexicalList(inputs, q);
  const sem = (q: JudgedQuery) => semanticList(engine, inputs.queryVectors, q, { exact: true });
  const systems: RankingSystem[] = [
    system('lexical', inputs, lex),
    ...PREFIX_DIMS.map((d) => system(`semantic plain ${d}`, inputs, (q) => plainPrefixList(inputs, raw, prefixes.get(d) as Float32Array, d, q))),
    ...PREFIX_DIMS.map((d) => system(`semantic rotated ${d}`, inputs, (q) => semanticList(engine, inputs.queryVectors, q, { dims: d, exact: true }))),
    system(`semantic full ${full}`, inputs, sem),
    ...ADAPTIVE_DIMS.map((d) =>
      system(`adaptive ${d}→${full} (shortlist ${ADAPTIVE_SHORTLIST})`, inputs, (q) =>
        semanticList(engine, inputs.queryVectors, q, { dims: d, adaptive: true, shortlist: ADAPTIVE_SHORTLIST }),
      ),
    ),
    system('hybrid rrf k=60', inputs, (q) => fuseRrf([lex(q), sem(q)])),
    system('hybrid rrf semantic×2', inputs, (q) => fuseRrf([lex(q), sem(q)], { weights: [1, 2] })),
    system('hybrid min-max', inputs, (q) => fuseScores([lex(q), sem(q)], { normalisation: 'minmax' })),
    system('hybrid z-score', inputs, (q) => fuseScores([lex(q), sem(q)], { normalisation: 'zscore' })),
    system('hybrid z-score, confidence weights', inputs, (q) => {
      const lists = [lex(q), sem(q)];
      return fuseScores(lists, { normalisation: 'zscore', weights: confidenceWeights(lists) });
    }),
    ...[0.5, 1, 2].map((weight) => system(`hybrid coverage z-score, lexical ×${weight}`, inputs, (q) => fuseHybrid(lex(q), sem(q), weight))),
    // The default before neighbour smoothing (hybrid/smooth.ts) was added for "similar".
    system('hybrid coverage z-score + PRF', inputs, (q) => (q.kind === 'similar' ? fuseHybrid(lex(q), sem(q)) : defaultRanking(inputs, q))),
    defaultSystem(inputs),
  ];
  const second = inputs.second;
  if (second) {
    const other = (q: JudgedQuery) => semanticList(second.engine, second.queryVectors, q, { exact: true });
    systems.push(
      system('ensemble: semantic, second model only', inputs, other),
      system('ensemble: semantic, both models', inputs, (q) => fuseScores([sem(q), other(q)], { normalisation: 'zscore' })),
      system('ensemble: hybrid + second model', inputs, (q) => fuseScores([coverageWeighted(lex(q)), sem(q), other(q)], { normalisation: 'zscore' })),
      system('ensemble: hybrid + second model + PRF', inputs, (q) => ensembleWithFeedback(inputs, q)),
      // Typed queries only, each model's semantic list at ½ so the semantic side keeps its weight of 1; "similar" as the default ranks it.
      system('ensemble: default, typed queries with both models at ½ each', inputs, (q) => (q.kind === 'similar' ? defaultRanking(inputs, q) : ensembleWithFeedback(inputs, q, 0.5))),
    );
  }
  return systems;
}

/**
 * The default mode exactly as users get it: SearchEngine's own hybrid search (typed queries: fusion,
 * vector PRF, fusion; "similar": one fusion), through the engine's shipped path.
 */
export function defaultRanking(inputs: EvalInputs, q: JudgedQuery): Scored[] {
  const { engine } = inputs;
  const options = { k: FUSION_DEPTH, mode: 'hybrid' } as const;
  const result = q.kind === 'similar' ? engine.similar(q.source, options) : engine.searchText(q.text, queryVector(inputs.queryVectors, q), options);
  return result.hits;
}

/**
 * The default pipeline with both models: three-way fusion, PRF applied to each model's query vector,
 * fusion again. `semanticWeight`: each model's weight against the lexical side's 1.
 */
function ensembleWithFeedback(inputs: EvalInputs, q: JudgedQuery, semanticWeight = 1): Scored[] {
  const second = inputs.second as NonNullable<EvalInputs['second']>;
  const lexical = coverageWeighted(lexicalList(inputs, q));
  const sides = [
    { engine: inputs.engine, rotation: inputs.rotation, vectors: inputs.queryVectors },
    { engine: second.engine, rotation: second.rotation, vectors: second.queryVectors },
  ];
  const weights = [1, semanticWeight, semanticWeight];
  const first = fuseScores([lexical, ...sides.map((s) => semanticList(s.engine, s.vectors, q, {}))], { normalisation: 'zscore', weights });
  if (q.kind === 'similar') return first;
  const feedback = first.slice(0, PRF_DOCS).map((s) => s.row);
  const moved = sides.map(({ engine, rotation, vectors }) =>
    engine.searchEmbedding(rocchio(queryVector(vectors, q), unrotatedVectors(engine, rotation), engine.dims, feedback, PRF_WEIGHT), { k: FUSION_DEPTH }).hits,
  );
  return fuseScores([lexical, ...moved], { normalisation: 'zscore', weights });
}

function lexicalList(inputs: EvalInputs, q: JudgedQuery): LexicalHit[] {
  return q.kind === 'similar'
    ? similarLexical(inputs.lexical, inputs.engine.paper(q.source), FUSION_DEPTH)
    : searchLexical(inputs.lexical, q.text, FUSION_DEPTH);
}

function semanticList(engine: SearchEngine, vectors: ReadonlyMap<string, Float32Array>, q: JudgedQuery, options: SearchOptions): Scored[] {
  const opts: SearchOptions = { k: FUSION_DEPTH, ...options, mode: 'semantic' };
  const result = q.kind === 'similar' ? engine.similar(q.source, opts) : engine.searchEmbedding(queryVector(vectors, q), opts);
  return result.hits;
}

/** Exact cosine over the model's own (unrotated) first `dims` components, re-normalised (`rows`: prefixRows of `raw`). */
function plainPrefixList(inputs: EvalInputs, raw: Float32Array, rows: Float32Array, dims: number, q: JudgedQuery): Scored[] {
  const { engine } = inputs;
  const full = engine.dims;
  const source = q.kind === 'similar' ? engine.rowOf(q.source) : -1;
  const query = prefixVector(q.kind === 'similar' ? raw.subarray(source * full, (source + 1) * full) : queryVector(inputs.queryVectors, q), dims);
  const scored: Scored[] = [];
  for (let row = 0; row < engine.papers.length; row++) {
    if (row !== source) scored.push({ row, score: dot(query, rows, dims, row * dims) });
  }
  return scored.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}

/** The model's own vectors: the engine stores R·v, and R is orthogonal, so v = Rᵀ·(R·v). Computed once per engine. */
function unrotatedVectors(engine: SearchEngine, rotation: Float32Array): Float32Array {
  const known = unrotated.get(engine);
  if (known) return known;
  const d = engine.dims;
  const out = new Float32Array(engine.vectors.length);
  unrotated.set(engine, out);
  for (let r = 0; r < engine.papers.length; r++) {
    for (let i = 0; i < d; i++) {
      const x = engine.vectors[r * d + i];
      if (x === 0) continue;
      for (let j = 0; j < d; j++) out[r * d + j] += x * rotation[i * d + j];
    }
  }
  return out;
}

const unrotated = new WeakMap<SearchEngine, Float32Array>();

function queryVector(vectors: ReadonlyMap<string, Float32Array>, q: JudgedQuery): Float32Array {
  const v = vectors.get(q.id);
  if (!v) throw new Error(`No embedding for query ${q.id}`);
  return v;
}

function system(name: string, inputs: EvalInputs, rank: (q: JudgedQuery) => readonly Scored[]): RankingSystem {
  return { name, rank: (q) => rank(q).map((s) => inputs.engine.papers[s.row].id) };
}
