import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isPapersiftError } from '../src/core/errors';
import { DEFAULT_MODEL_ID, MODELS, type ModelSpec } from '../src/core/models';
import { REPO_ROOT, findOrtWebFiles, parseSetupArgs, resolveModelsDir, runSetup } from '../scripts/setup';

const temps: string[] = [];
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'papersift-setup-'));
  temps.push(dir);
  return dir;
}

function put(root: string, path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A registry entry for a tiny fake model, so the copy logic is tested without 30 MB files. */
const CONFIG = '{"model_type":"bert"}';
const WEIGHTS = 'pretend these are onnx bytes';
const fakeSpec: ModelSpec = {
  id: 'tiny-model',
  dims: 4,
  pooling: 'mean',
  queryPrefix: '',
  documentPrefix: '',
  maxTokens: 16,
  commonFiles: [{ path: 'config.json', bytes: CONFIG.length, sha256: sha256(CONFIG) }],
  weights: { q8: { path: 'onnx/model_quantized.onnx', bytes: WEIGHTS.length, sha256: sha256(WEIGHTS) } },
  defaultDtype: 'q8',
};

/** A models folder holding the fake model, and an empty repository to copy it into. */
function fixture(files: Record<string, string> = { 'config.json': CONFIG, 'onnx/model_quantized.onnx': WEIGHTS }) {
  const modelsDir = tempDir();
  for (const [path, content] of Object.entries(files)) put(modelsDir, join(fakeSpec.id, path), content);
  const repoRoot = tempDir();
  return { modelsDir, repoRoot, options: { repoRoot, modelsDir, models: [{ spec: fakeSpec, dtypes: ['q8' as const] }], ort: false, optimizeGraphs: false } };
}

async function setupError(run: Promise<unknown>) {
  const error = await run.then(() => null, (e: unknown) => e);
  expect(isPapersiftError(error, 'model-setup')).toBe(true);
  return error as Error;
}

describe('runSetup (models)', () => {
  it('copies the listed files and verifies them', async () => {
    const { repoRoot, options } = fixture();
    const report = await runSetup(options);
    const copied = join(repoRoot, 'public/models/tiny-model');
    expect(readFileSync(join(copied, 'onnx/model_quantized.onnx'), 'utf8')).toBe(WEIGHTS);
    expect(readFileSync(join(copied, 'config.json'), 'utf8')).toBe(CONFIG);
    expect(report.models[0].files.map((f) => f.action)).toEqual(['copied', 'copied']);
    expect(report.ort).toBeNull();
  });

  it('leaves verified files alone on a re-run, and recopies one changed since', async () => {
    const { repoRoot, options } = fixture();
    await runSetup(options);
    const again = await runSetup(options);
    expect(again.models[0].files.map((f) => f.action)).toEqual(['kept', 'kept']);

    const weights = join(repoRoot, 'public/models/tiny-model/onnx/model_quantized.onnx');
    writeFileSync(weights, 'truncated');
    const repaired = await runSetup(options);
    expect(repaired.models[0].files.find((f) => f.path.endsWith('.onnx'))?.action).toBe('copied');
    expect(readFileSync(weights, 'utf8')).toBe(WEIGHTS);
  });

  it('keeps a correct copy when the source has gone', async () => {
    const { modelsDir, options } = fixture();
    await runSetup(options);
    rmSync(join(modelsDir, 'tiny-model'), { recursive: true });
    const report = await runSetup(options);
    expect(report.models[0].files.every((f) => f.action === 'kept')).toBe(true);
  });

  it('names a missing file and where it looked', async () => {
    const { modelsDir, options } = fixture({ 'config.json': CONFIG });
    const error = await setupError(runSetup(options));
    expect(error.message).toContain('onnx/model_quantized.onnx is missing');
    expect(error.message).toContain(join(modelsDir, 'tiny-model', 'onnx', 'model_quantized.onnx'));
    expect(error.message).toContain(`looked for in ${modelsDir}`);
  });

  it('reports a sha256 mismatch for a corrupted file and copies nothing of it', async () => {
    const corrupted = WEIGHTS.replace('onnx', 'ONNX'); // same size, other bytes
    const { repoRoot, options } = fixture({ 'config.json': CONFIG, 'onnx/model_quantized.onnx': corrupted });
    const error = await setupError(runSetup(options));
    expect(error.message).toContain('onnx/model_quantized.onnx sha256 mismatch');
    expect(error.message).toContain(`expected ${sha256(WEIGHTS)}, found ${sha256(corrupted)}`);
    const dest = join(repoRoot, 'public/models/tiny-model/onnx');
    expect(existsSync(join(dest, 'model_quantized.onnx'))).toBe(false);
    expect(existsSync(join(dest, 'model_quantized.onnx.partial'))).toBe(false);
  });

  it('reports a file of the wrong size without hashing it', async () => {
    const { options } = fixture({ 'config.json': CONFIG, 'onnx/model_quantized.onnx': 'short' });
    const error = await setupError(runSetup(options));
    expect(error.message).toContain(`onnx/model_quantized.onnx is 5 bytes, the registry expects ${WEIGHTS.length}`);
  });

  it('lists every problem at once', async () => {
    const { options } = fixture({});
    const error = await setupError(runSetup(options));
    expect(error.message).toContain('Setup failed (2 problems)');
  });
});

describe('runSetup (real model and onnxruntime-web)', () => {
  const sharedModels = join(REPO_ROOT, '..', 'shared', 'models');

  it.skipIf(!existsSync(join(sharedModels, 'all-MiniLM-L6-v2')))('copies all-MiniLM-L6-v2 q8 and the wasm files', async () => {
    const repoRoot = tempDir();
    // runSetup finds onnxruntime-web under repoRoot/node_modules: point it at the real one.
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(repoRoot, 'node_modules'));
    const report = await runSetup({
      repoRoot,
      modelsDir: sharedModels,
      models: [{ spec: MODELS['all-MiniLM-L6-v2'], dtypes: ['q8'] }],
    });
    expect(report.models[0].files.map((f) => f.path).sort()).toEqual(
      [
        'config.json',
        'onnx/model_quantized.onnx',
        'special_tokens_map.json',
        'tokenizer.json',
        'tokenizer_config.json',
      ].map((p) => join('public/models/all-MiniLM-L6-v2', p)),
    );
    expect(report.ort?.files.map((f) => f.path)).toEqual([
      join('public/ort/ort-wasm-simd-threaded.mjs'),
      join('public/ort/ort-wasm-simd-threaded.wasm'),
      join('public/ort/ort-wasm-simd-threaded.asyncify.mjs'),
      join('public/ort/ort-wasm-simd-threaded.asyncify.wasm'),
    ]);
    const wasm = join(repoRoot, 'public/ort/ort-wasm-simd-threaded.wasm');
    expect(statSync(wasm).size).toBe(report.ort?.files[1].bytes);
  });
});

