/**
 * Your papers and the map on a format-3 set (issue #13, "everything keeps working at 100k"), in Node over
 * a set's folder, files read through a counting source as the site's chunk store would fetch them.
 *
 *   npx tsx bench/format3-yours.ts --index DIR [--imported 0,100,1000] [--write]
 *
 * - Search time with the user's papers beside the set (format3/your-papers.ts), as a ratio to the same
 *   engine with none, in one process: keyword, hybrid and similar, p50 over bench/queries.ts (query vectors
 *   are random unit vectors: no model runs, the vector side's walk and re-rank cost the same). The user's
 *   papers are copies of the set's papers under new ids and titles, with random embeddings.
 * - The map: bytes and files a cold reader fetches for the sample (format3/map-sample.ts), and the layout
 *   time of the sample (UMAP, as the worker runs it).
 * Times are CPU-bound on a shared machine: read the ratios.
 */
import '../src/cli/node-env';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { artifactsDirReader, displayPath } from '../src/cli/build-pipeline';
import { Format3Engine } from '../src/core/format3/engine';
import { format3MapSource, mapSampleRows } from '../src/core/format3/map-sample';
import { openFormat3Engine } from '../src/core/format3/open';
import { parseFormat3Manifest } from '../src/core/format3/manifest';
import { verifiedSource } from '../src/core/format3/sharded-files';
import { YourPapers } from '../src/core/format3/your-papers';
import { projectMap } from '../src/core/map/project-map';
import { mulberry32 } from '../src/core/random';
import type { Paper } from '../src/core/types';
import { normaliseInPlace } from '../src/core/vectors';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDocSection } from './doc-section';
import { QUERIES } from './queries';

const { values } = parseArgs({
  options: {
    index: { type: 'string' },
    imported: { type: 'string', default: '0,100,1000' },
    rounds: { type: 'string', default: '5' },
    write: { type: 'boolean', default: false },
  },
});
if (!values.index) throw new Error('--index DIR: a format-3 set (build-index --merge … --format 3)');
const dir = values.index;
const importedCounts = values.imported.split(',').map(Number);
const rounds = Number(values.rounds);

const manifest = parseFormat3Manifest(readFileSync(join(dir, 'manifest.json')));
const fetched = { files: 0, bytes: 0 };
const read = artifactsDirReader(dir);
const source = verifiedSource(async (name) => {
  const bytes = await read(name);
  if (bytes) {
    fetched.files++;
    fetched.bytes += bytes.byteLength;
  }
  return bytes;
});
const opened = await openFormat3Engine(manifest, source);
const dims = manifest.model.dims;
const random = mulberry32(7);
const unit = () => {
  const v = new Float32Array(dims).map(() => random() - 0.5);
  normaliseInPlace(v);
  return v;
};
const queryVectors = QUERIES.map(unit);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The user's papers: copies of the set's papers spread over its rows, under new ids and titles. */
async function yoursOf(count: number): Promise<{ papers: Paper[]; raw: Float32Array }> {
  const rows = Array.from({ length: count }, (_, i) => Math.floor((i * opened.papers.count) / Math.max(1, count)));
  const papers = (await opened.papers.papers(rows)).map((p, i) => ({ ...p, id: `mine-${i}`, title: `${p.title} (my copy ${i})`, imported: true as const }));
  const raw = new Float32Array(count * dims);
  for (let i = 0; i < count; i++) raw.set(unit(), i * dims);
  return { papers, raw };
}

type Op = 'keyword' | 'hybrid' | 'similar';
const OPS: Op[] = ['keyword', 'hybrid', 'similar'];

/**
 * p50 ms per operation and engine over the queries. The engines take turns on each query (the load of a
 * shared machine drifts; turns keep it the same for all), after one unmeasured round that reads the files.
 */
