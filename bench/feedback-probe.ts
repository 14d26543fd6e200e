/**
 * npx tsx bench/feedback-probe.ts
 *
 * Probe for issue #15 item 2, third round: feedback variants the earlier rounds did not try. Every
 * row keeps the shipped lexical side, coverage z-score fusion and "similar" ranking; only the second
 * (feedback) pass of a typed query changes:
 *  - negative feedback: Rocchio with the first fused list's ranks 20–50 as non-relevant,
 *    q' = q + β·mean(top 3) − γ·mean(ranks 20–50) (β = 0.5 as shipped; γ 0.15 is the textbook value);
 *  - where the feedback papers come from: the semantic list instead of the fused one, always or only
 *    when lexical search covers little of the query (its best hit covers under half the query's idf);
 *  - DIME (Faggioli et al., SIGIR 2024, dimension importance estimation): keep only the query
 *    dimensions where the query and the feedback centroid agree most (u_i = q_i · c_i, the top
 *    fraction kept, the rest zeroed), on the query or on Rocchio's moved query;
 *  - Eclipse (D'Erasmo et al., 2025, DIME with pseudo-irrelevant papers): u_i = q_i · (c⁺_i − c⁻_i);
 *  - two rounds of feedback;
 *  - title neighbours ("HyDE-like"): the query moves toward the 3 titles nearest to it (each title
 *    embedded as a document, cached in .cache/title-vectors-<hash>.f32) instead of toward the fused
 *    list's top papers. How it differs from PRF: the feedback is chosen by the query–title cosine alone
 *    (no lexical side, no abstracts), and what is added is a short title vector, closer to a query's
 *    register than an abstract's.
 * First row: `npm run eval`'s default.
 */
import '../src/cli/node-env';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../src/cli/node-env';
import { openEngine } from '../src/cli/open-engine';
import { ndcgAt } from '../src/core/eval/metrics';
import { QUERY_KINDS, type JudgedQuery } from '../src/core/eval/queries';
import type { Scored } from '../src/core/hybrid/fuse';
import { FUSION_DEPTH, fuseHybrid, PRF_DOCS, PRF_WEIGHT } from '../src/core/hybrid/hybrid';
import { rocchio } from '../src/core/hybrid/prf';
import { searchLexical, type LexicalHit } from '../src/core/lexical/index';
import { normaliseInPlace } from '../src/core/vectors';
import { exactSemantic, FLAGSHIP_PAPER, FLAGSHIP_QUERY, pairedTable, probeHeader, probeRow, shippedIds, rotatedUnit, rotatedQueryVectors, loadJudgedQueries } from './probe-pipeline';

const log = (l: string) => process.stderr.write(`${l}\n`);
const queries = loadJudgedQueries();
const { engine, embedder, artifacts } = await openEngine({ log });
const D = engine.dims;
const N = engine.papers.length;
const rotate = (v: Float32Array) => rotatedUnit(artifacts.rotation, D, v);
const queryVectors = await rotatedQueryVectors(embedder, queries, artifacts.rotation, D);

// Title vectors (rotated), cached by the titles' hash.
const titles = engine.papers.map((p) => p.title);
const titleCache = join(REPO_ROOT, '.cache', `title-vectors-${createHash('sha256').update(titles.join('\n')).digest('hex').slice(0, 12)}.f32`);
let titleRaw: Float32Array;
if (existsSync(titleCache)) titleRaw = new Float32Array(readFileSync(titleCache).buffer.slice(0));
else {
  titleRaw = await embedder.embedDocuments(titles);
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  writeFileSync(titleCache, Buffer.from(titleRaw.buffer));
}
await embedder.dispose();
const titleVectors = new Float32Array(N * D);
for (let r = 0; r < N; r++) titleVectors.set(rotate(titleRaw.slice(r * D, (r + 1) * D)), r * D);

const mean = (rows: readonly number[], vectors = engine.vectors) => {
  const c = new Float32Array(D);
  for (const r of rows) for (let i = 0; i < D; i++) c[i] += vectors[r * D + i] / rows.length;
  return c;
};
const unit = (v: Float32Array) => {
  const r = v.slice();
  normaliseInPlace(r);
  return r;
};
const rowsOf = (list: readonly Scored[], from: number, to: number) => list.slice(from, to).map((s) => s.row);
/** The query with only its `keep` share of dimensions of highest importance `u` kept. */
function masked(q: Float32Array, u: Float32Array, keep: number): Float32Array {
  const order = [...u.keys()].sort((a, b) => u[b] - u[a]);
  const out = new Float32Array(D);
  for (const i of order.slice(0, Math.round(keep * D))) out[i] = q[i];
  return unit(out);
}

