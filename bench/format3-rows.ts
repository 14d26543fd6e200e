/**
 * What the re-rank of a format-3 search reads, and what reading less would cost, for a built set (Node, files read
 * from disk on demand and kept in memory).
 *
 *   npx tsx bench/format3-rows.ts --set DIR --embeddings DIR [--hybrid 500,1000,2000] [--skip-semantic] [--skip-hybrid]
 *
 * Queries: bench/queries.ts's ten and the judged text queries of test/eval/queries.json (55), embedded by the set's
 * model (kept in .cache/format3-speed/, as bench/format3-speed.ts keeps them).
 *
 * Semantic part: per query the walk's shortlist (the manifest's ef and shortlist), every row of it scored from its
 * 8-bit codes and from its 12-bit refine values, and the exact float32 top 10 over the embeddings. Then, for rules
 * that re-rank only part of the shortlist, recall@10 against exact search, agreement with the engine's answer
 * (all rows), and the row shards read:
 *   - prefix top N: the first N rows of the walk (best prefix cosine first);
 *   - shards with ≥ m rows: only the shards that hold at least m rows of the shortlist (plus those of the prefix's
 *     best 100 rows);
 *   - the bound: rows in prefix order, stopping once no row left can reach the 10th best re-ranked cosine under
 *     the bound that the prefix codes allow (see `bound` below); a lower bound of what it would cost.
 * Hybrid part: the engine's hybrid answer with the vector side's shortlist (= ef) cut to each size of --hybrid,
 * against today's (the manifest's shortlist): top-10 agreement, row shards a cold search reads (a fresh vector
 * reader per query), and the warm search time by part.
 */
import '../src/cli/node-env';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findShardHeaders, readShardHeader, readShardLines, readShardVectors } from '../src/cli/shard-files';
import { parseJudgedQueries } from '../src/core/eval/queries';
import { Format3Engine, type Format3EngineOptions } from '../src/core/format3/engine';
import { parseFormat3Manifest } from '../src/core/format3/manifest';
import { openFormat3Engine } from '../src/core/format3/open';
import { openFormat3, type VectorSet } from '../src/core/format3/reader';
import { normaliseInPlace } from '../src/core/vectors';
import { QUERIES } from './queries';
import { cachedQueryEmbeddings, heldDiskSource } from './set-files';

const { values } = parseArgs({
  options: {
    set: { type: 'string' },
    embeddings: { type: 'string' },
    hybrid: { type: 'string', default: '' },
    'skip-semantic': { type: 'boolean', default: false },
    'skip-hybrid': { type: 'boolean', default: false },
  },
});
if (!values.set || !values.embeddings) throw new Error('--set DIR and --embeddings DIR are required');
const dir = values.set;
const manifest = parseFormat3Manifest(readFileSync(join(dir, 'manifest.json')));
const perShard = manifest.rows.rowsPerShard;
const shardBytes = perShard * manifest.rows.headDims;

const read = heldDiskSource(dir);

const texts = [...QUERIES, ...parseJudgedQueries(JSON.parse(readFileSync('test/eval/queries.json', 'utf8'))).flatMap((q) => (q.kind === 'similar' ? [] : [q.text]))];
const embeddings = await cachedQueryEmbeddings(manifest.model, texts);
const load = [loadavg()[0]];
const opened = await openFormat3Engine(manifest, read);
const set = opened.vectors;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : Number.NaN;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};


/** Where the exact top 10 over an embeddings folder are kept (by the folder's absolute path). */
export function exactCacheFile(embeddingsDir: string): string {
  return join('.cache', 'format3-speed', `exact-${createHash('sha256').update(resolve(embeddingsDir)).digest('hex').slice(0, 12)}.json`);
}

