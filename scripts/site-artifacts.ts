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
 *
 * A format-3 set (build-index --format 3) is shipped whole: its manifest names its eager files and the
 * tables of its sharded ones (papers, keyword postings), which are checked here as format 2's files are;
 * the shards themselves are checked in the browser as they are fetched (src/store/chunk-store.ts). The
 * service worker precaches only the manifest either way (vite.config.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkManifest, FILES, parseManifest, type Manifest } from '../src/core/artifacts';
import { describeError } from '../src/core/errors';
import { parseFormat3Manifest, type Format3Manifest } from '../src/core/format3/manifest';
import type { PapersSection } from '../src/core/format3/papers';
import type { LexicalSection } from '../src/core/lexical/chunked';
import { DEFAULT_MODEL_ID, getModel } from '../src/core/models';

export interface StagedArtifacts {
  /** The public folder Vite should copy. */
  publicDir: string;
  manifest: Manifest | Format3Manifest;
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
  let manifest: Manifest | Format3Manifest;
  const model = getModel(DEFAULT_MODEL_ID);
  const format3 = isFormat3(manifestPath);
  try {
    if (format3) {
      manifest = parseFormat3Manifest(new Uint8Array(readFileSync(manifestPath)));
      if (manifest.model.id !== model.id || manifest.model.dtype !== model.defaultDtype) fail(`the index was made with ${manifest.model.id} (${manifest.model.dtype})`);
      if (!manifest.papers || !manifest.lexical) fail('the format-3 manifest has no papers or keyword section; build it again with build-index --format 3');
    } else {
      manifest = parseManifest(new Uint8Array(readFileSync(manifestPath)));
      checkManifest(manifest, { model, dtype: model.defaultDtype });
    }
  } catch (e) {
    return fail(`${describeError(e).replace(/^PAPERSIFT_ARTIFACTS=[^:]*: /, '')}. The site runs ${DEFAULT_MODEL_ID} (${model.defaultDtype}); build the index with it.`);
  }
  const listed = { ...manifest.files, ...(format3 ? sectionTables(manifest as Format3Manifest) : {}) };
  for (const [name, meta] of Object.entries(listed)) {
    // Format 3 keeps its shards in folders (papers/, lexical/); nothing may point outside DIR.
    const unsafe = format3 ? name.split(/[/\\]/).some((part) => part === '' || part.startsWith('.')) : name.includes('/') || name.includes('\\') || name.startsWith('.');
    if (unsafe) fail(`the manifest lists "${name}", which is not a plain file name`);
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
  // A format-3 set's shards are many files in a few folders: the folders are linked whole.
  const shipped = format3 ? readdirSync(source) : [FILES.manifest, ...Object.keys(manifest.files)];
  for (const name of shipped) symlinkSync(join(source, name), join(staged, 'artifacts', name));
  return { publicDir: staged, manifest };
}

function isFormat3(manifestPath: string): boolean {
  try {
    return (JSON.parse(readFileSync(manifestPath, 'utf8')) as { formatVersion?: unknown }).formatVersion === 3;
  } catch {
    return false; // parseManifest says what is wrong with it
  }
}

/** The file tables and eager files of a format-3 set's papers and keyword sections, by name. */
function sectionTables(manifest: Format3Manifest): Record<string, { bytes: number; sha256: string }> {
  const papers = manifest.papers as PapersSection;
  const lexical = manifest.lexical as LexicalSection;
  const refs = [papers.catalog, papers.shards.table, papers.ids.table, papers.titles.shards.table, lexical.lengths, lexical.buckets.table, lexical.bigTerms.table, lexical.vocabulary.table];
  return Object.fromEntries(refs.map((ref) => [ref.name, ref]));
}
