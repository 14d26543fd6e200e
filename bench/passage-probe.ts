/**
 * npx tsx bench/passage-probe.ts
 *
 * Probe for issue #15 item 2: does scoring a paper by its document cosine plus its best passage
 * cosine (passage = title + two consecutive abstract sentences) rank the judged queries better, and
 * does it survive storing passages as low-dim int8 (the shape issue #13 moves vectors to)? Prints
 * nDCG@10 per kind for semantic and hybrid (the engine's fusion and PRF, semantic side swapped) and
 * the bytes per paper. Passages are embedded once into .cache/passages-<model>.f32 (a few minutes).
 */
import '../src/cli/node-env';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embedQueries } from '../src/cli/embed-queries';
import { hybridWith, rotatedUnit } from './probe-pipeline';
import { REPO_ROOT } from '../src/cli/node-env';
import { openEngine } from '../src/cli/open-engine';
import { ndcgAt } from '../src/core/eval/metrics';
import { parseJudgedQueries, QUERY_KINDS, type JudgedQuery } from '../src/core/eval/queries';
import { splitSentences } from '../src/core/explain';
import { FUSION_DEPTH } from '../src/core/hybrid/hybrid';
import type { Scored } from '../src/core/hybrid/fuse';
import { dot, normaliseInPlace } from '../src/core/vectors';

const opened = await openEngine({ log: (l) => process.stderr.write(`${l}\n`) });
const { engine, embedder, artifacts } = opened;
const D = engine.dims;
const N = engine.papers.length;
const queries = parseJudgedQueries(JSON.parse(readFileSync(join(REPO_ROOT, 'test/eval/queries.json'), 'utf8')));

// Passages: title + sentences 2i, 2i+1 of the abstract.
const passageOwner: number[] = [];
const passageTexts: string[] = [];
engine.papers.forEach((p, row) => {
  const sentences = splitSentences(p.abstract).map((s) => s.text);
  for (let i = 0; i < Math.max(1, sentences.length); i += 2) {
    passageOwner.push(row);
    passageTexts.push(`${p.title}\n${sentences.slice(i, i + 2).join(' ')}`);
  }
});
const cacheFile = join(REPO_ROOT, '.cache', `passages-${engine.manifest.model.id}-${passageTexts.length}.f32`);
let raw: Float32Array;
if (existsSync(cacheFile)) raw = new Float32Array(readFileSync(cacheFile).buffer.slice(0));
else {
  process.stderr.write(`Embedding ${passageTexts.length} passages…\n`);
  raw = new Float32Array(passageTexts.length * D);
  for (let i = 0; i < passageTexts.length; i += 32) raw.set(await embedder.embedDocuments(passageTexts.slice(i, i + 32)), i * D);
  mkdirSync(join(REPO_ROOT, '.cache'), { recursive: true });
  writeFileSync(cacheFile, Buffer.from(raw.buffer));
}
const queryVectors = await embedQueries(embedder, queries);
await embedder.dispose();
const P = passageTexts.length;
const rotate = (v: Float32Array) => rotatedUnit(artifacts.rotation, D, v);
const passages = new Float32Array(P * D);
for (let i = 0; i < P; i++) passages.set(rotate(raw.subarray(i * D, (i + 1) * D)), i * D);

/** Passage vectors cut to `dims` rotated components, re-normalised, then int8 (one scale per vector), as #13 would store them. */
function lowInt8(dims: number): Float32Array {
  const out = new Float32Array(P * dims);
  for (let i = 0; i < P; i++) {
    const v = passages.slice(i * D, i * D + dims);
    normaliseInPlace(v);
    const scale = Math.max(...v.map(Math.abs)) / 127;
    for (let j = 0; j < dims; j++) out[i * dims + j] = Math.round(v[j] / scale) * scale;
  }
  return out;
}

type PassageSet = { vectors: Float32Array; dims: number } | null;
/** Exact semantic list: document cosine (+ best passage cosine). */
function semantic(q: Float32Array, set: PassageSet, exclude: number): Scored[] {
  const scores = new Float64Array(N);
  for (let r = 0; r < N; r++) scores[r] = dot(q, engine.vectors, D, r * D);
  if (set) {
    const best = new Float64Array(N).fill(-Infinity);
    const qq = q.slice(0, set.dims);
    normaliseInPlace(qq);
    for (let i = 0; i < P; i++) best[passageOwner[i]] = Math.max(best[passageOwner[i]], dot(qq, set.vectors, set.dims, i * set.dims));
    for (let r = 0; r < N; r++) scores[r] += best[r];
  }
  const list: Scored[] = [];
  for (let r = 0; r < N; r++) if (r !== exclude) list.push({ row: r, score: scores[r] });
  return list.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, FUSION_DEPTH);
}

function rank(q: JudgedQuery, set: PassageSet, hybrid: boolean): string[] {
  const source = q.kind === 'similar' ? engine.rowOf(q.source) : -1;
  const qv = q.kind === 'similar' ? engine.vectors.slice(source * D, (source + 1) * D) : rotate(queryVectors.get(q.id) as Float32Array);
  const list = hybrid ? hybridWith(engine, artifacts.lexical, q, qv, (v, exclude) => semantic(v, set, exclude)) : semantic(qv, set, source);
  return list.map((s) => engine.papers[s.row].id);
}

const variants: [string, PassageSet, number][] = [
  ['document only (shipped)', null, 0],
  [`+ best passage, ${D}-d f32`, { vectors: passages, dims: D }, P * D * 4],
  ['+ best passage, 128-d int8', { vectors: lowInt8(128), dims: 128 }, P * 128],
  ['+ best passage, 64-d int8', { vectors: lowInt8(64), dims: 64 }, P * 64],
];
console.log(`${P} passages for ${N} papers (${(P / N).toFixed(2)} per paper); document vectors ${D}-d f32 = ${D * 4} B/paper.\n`);
console.log(`| side | variant | passage bytes / paper | ${QUERY_KINDS.join(' | ')} | overall |`);
console.log(`| --- | --- | ---: | ${QUERY_KINDS.map(() => '---:').join(' | ')} | ---: |`);
for (const hybrid of [false, true]) {
  for (const [name, set, bytes] of variants) {
    const per = queries.map((q) => ({ kind: q.kind, ndcg: ndcgAt(rank(q, set, hybrid), q.judgments, 10) }));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const kinds = QUERY_KINDS.map((k) => mean(per.filter((p) => p.kind === k).map((p) => p.ndcg)).toFixed(3));
    console.log(`| ${hybrid ? 'hybrid' : 'semantic'} | ${name} | ${Math.round(bytes / N)} | ${kinds.join(' | ')} | ${mean(per.map((p) => p.ndcg)).toFixed(3)} |`);
  }
}
