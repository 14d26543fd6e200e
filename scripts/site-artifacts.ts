/**
 * `PAPERSIFT_ARTIFACTS=DIR npm run build` (or `npm start`, or `npm run dev`) ships the artifact set in
 * DIR instead of public/artifacts. Vite copies its public folder into the site as it is, so the build
 * gets a staged public folder: links to everything in public/ but `artifacts/`, which holds links to
 * DIR's manifest and the files it lists (nothing else DIR holds is shipped). The service worker's
 * precache globs the built site, so it lists those files.
 *
 * DIR is checked first, with the site's own rules: a readable format-2 manifest for the site's default
 * model and dtype, and every listed file present with its size and sha256. Anything else stops the build
 * with the reason, rather than shipping a site that would rebuild or fail in every visitor's browser.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkManifest, FILES, parseManifest, type Manifest } from '../src/core/artifacts';
import { describeError } from '../src/core/errors';
import { DEFAULT_MODEL_ID, getModel } from '../src/core/models';

export interface StagedArtifacts {
  /** The public folder Vite should copy. */
  publicDir: string;
  manifest: Manifest;
}

/** Validates DIR and stages a public folder that ships it; throws an Error whose message says what is wrong. */
export function stageArtifacts(dir: string, repoRoot: string): StagedArtifacts {
  const source = resolve(dir);
  const fail = (why: string): never => {
    throw new Error(`PAPERSIFT_ARTIFACTS=${dir}: ${why}`);
  };
  if (!existsSync(source) || !statSync(source).isDirectory()) fail('no such folder');
  const manifestPath = join(source, FILES.manifest);
  if (!existsSync(manifestPath)) fail(`no ${FILES.manifest} in it; make one with npm run build-index -- --corpus FILE --out ${dir}`);
  let manifest: Manifest;
  try {
    manifest = parseManifest(new Uint8Array(readFileSync(manifestPath)));
    const model = getModel(DEFAULT_MODEL_ID);
    checkManifest(manifest, { model, dtype: model.defaultDtype });
  } catch (e) {
    return fail(`${describeError(e)}. The site runs ${DEFAULT_MODEL_ID} (${getModel(DEFAULT_MODEL_ID).defaultDtype}); build the index with it.`);
  }
  for (const [name, meta] of Object.entries(manifest.files)) {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) fail(`the manifest lists "${name}", which is not a plain file name`);
    const path = join(source, name);
    if (!existsSync(path)) fail(`${name}, listed in the manifest, is missing`);
    const bytes = readFileSync(path);
    if (bytes.byteLength !== meta.bytes || createHash('sha256').update(bytes).digest('hex') !== meta.sha256) {
      fail(`${name} does not match the manifest (size or sha256): the set is incomplete or mixed; build it again`);
    }
  }

  const publicSource = join(repoRoot, 'public');
  const staged = join(repoRoot, '.cache', 'site-public', createHash('sha256').update(source).digest('hex').slice(0, 12));
  rmSync(staged, { recursive: true, force: true });
  mkdirSync(join(staged, 'artifacts'), { recursive: true });
  for (const entry of readdirSync(publicSource)) {
    if (entry !== 'artifacts') symlinkSync(join(publicSource, entry), join(staged, entry));
  }
  for (const name of [FILES.manifest, ...Object.keys(manifest.files)]) symlinkSync(join(source, name), join(staged, 'artifacts', name));
  return { publicDir: staged, manifest };
}