interface Context {
  q: Float32Array;
  lexical: LexicalHit[];
  semantic: Scored[];
  first: Scored[];
}
type Second = (c: Context) => Float32Array;
const sem = (v: Float32Array) => exactSemantic(engine, v);
const positive = (c: Context) => rowsOf(c.first, 0, PRF_DOCS);
const negative = (c: Context) => rowsOf(c.first, 19, 50);
const lowCoverage = (c: Context) => Math.max(0, ...c.lexical.map((h) => h.coverage)) < 0.5;

const variants: { name: string; second: Second | null }[] = [
  { name: 'shipped: Rocchio toward the fused top 3', second: (c) => rocchio(c.q, engine.vectors, D, positive(c), PRF_WEIGHT) },
  ...[0.15, 0.25].map((g) => ({
    name: `negative feedback: − ${g} · mean(fused ranks 20–50)`,
    second: (c: Context) => {
      const pos = mean(positive(c));
      const neg = mean(negative(c));
      return unit(c.q.map((x, i) => x + PRF_WEIGHT * pos[i] - g * neg[i]));
    },
  })),
  { name: 'feedback from the semantic top 3, always', second: (c) => rocchio(c.q, engine.vectors, D, rowsOf(c.semantic, 0, PRF_DOCS), PRF_WEIGHT) },
  {
    name: 'feedback from the semantic top 3 when the best lexical hit covers < ½ the query',
    second: (c) => rocchio(c.q, engine.vectors, D, lowCoverage(c) ? rowsOf(c.semantic, 0, PRF_DOCS) : positive(c), PRF_WEIGHT),
  },
  ...[0.5, 0.8].flatMap((keep) => [
    { name: `DIME: keep ${keep * 100}% of the query's dims (u = q · centroid of fused top 3)`, second: (c: Context) => masked(c.q, c.q.map((x, i) => x * mean(positive(c))[i]), keep) },
    {
      name: `DIME on Rocchio's moved query, keep ${keep * 100}%`,
      second: (c: Context) => {
        const m = rocchio(c.q, engine.vectors, D, positive(c), PRF_WEIGHT);
        const cen = mean(positive(c));
        return masked(m, m.map((x, i) => x * cen[i]), keep);
      },
    },
    {
      name: `Eclipse: keep ${keep * 100}% (u = q · (centroid top 3 − centroid ranks 20–50))`,
      second: (c: Context) => {
        const pos = mean(positive(c));
        const neg = mean(negative(c));
        return masked(c.q, c.q.map((x, i) => x * (pos[i] - neg[i])), keep);
      },
    },
  ]),
  {
    name: 'feedback only from fused top-3 papers also in the semantic top 10 (none: no feedback)',
    second: (c) => {
      const near = new Set(rowsOf(c.semantic, 0, 10));
      return rocchio(c.q, engine.vectors, D, positive(c).filter((r) => near.has(r)), PRF_WEIGHT);
    },
  },
  {
    name: 'αQE: toward the fused top 10, each weighted by its cosine³ with the query',
    second: (c) => {
      const top = rowsOf(c.first, 0, 10);
      const w = top.map((r) => Math.max(0, c.q.reduce((s, x, i) => s + x * engine.vectors[r * D + i], 0)) ** 3);
      const total = w.reduce((a, b) => a + b, 0) || 1;
      const out = c.q.slice();
      top.forEach((r, j) => {
        for (let i = 0; i < D; i++) out[i] += (PRF_WEIGHT * w[j] * engine.vectors[r * D + i]) / total;
      });
      return unit(out);
    },
  },
  {
    name: 'two rounds of Rocchio (fuse, move, fuse, move, fuse)',
    second: (c) => {
      const m1 = rocchio(c.q, engine.vectors, D, positive(c), PRF_WEIGHT);
      const f2 = fuseHybrid(c.lexical, sem(m1));
      return rocchio(c.q, engine.vectors, D, rowsOf(f2, 0, PRF_DOCS), PRF_WEIGHT);
    },
  },
  {
    name: 'title neighbours: toward the 3 titles nearest the query (½)',
    second: (c) => rocchio(c.q, titleVectors, D, rowsOf(exactSemanticOver(titleVectors, c.q), 0, 3), PRF_WEIGHT),
  },
  {
    name: 'title neighbours + Rocchio: toward 3 titles (¼) and the fused top 3 (½)',
    second: (c) => {
      const t = mean(rowsOf(exactSemanticOver(titleVectors, c.q), 0, 3), titleVectors);
      const p = mean(positive(c));
      return unit(c.q.map((x, i) => x + 0.25 * t[i] + PRF_WEIGHT * p[i]));
    },
  },
];
function exactSemanticOver(vectors: Float32Array, v: Float32Array): Scored[] {
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let i = 0; i < D; i++) s += v[i] * vectors[r * D + i];
    list.push({ row: r, score: s });
  }
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}

