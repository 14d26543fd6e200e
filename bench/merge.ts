/**
 * Time and peak memory of `build-index --merge` on synthetic corpora (generate-corpus), per size:
 * reading and verifying the shards, then the rotation, graphs and keyword index.
 *
 *   npx tsx bench/merge.ts [--sizes 10000,20000] [--shards 4] [--dir .cache/bench-merge] [--format 2|3]
 *
 * Each size runs in a fresh child process (generation in another one first), so peak RSS
 * (process.resourceUsage().maxRSS) is the merge's alone. Tables go to stdout.
 */
import '../src/cli/node-env';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../src/cli/node-env';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,20000' },
    shards: { type: 'string', default: '4' },
    dir: { type: 'string', default: join(REPO_ROOT, '.cache', 'bench-merge') },
    child: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string', default: '2' },
  },
});

if (values.child) {
  // The measured process: one merge, then its own figures as one JSON line.
  const { mergeShards } = await import('../src/cli/sharded-build');
  const { mergeShardsFormat3 } = await import('../src/cli/format3-merge');
  const { getModel, DEFAULT_MODEL_ID } = await import('../src/core/models');
  const model = getModel(DEFAULT_MODEL_ID);
  const started = performance.now();
  const cpu = process.cpuUsage();
  const merge = values.format === '3' ? mergeShardsFormat3 : mergeShards;
  const report = await merge([values.child], { model, dtype: model.defaultDtype, out: values.out as string, createdBy: 'bench/merge.ts', log: () => {} });
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `${JSON.stringify({ ...report, wall: (performance.now() - started) / 1000, cpu: (used.user + used.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
  process.exit(0);
}

const rows: string[] = [];
for (const size of values.sizes.split(',').map(Number)) {
  const corpus = join(values.dir, `synth-${size}-${values.shards}`);
  if (!existsSync(join(corpus, 'embeddings'))) {
    execFileSync('npx', ['tsx', 'src/cli/generate-corpus.ts', '--papers', String(size), '--shards', values.shards, '--out', corpus], { cwd: REPO_ROOT, stdio: 'inherit' });
  }
  const output = execFileSync('npx', ['tsx', 'bench/merge.ts', '--child', join(corpus, 'embeddings'), '--format', values.format, '--out', join(corpus, `artifacts-format${values.format}`)], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const r = JSON.parse(output.trim().split('\n').pop() as string) as {
    papers: number;
    bytes: number;
    seconds: { read: number; index: number };
    wall: number;
    cpu: number;
    maxRssMiB: number;
  };
  rows.push(
    `| ${r.papers.toLocaleString('en')} | ${values.shards} | ${r.seconds.read.toFixed(1)} | ${r.seconds.index.toFixed(1)} | ${r.wall.toFixed(1)} | ${r.cpu.toFixed(1)} | ${Math.round(r.maxRssMiB)} | ${(r.bytes / 1e6).toFixed(1)} |`,
  );
  process.stderr.write(`${rows[rows.length - 1]}\n`);
}
process.stdout.write(
  ['| papers | shards | read + verify (s) | rotation, graphs, keyword index (s) | wall (s) | CPU (s) | peak RSS (MiB) | artifacts (MB) |', '|---:|---:|---:|---:|---:|---:|---:|---:|', ...rows].join('\n') + '\n',
);
