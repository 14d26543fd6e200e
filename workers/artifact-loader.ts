/**
 * Finds a usable artifact set for the expected model and dtype, cheapest source first:
 * IndexedDB (when it holds what the server ships now) → the shipped files → a rebuild in this worker.
 */
import { decodeArtifacts, FILES, parseManifest, type Artifacts, type Expectation, type Manifest } from '../src/core/artifacts';
import { buildArtifacts } from '../src/core/build';
import type { Embedder } from '../src/core/embed/types';
import { describeError, isPapersiftError, isQuotaError, PapersiftError } from '../src/core/errors';
import { sha256Hex } from '../src/core/hash';
import type { Paper } from '../src/core/types';
import type { ArtifactSource, IndexingStatus, LoadStep } from '../src/protocol';
import type { ArtifactStore } from '../src/store/artifact-store';
import { isFormat3Manifest, openFormat3Site, type Format3Site } from './format3-site';

export interface LoadedArtifacts {
  artifacts: Artifacts;
  source: ArtifactSource;
  /** The set is in IndexedDB now, for the next visit: false when storing it failed (quota, private mode). */
  kept: boolean;
  notice?: string;
}

/** A format-3 set, opened: its files are fetched as queries need them, through its chunk store. */
export interface LoadedFormat3 {
  format3: Format3Site;
  source: ArtifactSource;
  notice?: string;
}

export interface LoaderContext {
  expected: Expectation;
  store: ArtifactStore;
  /** Absolute URL of the shipped artifact folder, ending in '/'. */
  artifactsUrl: string;
  /** Awaited only when the corpus must be embedded here. */
  embedder: () => Promise<Embedder>;
  onStep: (step: LoadStep) => void;
  onIndexing: (status: IndexingStatus) => void;
  onFileFetched: () => void;
  /** A format-3 set's files cannot be kept (quota, private mode): search goes on from the network. */
  onStorageProblem: (problem: PapersiftError) => void;
  /** The end of a part of opening (bench/browser.ts and bench/repeat-visit.ts read them from loadPhases). */
  onPhase?: (name: string) => void;
  /**
   * A format-2 set is being downloaded whole (a first visit, or a new deploy): the model, which waits for a stored
   * index to open first, should load beside the download instead.
   */
  onDownload?: () => void;
  /** Texts of the searches waiting for the index (a format-3 set reads their keyword files while it opens). */
  waitingQueries?: () => Iterable<string>;
}

export async function loadArtifacts(ctx: LoaderContext): Promise<LoadedArtifacts | LoadedFormat3> {
  ctx.onStep({ message: 'Checking the search index…', done: false });
  const shippedManifest = await fetchFile(ctx, FILES.manifest);
  ctx.onPhase?.('manifestFetched');
  // Format 3 keeps its own files (the chunk store): nothing here is stored whole nor rebuilt.
  if (shippedManifest && isFormat3Manifest(shippedManifest)) {
    const format3 = await openFormat3Site(shippedManifest, ctx);
    return { format3, source: format3.source };
  }
  // Offline, the stored set is the best there is; online, it must come from what the server ships now.
  const shippedOrigin = shippedManifest ? await sha256Hex(shippedManifest) : undefined;
  const notices: string[] = [];

  const storedOrigin = await ctx.store.origin();
  if (storedOrigin !== undefined) {
    if (shippedOrigin === undefined || storedOrigin === shippedOrigin) {
      try {
        ctx.onStep({ message: 'Reading the stored search index…', done: false });
        const artifacts = await decodeArtifacts((name) => ctx.store.read(name), ctx.expected);
        ctx.onPhase?.('storedIndexRead');
        return { artifacts, source: 'indexeddb', kept: true };
      } catch (e) {
        if (!isPapersiftError(e)) throw e;
        notices.push(`The stored index could not be used (${describeError(e)}), so it was replaced.`);
      }
    } else {
      notices.push('The site ships a newer index; it replaced the stored one.');
    }
  }

  let rebuildReason = 'the site ships no search index';
  if (shippedManifest && shippedOrigin) {
    try {
      ctx.onDownload?.();
      const files = await fetchAll(ctx, shippedManifest);
      const artifacts = await decodeArtifacts(async (name) => files.get(name), ctx.expected);
      const kept = await keep(ctx, files, shippedOrigin, notices);
      return { artifacts, source: 'network', kept, notice: joined(notices) };
    } catch (e) {
      if (!isPapersiftError(e)) throw e;
      rebuildReason = describeError(e);
    }
  }

  notices.push(`The search index was rebuilt in this browser because ${lowerFirst(rebuildReason)}.`);
  const corpus = await corpusForRebuild(ctx, shippedManifest);
  const built = await rebuild(ctx, corpus.papers, corpus.corpusHash);
  const kept = await keep(ctx, built.files, shippedOrigin ?? 'seeds', notices);
  return { artifacts: built.artifacts, source: 'built', kept, notice: joined(notices) };
}