/** Exact top 10 ids per query over the embeddings shards (float32, full dims), kept beside the query cache. */
async function exactTop10(): Promise<string[][]> {
  const cacheFile = exactCacheFile(values.embeddings as string);
  if (existsSync(cacheFile)) {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { texts: string[]; top: string[][] };
    if (cached.texts.join('\n') === texts.join('\n')) return cached.top;
  }
  const best = embeddings.map(() => [] as { id: string; score: number }[]);
  for (const header of findShardHeaders([values.embeddings as string])) {
    const shard = readShardHeader(header);
    const ids: string[] = [];
    for await (const id of readShardLines(shard, shard.header.ids)) ids.push(String(id));
    const rows = readShardVectors(shard);
    const dims = rows.length / ids.length;
    embeddings.forEach((query, q) => {
      const top = best[q];
      for (let r = 0; r < ids.length; r++) {
        let score = 0;
        const o = r * dims;
        for (let d = 0; d < dims; d++) score += query[d] * rows[o + d];
        if (top.length === 10 && score <= top[9].score) continue;
        top.push({ id: ids[r], score });
        top.sort((a, b) => b.score - a.score);
        if (top.length > 10) top.pop();
      }
    });
  }
  const top = best.map((list) => list.map((hit) => hit.id));
  writeFileSync(cacheFile, JSON.stringify({ texts, top }));
  return top;
}

const rotatedQueries = embeddings.map((e) => {
  const r = set.rotate(e);
  normaliseInPlace(r);
  return r;
});

if (!values['skip-semantic']) await semanticPart();
if (!values['skip-hybrid']) await hybridPart();
load.push(loadavg()[0]);
console.log(`\nload ${load.map((l) => l.toFixed(1)).join(' → ')}`);

async function semanticPart(): Promise<void> {
  const truthIds = await exactTop10();
  const S = manifest.search.shortlist;
  const ef = manifest.search.ef;
  interface PerQuery {
    rows: number[];
    bits8: Map<number, number>;
    refined: Map<number, number>;
    truth: Set<number>;
    today: number[];
  }
  const per: PerQuery[] = [];
  const walkMs: number[] = [];
  for (let q = 0; q < texts.length; q++) {
    const query = rotatedQueries[q];
    const started = performance.now();
    const rows = set.shortlist(query, S, ef);
    walkMs.push(performance.now() - started);
    const bits8 = new Map((await set.search(query, rows.length, { candidates: rows, refine: 0 })).map((h) => [h.row, h.score]));
    const refined = new Map((await set.search(query, rows.length, { candidates: rows, refine: rows.length })).map((h) => [h.row, h.score]));
    const today = (await set.search(query, 10)).map((h) => h.row);
    const truth = new Set<number>();
    for (const id of truthIds[q]) {
      const row = await opened.papers.rowOf(id);
      if (row !== undefined) truth.add(row);
    }
    per.push({ rows, bits8, refined, truth, today });
  }
  // The engine's answer over a subset of the shortlist: its best `refine` by 8 bits, ranked again at 12 bits.
  const refineTop = manifest.search.refine;
  const answer = (p: PerQuery, subset: number[]) => {
    const by8 = [...subset].sort((a, b) => (p.bits8.get(b) as number) - (p.bits8.get(a) as number) || a - b);
    const top = by8.slice(0, refineTop).sort((a, b) => (p.refined.get(b) as number) - (p.refined.get(a) as number) || a - b);
    return [...top, ...by8.slice(refineTop)].slice(0, 10);
  };
  const shardsOf = (rows: number[]) => new Set(rows.map((r) => Math.floor(r / perShard)));

  console.log(`${manifest.count} papers (${dir}), ${texts.length} typed queries, ef ${ef}, shortlist ${S}, ${perShard}-row shards (${(shardBytes / 1e3).toFixed(0)} kB)`);
  console.log(`walk p50 ${median(walkMs).toFixed(1)} ms`);
  // Where the exact top 10 sit in the walk's order, and how full their shards are.
  const truthRanks: number[] = [];
  const truthShardFill: number[] = [];
  const shardFill: number[] = [];
  const shardsTouched: number[] = [];
  for (const p of per) {
    const fill = new Map<number, number>();
    for (const r of p.rows) fill.set(Math.floor(r / perShard), (fill.get(Math.floor(r / perShard)) ?? 0) + 1);
    shardsTouched.push(fill.size);
    for (const f of fill.values()) shardFill.push(f);
    p.rows.forEach((r, i) => {
      if (p.truth.has(r)) {
        truthRanks.push(i);
        truthShardFill.push(fill.get(Math.floor(r / perShard)) as number);
      }
    });
  }
  console.log(
    `row shards a shortlist falls in: p50 ${median(shardsTouched)}, max ${Math.max(...shardsTouched)} (${((median(shardsTouched) * shardBytes) / 1e6).toFixed(1)} MB p50); ` +
      `shortlist rows per shard: p50 ${median(shardFill)}, p10 ${pct(shardFill, 0.1)}, p90 ${pct(shardFill, 0.9)}`,
  );
  console.log(
    `exact top 10 found in the shortlist: ${truthRanks.length} of ${10 * per.length}; their prefix rank p50 ${median(truthRanks)}, p90 ${pct(truthRanks, 0.9)}, max ${Math.max(...truthRanks)}; ` +
      `shortlist rows in their shard p10 ${pct(truthShardFill, 0.1)}, min ${Math.min(...truthShardFill)}`,
  );

  const rules: { name: string; subset: (p: PerQuery) => number[] }[] = [];
  for (const n of [S / 4, S / 2, (3 * S) / 4, S]) rules.push({ name: `prefix top ${n}`, subset: (p) => p.rows.slice(0, n) });
  for (const m of [2, 3, 4, 6, 8]) {
    rules.push({
      name: `shards with ≥ ${m} rows (+ the prefix's best 100)`,
      subset: (p) => {
        const fill = new Map<number, number>();
        for (const r of p.rows) fill.set(Math.floor(r / perShard), (fill.get(Math.floor(r / perShard)) ?? 0) + 1);
        const keep = new Set([...fill].filter(([, f]) => f >= m).map(([s]) => s));
        for (const r of p.rows.slice(0, 100)) keep.add(Math.floor(r / perShard));
        return p.rows.filter((r) => keep.has(Math.floor(r / perShard)));
      },
    });
  }
  console.log('\n| rows re-ranked | recall@10 vs exact | top 10 as today | row shards p50 (mean) | MB p50 |\n|---|---:|---:|---:|---:|');
  for (const rule of rules) {
    let found = 0;
    let same = 0;
    const shards: number[] = [];
    for (const p of per) {
      const subset = rule.subset(p);
      const got = answer(p, subset);
      found += got.filter((r) => p.truth.has(r)).length;
      same += got.filter((r) => p.today.includes(r)).length;
      shards.push(shardsOf(subset).size);
    }
    console.log(
      `| ${rule.name} | ${(found / (10 * per.length)).toFixed(4)} | ${(same / (10 * per.length)).toFixed(4)} | ${median(shards)} (${mean(shards).toFixed(1)}) | ${((median(shards) * shardBytes) / 1e6).toFixed(1)} |`,
    );
  }
  boundPart(per);
}

