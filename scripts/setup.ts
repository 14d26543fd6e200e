/**
 * `npm run setup`: provisions what the site serves but git does not hold.
 *   public/models/<id>/  the model files the registry lists for the chosen dtypes, size- and sha256-checked
 *   public/models/<id>/  + each graph pre-optimised by onnxruntime-node, listed in optimized-graphs.json (see models.ts)
 *   public/ort/          onnxruntime-web's glue (.mjs) and binary (.wasm), so nothing is fetched from a CDN
 *
 * Models come from --from <dir>, else $PAPERSIFT_MODELS_DIR, else ../shared/models beside the repository.
 * Re-runs are fast: a file whose size and mtime match the stamp written after its last verified copy is left alone;
 * sha256 is computed only for files copied now.
 *
 * The work is in runSetup() (importable, tested in test/setup-script.test.ts); the command line is at the bottom.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PapersiftError, describeError } from '../src/core/errors';
import {
  DEFAULT_MODEL_ID,
  MODELS,
  OPTIMIZED_GRAPHS_FILE,
  getModel,
  resolveDtype,
  type Dtype,
  type ModelFile,
  type ModelSpec,
  type OptimizedGraph,
  type OptimizedGraphs,
} from '../src/core/models';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * What a run verified (size, sha256, mtime per file), so a re-run can skip it without hashing again. Kept outside
 * public/ so the site never serves or precaches it.
 */
const STAMP_DIR = join('.cache', 'setup');

export interface ModelSelection {
  spec: ModelSpec;
  dtypes: Dtype[];
}

export interface SetupOptions {
  /** Holds public/ (the destination) and node_modules/ (where onnxruntime-web is found). */
  repoRoot: string;
  /** Holds one folder per model id, in the transformers.js layout. */
  modelsDir: string;
  models: ModelSelection[];
  /** Copy onnxruntime-web's wasm into public/ort/ (default true). */
  ort?: boolean;
  /** Write the pre-optimised graphs the browser loads (default true). */
  optimizeGraphs?: boolean;
}

export interface CopiedFile {
  /** Destination, relative to the repository root. */
  path: string;
  bytes: number;
  /** 'copied': copied now and verified; 'kept': already there, verified by an earlier run. */
  action: 'copied' | 'kept';
}

export interface SetupReport {
  modelsDir: string;
  models: Array<{ id: string; dtypes: Dtype[]; files: CopiedFile[]; optimized?: CopiedFile[] }>;
  ort: { version: string; from: string; files: CopiedFile[] } | null;
}