describe('findOrtWebFiles', () => {
  it('picks the wasm-only pair (WASM backend) and the asyncify pair the WebGPU bundle loads', async () => {
    const found = await findOrtWebFiles(REPO_ROOT);
    const ort = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8'));
    expect(found.version).toBe(ort.version);
    expect(found.files).toEqual([
      'ort-wasm-simd-threaded.mjs',
      'ort-wasm-simd-threaded.wasm',
      'ort-wasm-simd-threaded.asyncify.mjs',
      'ort-wasm-simd-threaded.asyncify.wasm',
    ]);
  });
});

describe('parseSetupArgs', () => {
  const chosen = (argv: string[]) =>
    Object.fromEntries(parseSetupArgs(argv).models.map((m) => [m.spec.id, m.dtypes.slice().sort()]));

  it('defaults to the default model with its default dtype, plus MiniLM q8', () => {
    expect(chosen([])).toEqual({ [DEFAULT_MODEL_ID]: [MODELS[DEFAULT_MODEL_ID].defaultDtype], 'all-MiniLM-L6-v2': ['q8'] });
  });

  it('takes --model id[:dtype], --dtype and --all', () => {
    expect(chosen(['--model', 'bge-small-en-v1.5:fp32'])).toEqual({ 'bge-small-en-v1.5': ['fp32'] });
    expect(chosen(['--dtype', 'fp32', '--model', 'bge-small-en-v1.5', '--model', 'bge-small-en-v1.5:q8'])).toEqual({
      'bge-small-en-v1.5': ['fp32', 'q8'],
    });
    expect(chosen(['--all'])).toEqual({ 'bge-small-en-v1.5': ['fp32', 'q8'], 'all-MiniLM-L6-v2': ['q8'] });
    expect(parseSetupArgs(['--no-ort', '--from', '/x']).ort).toBe(false);
  });

  it('refuses unknown models, dtypes a model lacks and unknown flags', () => {
    expect(() => parseSetupArgs(['--model', 'nope'])).toThrow(/Unknown model "nope"/);
    expect(() => parseSetupArgs(['--model', 'all-MiniLM-L6-v2:fp32'])).toThrow(/has no fp32 weights/);
    expect(() => parseSetupArgs(['--frm', 'x'])).toThrow(/Unknown argument "--frm"/);
  });

  it('finds models via --from, then PAPERSIFT_MODELS_DIR, then ../shared/models beside the repository', () => {
    expect(resolveModelsDir('/a', { PAPERSIFT_MODELS_DIR: '/b' })).toBe('/a');
    expect(resolveModelsDir(undefined, { PAPERSIFT_MODELS_DIR: '/b' })).toBe('/b');
    expect(resolveModelsDir(undefined, {}, '/work/main')).toBe('/work/shared/models');
  });
});
