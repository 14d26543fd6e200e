/**
 * The artifacts in public/artifacts are committed so a new user's first run is instant. These tests fail
 * when they no longer match the seeds or the model registry, and check that a damaged set is refused.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSeedCorpus } from '../src/cli/corpus-files';
import { SITE_ARTIFACTS_DIR } from '../src/cli/node-env';
import { readArtifactsDir } from '../src/cli/open-engine';
import { FILES, FORMAT_VERSION, decodeArtifacts, parseManifest } from '../src/core/artifacts';
import { corpusHash } from '../src/core/corpus';
import { isPapersiftError } from '../src/core/errors';
import { DEFAULT_MODEL_ID, getModel } from '../src/core/models';

const model = getModel(DEFAULT_MODEL_ID);
const manifest = parseManifest(readFileSync(join(SITE_ARTIFACTS_DIR, FILES.manifest)));
const onDisk = (name: string) => new Uint8Array(readFileSync(join(SITE_ARTIFACTS_DIR, name)));

async function errorOf(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('shipped artifacts', () => {
  it('match the seed corpus and the default model (else: npm run build-index)', async () => {
    const corpus = readSeedCorpus();
    const artifacts = await readArtifactsDir(SITE_ARTIFACTS_DIR, {
      model,
      dtype: model.defaultDtype,
      corpusHash: corpusHash(corpus.papers),
    });
    expect(artifacts.manifest.formatVersion).toBe(FORMAT_VERSION);
    expect(artifacts.papers.map((p) => p.id)).toEqual(corpus.papers.map((p) => p.id));
    expect(artifacts.manifest.indexDims.at(-1)).toBe(model.dims);
  });

  it('hold unit-length rotated vectors', async () => {
    const artifacts = await readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: model.defaultDtype });
    for (let r = 0; r < artifacts.papers.length; r += 17) {
      let norm = 0;
      for (let j = 0; j < model.dims; j++) norm += artifacts.vectors[r * model.dims + j] ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(1, 4);
    }
  });

  it('are refused as stale when the corpus changed', async () => {
    const e = await errorOf(readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: model.defaultDtype, corpusHash: '0000' }));
    expect(isPapersiftError(e, 'artifacts-stale')).toBe(true);
    expect((e as Error).message).toMatch(/corpus hash/);
  });

  it('are refused as stale for another model or dtype', async () => {
    const other = await errorOf(readArtifactsDir(SITE_ARTIFACTS_DIR, { model: getModel('all-MiniLM-L6-v2'), dtype: 'q8' }));
    expect(isPapersiftError(other, 'artifacts-stale')).toBe(true);
    const fp32 = await errorOf(readArtifactsDir(SITE_ARTIFACTS_DIR, { model, dtype: 'fp32' }));
    expect((fp32 as Error).message).toMatch(/model dtype: artifacts have q8, expected fp32/);
  });

  it('are refused when a file is corrupted, truncated or missing', async () => {
    const flipped = onDisk(FILES.vectors);
    flipped[100] ^= 0xff;
    const read = (override: Record<string, Uint8Array | undefined>) => async (name: string) =>
      name in override ? override[name] : onDisk(name);
    const corrupted = await errorOf(decodeArtifacts(read({ [FILES.vectors]: flipped }), { model, dtype: model.defaultDtype }));
    expect(isPapersiftError(corrupted, 'artifacts-format')).toBe(true);
    expect((corrupted as Error).message).toMatch(/vectors\.f32 is corrupted/);

    const truncated = await errorOf(
      decodeArtifacts(read({ [FILES.papers]: onDisk(FILES.papers).slice(0, 1000) }), { model, dtype: model.defaultDtype }),
    );
    expect(isPapersiftError(truncated, 'artifacts-format')).toBe(true);

    const missing = await errorOf(decodeArtifacts(read({ [FILES.hnsw(32)]: undefined }), { model, dtype: model.defaultDtype }));
    expect(isPapersiftError(missing, 'artifacts-missing')).toBe(true);
  });

  it('are refused when written by another format version', async () => {
    const future = new TextEncoder().encode(JSON.stringify({ ...manifest, formatVersion: FORMAT_VERSION + 1 }));
    const e = await errorOf(
      decodeArtifacts(async (name) => (name === FILES.manifest ? future : onDisk(name)), { model, dtype: model.defaultDtype }),
    );
    expect(isPapersiftError(e, 'artifacts-format')).toBe(true);
    const garbage = await errorOf(
      decodeArtifacts(async (name) => (name === FILES.manifest ? new Uint8Array([1, 2, 3]) : onDisk(name)), {
        model,
        dtype: model.defaultDtype,
      }),
    );
    expect((garbage as Error).message).toMatch(/not valid JSON/);
  });
});