/**
 * The bound a row's prefix code allows on its full cosine, for a unit query q = (q_p, q_r) and a unit row
 * x = (x_p, x_r) whose prefix code u is x_p / |x_p| (to within the codes' half step): q·x = |x_p| (q_p·u) + q_r·x_r
 * ≤ t·c + |q_r|·√(1 − t²) for t = |x_p| ∈ [0, 1], c = q_p·u + Σ|q_d|·step_d/2, whose maximum over t is √(c⁺² + |q_r|²).
 * The row shards' 8-bit scores differ from the float ones by their own half steps; a margin for them is added.
 * Counted here: how many shortlist rows that bound would leave unread once the 10th best re-ranked cosine is known.
 */
function boundPart(per: { rows: number[]; bits8: Map<number, number> }[]): void {
  const p = set.prefixDims;
  const unread: number[] = [];
  const margins: number[] = [];
  for (const [q, row] of per.entries()) {
    const query = rotatedQueries[q];
    let qp2 = 0;
    for (let d = 0; d < p; d++) qp2 += query[d] * query[d];
    const qr = Math.sqrt(Math.max(0, 1 - qp2));
    const qpNorm = Math.sqrt(qp2);
    const tenth = [...row.bits8.values()].sort((a, b) => b - a)[9];
    let skippable = 0;
    for (const r of row.rows) {
      const u = set.prefixVector(r);
      let norm = 0;
      let c = 0;
      for (let d = 0; d < p; d++) {
        norm += u[d] * u[d];
        c += query[d] * u[d];
      }
      c /= Math.sqrt(norm);
      const bound = Math.sqrt(Math.max(0, c) ** 2 + qr * qr);
      if (bound < tenth) skippable++;
    }
    unread.push(skippable);
    margins.push(Math.sqrt(qpNorm * qpNorm + qr * qr) - tenth);
  }
  console.log(
    `\nThe bound √(c⁺² + |q_r|²) on a row's full cosine from its prefix code (no code-error margin, so an over-estimate of what it prunes): ` +
      `rows of the shortlist it rules out once the 10th best is known, p50 ${median(unread)} (max ${Math.max(...unread)}) of ${manifest.search.shortlist}; ` +
      `|q_r| p50 ${median(per.map((_, q) => Math.sqrt(Math.max(0, 1 - rotatedQueries[q].subarray(0, p).reduce((s, x) => s + x * x, 0))))).toFixed(3)}, ` +
      `10th best cosine p50 ${median(per.map((row) => [...row.bits8.values()].sort((a, b) => b - a)[9])).toFixed(3)}`,
  );
}

