/**
 * npm run generate-corpus -- --papers N --out DIR [--seed S] [--shards K] [--sources DIR] [--noise-shape neighbours|isotropic]
 *
 * Writes a synthetic corpus for scale work: DIR/corpus.jsonl (JSON lines {id, title, abstract, authors,
 * date, categories}, readable by `build-index --corpus`) and DIR/embeddings/ (its vectors as K embeddings
 * shards, partitioned by paper id exactly as `build-index --shard I/K` partitions, each with its papers),
 * ready for `build-index --merge DIR/embeddings`. Text and vectors come from a real artifact set (default:
 * the shipped seed artifacts), so real queries find papers on their topic. Same seed, same bytes.
 */
import './node-env';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError, PapersiftError } from '../core/errors';
import { getModel, PAPER_TEXT_FORM, type Dtype } from '../core/models';
import { shardOfId, shardStem } from '../core/shards/format';
import { generatePapers, NOISE_SHAPES, type NoiseShape } from '../core/synthetic/generate';
import { unrotateRows } from '../core/matryoshka/rotation';
import { readArtifactsDir } from './open-engine';
import { REPO_ROOT, SITE_ARTIFACTS_DIR } from './node-env';
import { countProgressBar } from './progress';
import { ShardWriter } from './shard-files';

const USAGE = `Usage: npm run generate-corpus -- --papers N --out DIR [--seed S] [--shards K] [--sources DIR] [--noise-shape neighbours|isotropic]
  --papers N     how many papers (e.g. 100000 or 1000000)
  --out DIR      writes DIR/corpus.jsonl and DIR/embeddings/shard-*-of-*.{json,ids.jsonl,f32,papers.jsonl}
  --seed S       PRNG seed (default 1): the same seed writes the same bytes
  --shards K     split the vectors into K shards by paper id, as K build processes would (default 1)
  --sources DIR  artifact set whose papers and vectors the corpus is assembled from (default public/artifacts)
  --noise-shape  how a paper's vector strays from its sources' mix: neighbours (default; Gaussian with the
                 covariance of the sources' differences from their nearest neighbours, as real papers spread)
                 or isotropic (the same in every direction; the generator's first noise). Same text either way`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      papers: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      shards: { type: 'string', default: '1' },
      sources: { type: 'string' },
      'noise-shape': { type: 'string', default: 'neighbours' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const count = positiveInt(values.papers, '--papers');
  const shards = positiveInt(values.shards, '--shards');
  const seed = Number(values.seed);
  if (!Number.isInteger(seed)) throw new PapersiftError('invalid-option', `--seed takes an integer, not "${values.seed}"`);
  if (!values.out) throw new PapersiftError('invalid-option', `--out DIR is required\n${USAGE}`);
  const out = values.out;
  const noiseShape = values['noise-shape'] as NoiseShape;
  if (!NOISE_SHAPES.includes(noiseShape)) throw new PapersiftError('invalid-option', `--noise-shape takes ${NOISE_SHAPES.join(' or ')}, not "${noiseShape}"`);

  const sourcesDir = values.sources ?? SITE_ARTIFACTS_DIR;
  const manifestPath = join(sourcesDir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new PapersiftError('artifacts-missing', `No artifact set at ${sourcesDir}: give --sources DIR (a folder with manifest.json)`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { model: { id: string; dtype: Dtype } };
  const model = getModel(manifest.model.id);
  const artifacts = await readArtifactsDir(sourcesDir, { model, dtype: manifest.model.dtype });
  const dims = artifacts.manifest.model.dims;
  const raw = unrotateRows(artifacts.rotation, dims, artifacts.vectors);

  const embeddingsDir = join(out, 'embeddings');
  mkdirSync(embeddingsDir, { recursive: true });
  const writers = Array.from(
    { length: shards },
    (_, index) =>
      new ShardWriter(
        embeddingsDir,
        shardStem(index, shards),
        {
          model: artifacts.manifest.model,
          textForm: PAPER_TEXT_FORM,
          shard: { index, count: shards },
          synthetic: true,
          createdBy: `papersift generate-corpus (seed ${seed}, ${noiseShape} noise, from ${artifacts.papers.length} papers of ${relative(REPO_ROOT, sourcesDir) || sourcesDir})`,
        },
        { withPapers: true },
      ),
  );
  const corpusPath = join(out, 'corpus.jsonl');
  const corpus = createWriteStream(corpusPath);
  const bar = countProgressBar('Generating', count, 'papers');
  const started = performance.now();
  let lines: string[] = [];
  let n = 0;
  for (const { paper, vector } of generatePapers(artifacts.papers, raw, dims, { seed, noiseShape })) {
    if (n === count) break;
    n++;
    const record = { id: paper.id, title: paper.title, abstract: paper.abstract, authors: paper.authors, date: paper.published, categories: paper.categories };
    lines.push(JSON.stringify(record));
    // Relative to the output folder, so the same corpus generated elsewhere is the same bytes.
    paper.sources = [`corpus.jsonl:${n}`];
    await writers[shardOfId(paper.id, shards)].add(paper.id, vector, paper);
    if (lines.length === 1024 || n === count) {
      if (!corpus.write(`${lines.join('\n')}\n`)) await once(corpus, 'drain');
      lines = [];
      bar.update(n);
    }
  }
  corpus.end();
  await once(corpus, 'finish');
  for (const writer of writers) await writer.close();
  bar.stop();
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(
    `Wrote ${count} synthetic papers to ${corpusPath} and ${shards} embeddings shard${shards > 1 ? 's' : ''} to ${embeddingsDir} ` +
      `(${seconds.toFixed(1)} s, ${Math.round(count / seconds)} papers/s)\n`,
  );
  return 0;
}

function positiveInt(value: string | undefined, name: string): number {
  const n = Number(value);
  if (value === undefined || !Number.isInteger(n) || n < 1) throw new PapersiftError('invalid-option', `${name} takes a positive integer${value === undefined ? '' : `, not "${value}"`}\n${USAGE}`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`generate-corpus failed: ${describeError(e)}\n`);
    process.exit(1);
  },
);