/** Fetches every file the manifest lists at once (sequential round trips would add up on a first visit). */
async function fetchAll(ctx: LoaderContext, manifestBytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const manifest = parseManifest(manifestBytes);
  const names = Object.keys(manifest.files);
  const total = Object.values(manifest.files).reduce((sum, file) => sum + file.bytes, 0);
  let loaded = 0;
  const report = () => ctx.onStep({ message: 'Downloading the search index…', done: false, loaded, total });
  report();
  const files = new Map<string, Uint8Array>([[FILES.manifest, manifestBytes]]);
  await Promise.all(
    names.map(async (name) => {
      const bytes = await fetchFile(ctx, name);
      if (!bytes) return; // decodeArtifacts names the missing file
      files.set(name, bytes);
      loaded += bytes.byteLength;
      report();
    }),
  );
  return files;
}

async function fetchFile(ctx: LoaderContext, name: string): Promise<Uint8Array | undefined> {
  let response: Response;
  try {
    // 'no-cache' revalidates: a redeploy must never mix old and new files of a set.
    response = await fetch(ctx.artifactsUrl + name, { cache: 'no-cache' });
  } catch {
    return undefined; // offline
  }
  // Dev servers answer unknown paths with index.html; that is not an artifact.
  if (!response.ok || (response.headers.get('content-type') ?? '').includes('text/html')) return undefined;
  ctx.onFileFetched();
  return new Uint8Array(await response.arrayBuffer());
}

/** Stores a set for the next visit; a full disk costs the next visit a download, not this one its search. */
async function keep(ctx: LoaderContext, files: Map<string, Uint8Array>, origin: string, notices: string[]): Promise<boolean> {
  try {
    await ctx.store.save(files, origin);
    return true;
  } catch (e) {
    notices.push(
      isQuotaError(e)
        ? 'The index could not be kept for the next visit: the browser has no room to store it (the disk may be nearly full), so the next visit downloads it again.'
        : `The index could not be kept for the next visit (${describeError(e)}).`,
    );
    return false;
  }
}

/**
 * The shipped papers when they are intact (only model or dtype differ), else the seed listings, but only
 * on a site that ships the seed corpus: a site built from another corpus (PAPERSIFT_ARTIFACTS) cannot
 * rebuild it from anything else, and says so.
 */
async function corpusForRebuild(ctx: LoaderContext, manifestBytes: Uint8Array | undefined): Promise<{ papers: Paper[]; corpusHash: string }> {
  let manifest: Manifest | undefined;
  try {
    manifest = manifestBytes ? parseManifest(manifestBytes) : undefined;
  } catch {
    manifest = undefined;
  }
  const listed = manifest?.files[FILES.papers];
  if (manifest && listed) {
    const bytes = await fetchFile(ctx, FILES.papers);
    if (bytes && bytes.byteLength === listed.bytes && (await sha256Hex(bytes)) === listed.sha256) {
      return { papers: JSON.parse(new TextDecoder().decode(bytes)) as Paper[], corpusHash: manifest.corpusHash };
    }
  }
  if (import.meta.env.PAPERSIFT_CUSTOM_CORPUS === true) {
    throw new PapersiftError(
      'artifacts-missing',
      "This site's search index is missing or damaged, and its papers cannot be rebuilt in the browser: build the index again (npm run build-index) and redeploy",
    );
  }
  ctx.onStep({ message: 'Reading the paper listings…', done: false });
  // The listings' parser is needed only for this rebuild: a lazy chunk, so the worker starts without it.
  return (await import('./seed-corpus')).loadSeedCorpus();
}

async function rebuild(ctx: LoaderContext, papers: Paper[], corpusHash: string) {
  const embedder = await ctx.embedder();
  const startedAt = performance.now();
  let stageStart = startedAt;
  let stage: 'embed' | 'index' = 'embed';
  return buildArtifacts(papers, embedder, {
    corpusHash,
    createdBy: `papersift site (${navigator.userAgent})`,
    onProgress: (p) => {
      if (p.stage !== stage) {
        stage = p.stage;
        stageStart = performance.now();
      }
      const seconds = (performance.now() - stageStart) / 1000;
      const rate = seconds > 0 ? p.done / seconds : 0;
      const what = p.stage === 'embed' ? `Embedding papers: ${p.done} of ${p.total}` : `Building graphs: ${p.done} of ${p.total}`;
      ctx.onIndexing({
        phase: 'indexing',
        stage: p.stage,
        message: what,
        done: p.done,
        total: p.total,
        rate,
        etaSeconds: rate > 0 ? (p.total - p.done) / rate : Number.POSITIVE_INFINITY,
      });
    },
  });
}

function joined(notices: string[]): string | undefined {
  return notices.length > 0 ? notices.join(' ') : undefined;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