/** Copies and verifies everything, or throws PapersiftError('model-setup') listing every problem found. */
export async function runSetup(options: SetupOptions): Promise<SetupReport> {
  const problems: string[] = [];
  const report: SetupReport = { modelsDir: options.modelsDir, models: [], ort: null };
  for (const { spec, dtypes } of options.models) {
    const before = problems.length;
    const files = await provisionModel(spec, dtypes, options, problems);
    const optimized = (options.optimizeGraphs ?? true) && problems.length === before ? await optimizeGraphs(spec, dtypes, options, problems) : undefined;
    report.models.push({ id: spec.id, dtypes, files, ...(optimized ? { optimized } : {}) });
  }
  if (options.ort ?? true) {
    try {
      report.ort = await provisionOrt(options.repoRoot);
    } catch (e) {
      problems.push(`onnxruntime-web: ${describeError(e)}`);
    }
  }
  if (problems.length > 0) {
    throw new PapersiftError(
      'model-setup',
      [
        `Setup failed (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map((p) => `  - ${p}`),
        `Models were looked for in ${options.modelsDir} (set it with --from <dir> or PAPERSIFT_MODELS_DIR).`,
      ].join('\n'),
      { problems, modelsDir: options.modelsDir },
    );
  }
  return report;
}

interface Stamp {
  [path: string]: { bytes: number; sha256: string; mtimeMs: number };
}

async function provisionModel(
  spec: ModelSpec,
  dtypes: Dtype[],
  options: SetupOptions,
  problems: string[],
): Promise<CopiedFile[]> {
  const sourceDir = join(options.modelsDir, spec.id);
  const destDir = join(options.repoRoot, 'public', 'models', spec.id);
  const stampPath = join(options.repoRoot, STAMP_DIR, `${spec.id}.json`);
  const stamp: Stamp = await readFile(stampPath, 'utf8').then((text) => JSON.parse(text) as Stamp, () => ({}));
  const wanted = new Map<string, ModelFile>(spec.commonFiles.map((f) => [f.path, f]));
  for (const dtype of dtypes) {
    const weights = spec.weights[dtype];
    if (weights) wanted.set(weights.path, weights);
    else problems.push(`${spec.id}: the registry lists no ${dtype} weights (it has ${Object.keys(spec.weights).join(', ')})`);
  }

  const done: CopiedFile[] = [];
  let stampChanged = false;
  for (const file of wanted.values()) {
    const source = join(sourceDir, file.path);
    const dest = join(destDir, file.path);
    const shown = relative(options.repoRoot, dest);
    const there = await stat(dest).catch(() => null);
    const known = stamp[file.path];
    const verifiedBefore =
      there !== null && known?.sha256 === file.sha256 && there.size === file.bytes && there.mtimeMs === known.mtimeMs;
    if (verifiedBefore) {
      done.push({ path: shown, bytes: file.bytes, action: 'kept' });
      continue;
    }
    // No stamp (first run, or files put there by hand): a right-sized file there is kept if its sha256 matches.
    if (there?.size === file.bytes && (await hashFile(dest)) === file.sha256) {
      stamp[file.path] = { bytes: file.bytes, sha256: file.sha256, mtimeMs: there.mtimeMs };
      done.push({ path: shown, bytes: file.bytes, action: 'kept' });
      stampChanged = true;
      continue;
    }
    const sourceStat = await stat(source).catch(() => null);
    if (!sourceStat?.isFile()) {
      problems.push(`${spec.id}: ${file.path} is missing (looked for ${source})`);
      continue;
    }
    if (sourceStat.size !== file.bytes) {
      problems.push(`${spec.id}: ${file.path} is ${sourceStat.size} bytes, the registry expects ${file.bytes} (${source})`);
      continue;
    }
    const partial = `${dest}.partial`;
    await mkdir(dirname(dest), { recursive: true });
    const sha256 = await copyHashing(source, partial);
    if (sha256 !== file.sha256) {
      await rm(partial, { force: true });
      problems.push(`${spec.id}: ${file.path} sha256 mismatch: expected ${file.sha256}, found ${sha256} (${source})`);
      continue;
    }
    await rename(partial, dest);
    stamp[file.path] = { bytes: file.bytes, sha256, mtimeMs: (await stat(dest)).mtimeMs };
    done.push({ path: shown, bytes: file.bytes, action: 'copied' });
    stampChanged = true;
  }
  if (stampChanged) {
    await mkdir(dirname(stampPath), { recursive: true });
    await writeFile(stampPath, `${JSON.stringify(stamp, null, 2)}\n`);
  }
  return done;
}

/** The optimised graph's path beside its source: onnx/model_quantized.onnx → onnx/model_quantized.extended.onnx. */
export function optimizedGraphPath(source: string): string {
  return source.replace(/\.onnx$/, '.extended.onnx');
}

/**
 * Writes each chosen dtype's graph pre-optimised (onnxruntime-node, level 'extended', the level measured best in the
 * browser) and lists it in optimized-graphs.json. A graph already listed for the same source and runtime is kept.
 * onnxruntime's output is deterministic: the same source and version give the same bytes.
 */
async function optimizeGraphs(spec: ModelSpec, dtypes: Dtype[], options: SetupOptions, problems: string[]): Promise<CopiedFile[]> {
  const dir = join(options.repoRoot, 'public', 'models', spec.id);
  const listPath = join(dir, OPTIMIZED_GRAPHS_FILE);
  const ort = await import('onnxruntime-node');
  const runtime = ort.env.versions.node ?? ort.env.versions.common ?? 'unknown';
  const previous = await readFile(listPath, 'utf8').then((text) => JSON.parse(text) as OptimizedGraphs, () => undefined);
  const list: OptimizedGraphs = { level: 'extended', runtime, graphs: previous?.runtime === runtime ? { ...previous.graphs } : {} };
  const done: CopiedFile[] = [];
  for (const dtype of dtypes) {
    const weights = spec.weights[dtype];
    if (!weights) continue;
    const path = optimizedGraphPath(weights.path);
    const dest = join(dir, path);
    const known = list.graphs[dtype];
    const there = await stat(dest).catch(() => null);
    if (known && known.source.sha256 === weights.sha256 && known.path === path && there?.size === known.bytes) {
      done.push({ path: relative(options.repoRoot, dest), bytes: known.bytes, action: 'kept' });
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(join(dir, weights.path), {
        graphOptimizationLevel: 'extended',
        optimizedModelFilePath: dest,
        executionProviders: ['cpu'],
      });
      await session.release();
      const bytes = (await stat(dest)).size;
      const graph: OptimizedGraph = { path, bytes, sha256: await hashFile(dest), source: { path: weights.path, sha256: weights.sha256 } };
      list.graphs[dtype] = graph;
      done.push({ path: relative(options.repoRoot, dest), bytes, action: 'copied' });
    } catch (e) {
      delete list.graphs[dtype];
      problems.push(`${spec.id}: could not write the optimised ${dtype} graph (${describeError(e)})`);
    }
  }
  await writeFile(listPath, `${JSON.stringify(list, null, 2)}\n`);
  return done;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Streams source to dest once, hashing on the way: the sha256 is that of the bytes written. */
async function copyHashing(source: string, dest: string): Promise<string> {
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(createReadStream(source), tap, createWriteStream(dest));
  return hash.digest('hex');
}

export interface OrtWebFiles {
  /** The onnxruntime-web package the site imports. */
  packageDir: string;
  version: string;
  /** File names in packageDir/dist that its browser bundles load at run time, the WASM backend's first. */
  files: string[];
}

/**
 * The onnxruntime-web entries src/core/embed/embedder.ts imports in a browser: the wasm-only build for the WASM
 * backend (what runs by default) and the WebGPU build, imported only when WebGPU runs.
 */
export const ORT_WEB_ENTRIES = ['./wasm', './webgpu'] as const;

/**
 * Finds the wasm files the site's onnxruntime-web bundles ask for. The glue (.mjs) and binary (.wasm) must come from
 * that exact version: a mismatched pair fails to start.
 */
export async function findOrtWebFiles(repoRoot: string): Promise<OrtWebFiles> {
  const packageDir = join(repoRoot, 'node_modules', 'onnxruntime-web');
  if (!existsSync(join(packageDir, 'package.json'))) throw new Error(`not installed (looked in ${packageDir}); run npm install`);
  const ortPackage = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
    exports: Record<string, string | { import?: string | Record<string, string> }>;
  };
  const files: string[] = [];
  for (const entry of ORT_WEB_ENTRIES) {
    const exported = ortPackage.exports[entry];
    const importTarget = typeof exported === 'string' ? exported : exported?.import;
    const bundle = typeof importTarget === 'string' ? importTarget : importTarget?.default;
    if (!bundle) throw new Error(`onnxruntime-web ${ortPackage.version} has no import entry for "onnxruntime-web${entry.slice(1)}"`);
    const bundleText = await readFile(join(packageDir, bundle), 'utf8');
    const glue = [...new Set(bundleText.match(/ort-wasm-simd-threaded(?:\.\w+)?\.mjs/g) ?? [])];
    if (glue.length === 0) throw new Error(`found no ort-wasm-simd-threaded*.mjs name in ${bundle}`);
    // Each glue file loads the binary of the same name.
    files.push(...glue.flatMap((name) => [name, name.replace(/\.mjs$/, '.wasm')]));
  }
  for (const name of files) {
    if (!existsSync(join(packageDir, 'dist', name))) throw new Error(`${join(packageDir, 'dist', name)} is missing; run npm install`);
  }
  return { packageDir, version: ortPackage.version, files };
}

async function provisionOrt(repoRoot: string): Promise<NonNullable<SetupReport['ort']>> {
  const found = await findOrtWebFiles(repoRoot);
  const destDir = join(repoRoot, 'public', 'ort');
  await mkdir(destDir, { recursive: true });
  const files: CopiedFile[] = [];
  for (const name of found.files) {
    const source = join(found.packageDir, 'dist', name);
    const dest = join(destDir, name);
    const [from, there] = await Promise.all([stat(source), stat(dest).catch(() => null)]);
    // The copy carries the source's mtime, so "same size, same mtime" means the same file of the same version.
    const same = there && there.size === from.size && Math.trunc(there.mtimeMs) === Math.trunc(from.mtimeMs);
    if (!same) {
      await copyFile(source, dest);
      await utimes(dest, from.atime, from.mtime);
    }
    files.push({ path: relative(repoRoot, dest), bytes: from.size, action: same ? 'kept' : 'copied' });
  }
  return { version: found.version, from: relative(repoRoot, found.packageDir), files };
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

export interface SetupArgs {
  models: ModelSelection[];
  from?: string;
  ort: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run setup -- [--model <id>[:<dtype>]]... [--dtype fp32|q8] [--all] [--from <dir>] [--no-ort]

Copies model files into public/models/<id>/ (checking size and sha256) and onnxruntime-web's wasm into public/ort/.
  --model <id>[:<dtype>]  a model to copy, repeatable; dtype defaults to --dtype, else the model's default
  --dtype <dtype>         dtype for --model entries that name none
  --all                   every model in the registry with every dtype it ships
  --from <dir>            where the model folders are (also: PAPERSIFT_MODELS_DIR; default ../shared/models)
  --no-ort                skip onnxruntime-web
Without --model or --all: ${DEFAULT_MODEL_ID} (${MODELS[DEFAULT_MODEL_ID]?.defaultDtype}) and all-MiniLM-L6-v2 (q8).
Models: ${Object.values(MODELS).map((m) => `${m.id} (${Object.keys(m.weights).join(', ')})`).join('; ')}`;

export function parseSetupArgs(argv: string[]): SetupArgs {
  const asked: Array<{ id: string; dtype?: Dtype }> = [];
  let all = false;
  let from: string | undefined;
  let defaultDtype: Dtype | undefined;
  let ort = true;
  let help = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new PapersiftError('invalid-option', `${flag} needs a value\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--model') {
      const [id, dtype] = value(++i, arg).split(':');
      asked.push({ id, dtype: dtype as Dtype | undefined });
    } else if (arg === '--dtype') defaultDtype = value(++i, arg) as Dtype;
    else if (arg === '--from') from = value(++i, arg);
    else if (arg === '--all') all = true;
    else if (arg === '--no-ort') ort = false;
    else if (arg === '--help' || arg === '-h') help = true;
    else throw new PapersiftError('invalid-option', `Unknown argument "${arg}"\n${USAGE}`);
  }

  const chosen = new Map<string, Set<Dtype>>();
  const add = (id: string, dtype?: Dtype) => {
    const spec = getModel(id);
    const set = chosen.get(spec.id) ?? new Set<Dtype>();
    set.add(resolveDtype(spec, dtype));
    chosen.set(spec.id, set);
  };
  if (all) {
    for (const spec of Object.values(MODELS)) for (const dtype of Object.keys(spec.weights) as Dtype[]) add(spec.id, dtype);
  }
  for (const { id, dtype } of asked) add(id, dtype ?? defaultDtype);
  if (!all && asked.length === 0) {
    add(DEFAULT_MODEL_ID);
    add('all-MiniLM-L6-v2', 'q8');
  }
  const models = [...chosen].map(([id, dtypes]) => ({ spec: getModel(id), dtypes: [...dtypes] }));
  return { models, from, ort, help };
}

/** --from, else $PAPERSIFT_MODELS_DIR, else ../shared/models beside the repository (not the working directory). */
export function resolveModelsDir(from: string | undefined, environment: Record<string, string | undefined>, repoRoot = REPO_ROOT): string {
  return from ?? environment.PAPERSIFT_MODELS_DIR ?? join(repoRoot, '..', 'shared', 'models');
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function summarise(report: SetupReport, seconds: number): string {
  const lines = [`Models from ${report.modelsDir}:`];
  const describe = (files: CopiedFile[], copiedMeans: string) => {
    const copied = files.filter((f) => f.action === 'copied');
    const bytes = files.reduce((sum, f) => sum + f.bytes, 0);
    const what = copied.length === 0 ? 'already in place' : `${copied.length} ${copiedMeans}, ${files.length - copied.length} already in place`;
    return `${files.length} files, ${formatMB(bytes)}: ${what}`;
  };
  for (const model of report.models) {
    lines.push(`  public/models/${model.id}/ (${model.dtypes.join(', ')}): ${describe(model.files, 'copied, sha256 verified')}`);
    if (model.optimized?.length) lines.push(`    pre-optimised graphs (onnxruntime 'extended'): ${describe(model.optimized, 'written')}`);
  }
  if (report.ort) {
    lines.push(`onnxruntime-web ${report.ort.version} (${report.ort.from}) -> public/ort/: ${report.ort.files.map((f) => f.path.split('/').pop()).join(', ')}`);
    lines.push(`  ${describe(report.ort.files, 'copied')}`);
  }
  lines.push(`Setup done in ${seconds.toFixed(1)} s.`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const started = performance.now();
  try {
    const args = parseSetupArgs(process.argv.slice(2));
    if (args.help) {
      console.log(USAGE);
      return 0;
    }
    const modelsDir = resolveModelsDir(args.from, process.env);
    const report = await runSetup({ repoRoot: REPO_ROOT, modelsDir, models: args.models, ort: args.ort });
    console.log(summarise(report, (performance.now() - started) / 1000));
    return 0;
  } catch (e) {
    console.error(describeError(e));
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