const contexts = new Map<string, Context>();
function context(q: JudgedQuery & { text: string }): Context {
  let c = contexts.get(q.id);
  if (!c) {
    const qv = queryVectors.get(q.id) as Float32Array;
    const lexical = searchLexical(artifacts.lexical, q.text, FUSION_DEPTH);
    const semantic = sem(qv);
    c = { q: qv, lexical, semantic, first: fuseHybrid(lexical, semantic) };
    contexts.set(q.id, c);
  }
  return c;
}
const rank = (second: Second) => (q: JudgedQuery) => {
  if (q.kind === 'similar') return shippedIds(engine, artifacts.lexical, q);
  const c = context(q);
  return fuseHybrid(c.lexical, sem(second(c))).map((s) => engine.papers[s.row].id);
};
const rows = [{ name: 'shipped (npm run eval default)', rank: (q: JudgedQuery) => shippedIds(engine, artifacts.lexical, q, queryVectors.get(q.id)) }, ...variants.map((v) => ({ name: v.name, rank: rank(v.second as Second) }))];

const low = queries.filter((q): q is JudgedQuery & { text: string } => q.kind !== 'similar' && lowCoverage(context(q)));
console.log(`Typed queries whose best lexical hit covers < ½ of the query: ${['keyword', 'paraphrase', 'question'].map((k) => `${k} ${low.filter((q) => q.kind === k).length} / 15`).join(', ')}.\n`);
console.log(probeHeader('second pass of a typed query'));
for (const r of rows) console.log(probeRow(r.name, queries, r.rank));
console.log('\nPaired over the 60 queries, against shipped:\n');
console.log(pairedTable('second pass', queries, rows));

// Negative feedback's two settings, over a grid: is the textbook γ with ranks 20–50 in a broad region of gains,
// or one lucky point? Per kind Δ (4 decimals), halves, better / worse, against shipped.
const GAMMAS = [0.1, 0.15, 0.25];
const RANGES: [number, number][] = [[10, 50], [20, 50], [20, 100], [50, 100]];
console.log('\nNegative feedback over a grid (Δ nDCG@10 against shipped, 4 decimals):\n');
console.log('| γ | non-relevant ranks | Δ keyword | Δ paraphrase | Δ question | Δ similar | Δ overall | Δ half A | Δ half B | better / worse | flagship |');
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const base = queries.map((q) => ndcgOf(rows[0].rank, q));
function ndcgOf(r: (q: JudgedQuery) => string[], q: JudgedQuery) {
  return ndcgAt(r(q), q.judgments, 10);
}
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const grid: { g: number; range: [number, number]; halves: number[] }[] = [];
for (const g of GAMMAS) {
  for (const [from, to] of RANGES) {
    const r = rank((c) => {
      const pos = mean(positive(c));
      const neg = mean(rowsOf(c.first, from - 1, to));
      return unit(c.q.map((x, i) => x + PRF_WEIGHT * pos[i] - g * neg[i]));
    });
    const d = queries.map((q, i) => ndcgOf(r, q) - base[i]);
    const f4 = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;
    const kinds = QUERY_KINDS.map((k) => f4(avg(d.filter((_, i) => queries[i].kind === k))));
    const halves = [0, 1].map((h) => avg(d.filter((_, i) => i % 2 === h)));
    grid.push({ g, range: [from, to], halves });
    const flagship = queries.find((q) => q.kind !== 'similar' && q.text === FLAGSHIP_QUERY) as JudgedQuery;
    console.log(`| ${g} | ${from}–${to} | ${kinds.join(' | ')} | ${f4(avg(d))} | ${halves.map(f4).join(' | ')} | ${d.filter((x) => x > 1e-9).length} / ${d.filter((x) => x < -1e-9).length} | ${r(flagship).indexOf(FLAGSHIP_PAPER) + 1} |`);
  }
}
for (const h of [0, 1]) {
  const best = grid.reduce((b, x) => (x.halves[h] > b.halves[h] + 1e-12 ? x : b), grid[0]);
  console.log(`- chosen on half ${h === 0 ? 'A' : 'B'}: γ ${best.g}, ranks ${best.range.join('–')}; Δ on half ${h === 0 ? 'B' : 'A'} ${best.halves[1 - h].toFixed(4)}`);
}
if (process.argv.includes('--detail')) {
  // Per query, the textbook setting (γ 0.15, ranks 20–50) against shipped.
  const r = rows.find((x) => x.name.startsWith('negative feedback: − 0.15')) as (typeof rows)[number];
  console.log('\nNegative feedback (γ 0.15, ranks 20–50), queries that moved:');
  queries.forEach((q, i) => {
    const d = ndcgOf(r.rank, q) - base[i];
    if (Math.abs(d) > 1e-9) console.log(`  ${q.id} ${d >= 0 ? '+' : ''}${d.toFixed(4)}`);
  });
}