async function time(engines: { engine: Format3Engine; similarIds: string[] }[]): Promise<Record<Op, number>[]> {
  const per = engines.map(() => ({ keyword: [] as number[], hybrid: [] as number[], similar: [] as number[] }));
  for (let round = 0; round <= rounds; round++) {
    for (let i = 0; i < QUERIES.length; i++) {
      for (const op of OPS) {
        for (const [e, { engine, similarIds }] of engines.entries()) {
          const t0 = performance.now();
          if (op === 'keyword') await engine.searchText(QUERIES[i], null);
          else if (op === 'hybrid') await engine.searchText(QUERIES[i], queryVectors[i]);
          else await engine.similar(similarIds[i % similarIds.length]);
          if (round > 0) per[e][op].push(performance.now() - t0);
        }
      }
    }
  }
  return per.map((times) => ({ keyword: median(times.keyword), hybrid: median(times.hybrid), similar: median(times.similar) }));
}

const lines: string[] = [];
const log = (line: string) => {
  lines.push(line);
  console.log(line);
};
log(`Set: ${displayPath(dir)}, ${manifest.count.toLocaleString('en')} papers (format 3). Load average at start: ${loadavg()[0].toFixed(2)} (a shared 2-core machine).`);
log('');
const similarIds = (await opened.papers.papers([1, Math.floor(opened.papers.count / 2), opened.papers.count - 2])).map((p) => p.id);
const engines = [{ label: "none (the set's own readers)", engine: opened.engine, similarIds }];
for (const count of importedCounts) {
  const yours = new YourPapers({ papers: opened.papers, lexical: opened.lexical, vectors: opened.vectors }, manifest);
  const { papers, raw } = await yoursOf(count);
  yours.addPapers(papers, raw);
  // Similar asks about the set's papers and, where there are some, one of the user's.
  engines.push({ label: `${count} beside the set`, engine: new Format3Engine(yours.readers(manifest.model.id)), similarIds: count > 0 ? [...similarIds.slice(0, 2), papers[0].id] : similarIds });
}
const timed = await time(engines);
log('| your papers | keyword p50 | hybrid p50 | similar p50 | ratio to the set alone (keyword / hybrid / similar) |');
log('|---|---|---|---|---|');
for (const [e, { label }] of engines.entries()) {
  const t = timed[e];
  const r = (op: Op) => (t[op] / timed[0][op]).toFixed(2);
  log(`| ${label} | ${t.keyword.toFixed(1)} ms | ${t.hybrid.toFixed(1)} ms | ${t.similar.toFixed(1)} ms | ${r('keyword')} / ${r('hybrid')} / ${r('similar')} |`);
}

// The map, from a cold reader: what opening it fetches, and the layout of the sample.
const cold = await openFormat3Engine(manifest, source);
const before = { ...fetched };
const yours = new YourPapers({ papers: cold.papers, lexical: cold.lexical, vectors: cold.vectors }, manifest);
const t0 = performance.now();
const map = await format3MapSource({ papers: cold.papers, prefixVector: (row) => cold.vectors.prefixVector(row) }, yours, 'bench');
const readMs = performance.now() - t0;
const files = fetched.files - before.files;
const bytes = fetched.bytes - before.bytes;
const t1 = performance.now();
const all = map.ids.map((_, i) => i);
await projectMap(map.vectorsOf(all), map.dims, { seed: 1 });
const layoutMs = performance.now() - t1;
const sample = mapSampleRows(cold.papers.count, cold.papers.section.rowsPerShard);
log('');
log(
  `Map: a sample of ${sample.length.toLocaleString('en')} of ${manifest.count.toLocaleString('en')} papers from ${files} text shards, ` +
    `${(bytes / 1e6).toFixed(2)} MB read when the map is opened (${readMs.toFixed(0)} ms from disk; nothing before); ` +
    `laid out from the ${map.dims}-d prefix codes in ${(layoutMs / 1000).toFixed(1)} s.`,
);

if (values.write) {
  await writeDocSection(
    'docs/BENCHMARKS.md',
    `format3-yours-${manifest.count}`,
    `### Your papers and the map on a ${manifest.count.toLocaleString('en')}-paper format-3 set\n\n` +
      `\`npx tsx bench/format3-yours.ts --index DIR --imported ${values.imported} --write\` (DIR: \`build-index --merge … --format 3\` of ` +
      `\`generate-corpus --papers ${manifest.count}\`). The user's papers are searched exactly beside the set and merged into each answer; ` +
      `the ratios are to the same set with none, in the same process; query vectors are random (no model), so the ` +
      `vector side costs what it does for a typed query. Measured on a shared 2-core machine.\n\n${lines.join('\n')}\n`,
  );
}