async function hybridPart(): Promise<void> {
  const S = manifest.search.shortlist;
  // "ef:shortlist[:minShardRows[:headKeep]]", each against today's (the set's ef and shortlist, every row re-ranked).
  const configs = [`${manifest.search.ef}:${S}`, ...values.hybrid.split(',').filter(Boolean)].map((c) => {
    const [ef, shortlist, min, headKeep] = c.split(':').map(Number);
    return { name: c, fusion: { ef, shortlist, ...(min ? { minShardRows: min } : {}), ...(headKeep !== undefined ? { headKeep } : {}) } };
  });
  const engineFor = async (fusion: Format3EngineOptions['fusion']): Promise<{ engine: Format3Engine; vectors: VectorSet }> => {
    const vectors = await openFormat3(manifest, read, { cachedBytes: 1 << 30 });
    return { engine: new Format3Engine({ modelId: manifest.model.id, papers: opened.papers, lexical: opened.lexical, vectors }, { fusion }), vectors };
  };
  const today: number[][] = [];
  console.log(`\nHybrid top 10 with the vector side's walk and re-rank cut, against today's (ef ${manifest.search.ef}, shortlist ${S}); ${texts.length} typed queries\n`);
  console.log('| ef:shortlist[:min rows a shard[:headKeep]] | top 10 as today | identical lists | row shard files (heads, tails) a cold search reads, p50 (MB) | warm ms p50 | walk | rerank |\n|---|---:|---:|---:|---:|---:|---:|');
  for (const config of configs) {
    let same = 0;
    let identical = 0;
    const shards: number[] = [];
    const megabytes: number[] = [];
    const ms: number[] = [];
    const walk: number[] = [];
    const rerank: number[] = [];
    for (let q = 0; q < texts.length; q++) {
      const { engine, vectors } = await engineFor(config.fusion);
      const got = (await engine.searchText(texts[q], embeddings[q], { mode: 'hybrid', k: 10 })).hits.map((h) => h.row);
      shards.push(vectors.shardsFetched + vectors.tailsFetched);
      megabytes.push((perShard * (vectors.shardsFetched * manifest.rows.headDims + vectors.tailsFetched * (manifest.rows.dims - manifest.rows.headDims))) / 1e6);
      if (today.length <= q) today.push(got);
      same += got.filter((r) => today[q].includes(r)).length;
      if (got.join() === today[q].join()) identical++;
      const started = performance.now();
      const result = await engine.searchText(texts[q], embeddings[q], { mode: 'hybrid', k: 10 });
      ms.push(performance.now() - started);
      walk.push(result.phases?.walk ?? 0);
      rerank.push(result.phases?.rerank ?? 0);
    }
    console.log(
      `| ${config.name} | ${(same / (10 * texts.length)).toFixed(4)} | ${identical}/${texts.length} | ${median(shards)} (${median(megabytes).toFixed(1)}) | ${median(ms).toFixed(1)} | ${median(walk).toFixed(1)} | ${median(rerank).toFixed(1)} |`,
    );
  }
}
