/**
 * What the engine core needs from Node that a browser worker has natively: IndexedDB (hnswlib-wasm
 * keeps its files in IDBFS) and importScripts. Import this first in every Node entry point.
 */
import 'fake-indexeddb/auto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

(globalThis as { importScripts?: () => void }).importScripts ??= () => {};

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SEEDS_DIR = join(REPO_ROOT, 'seeds');
/** The artifacts the site ships, built for the default model. */
export const SITE_ARTIFACTS_DIR = join(REPO_ROOT, 'public', 'artifacts');
/** Artifacts for any other model or dtype, built on demand and never committed. */
export const CACHE_ARTIFACTS_DIR = join(REPO_ROOT, '.cache', 'artifacts');

/**
 * Where model folders are: PAPERSIFT_MODELS_DIR, else the site's copy (npm run setup), else ../shared/models.
 */
export function modelsDir(): string {
  const candidates = [process.env.PAPERSIFT_MODELS_DIR, join(REPO_ROOT, 'public', 'models'), join(REPO_ROOT, '..', 'shared', 'models')];
  for (const dir of candidates) if (dir && existsSync(dir)) return dir;
  return candidates[1] as string;
}
