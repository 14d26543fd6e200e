/**
 * The user's own papers inside the worker: restoring them into a freshly opened engine, importing and
 * removing them (each change saved before it is answered), exporting and importing collection files,
 * and the map. The engine is a format-2 SearchEngine or, beside a format-3 set, the user's papers kept
 * in memory (src/core/format3/your-papers.ts); either way the collection is the same file in IndexedDB.
 *
 * The stored collection is the truth shared by all tabs. Every change runs under the collection lock:
 * first the engine catches up with the store (another tab may have imported or removed papers), then
 * the change is applied and the whole collection saved, then the other tabs are told.
 */
import type { EmbedProgress, Embedder } from '../src/core/embed/types';
import { describeError, isPapersiftError, PapersiftError } from '../src/core/errors';
// Not from '../src/core/import': that index also exports the file parsers, which load only when a file is imported.
import { exportCollection, readCollection } from '../src/core/import/collection-file';
import { importPapers as addImported, type CollectionEngine } from '../src/core/import/import-papers';
import type { ImportedPaper } from '../src/core/import/imported-paper';
import type { MapSource } from '../src/core/map/map-source';
import type { ModelSpec, Dtype } from '../src/core/models';
import { SearchEngine } from '../src/core/search';
import type { Paper } from '../src/core/types';
import type { ImportCollectionParams, ImportParams, ImportReply, JobProgress, MapReply, RemoveReply } from '../src/protocol';
import { collectionChannel, CollectionStore, withCollectionLock } from '../src/store/collection-store';

export type ProgressSink = (progress: JobProgress) => void;

/** What a collection change needs: the engine it changes and the model its papers are embedded with. */
export interface CollectionTarget<Engine extends CollectionEngine = CollectionEngine> {
  engine: Engine;
  expected: { model: ModelSpec; dtype: Dtype };
}

/** Prefix of the rotated vectors the map's neighbour search reads (see docs/BENCHMARKS.md, the map). */
const MAP_PREFIX_DIMS = 64;
/** More new papers than this share of the map and it is laid out again rather than extended. */
const MAP_EXTEND_SHARE = 0.2;

export class CollectionHost {
  private readonly store = new CollectionStore();
  private readonly channel: ReturnType<typeof collectionChannel>;
  private map?: { key: string; ids: string[]; points: Float32Array };
  private mapping?: Promise<MapReply>;

  /** `target` is the engine now (undefined while none is open); another tab's change is applied to it. */
  constructor(private readonly target: () => CollectionTarget | undefined) {
    this.channel = collectionChannel(() => {
      const now = this.target();
      if (now) void withCollectionLock(() => this.pull(now)).catch(() => {});
    });
  }

  /**
   * Puts the stored papers into a freshly opened engine. Embeddings are reused when they come from the
   * engine's model and dtype; otherwise `embedder` embeds the papers again and the collection is saved
   * for the new model. Unreadable stored bytes are set aside (not deleted) and named in the notice.
   */
  async restore(target: CollectionTarget, embedder: () => Promise<Embedder>, onProgress: ProgressSink): Promise<string | undefined> {
    return withCollectionLock(async () => {
      const bytes = await this.store.read().catch(() => undefined);
      if (!bytes) return undefined;
      try {
        const stale = await this.pull(target, bytes);
        if (stale.length === 0) return undefined;
        const result = await addImported(target.engine, await embedder(), stale, progressOf('Embedding your papers for this model', onProgress));
        await this.store.write(exportCollection(target.engine));
        return `Your ${result.added.length} papers were embedded again for ${target.expected.model.id} (${target.expected.dtype}).`;
      } catch (e) {
        if (!isPapersiftError(e) || (e.code !== 'artifacts-format' && e.code !== 'index')) throw e;
        const key = await this.store.setAside(bytes);
        return `Your stored papers could not be read (${describeError(e)}); the bytes were kept aside in this browser as "${key}".`;
      }
    });
  }

  async importText(target: CollectionTarget, embedder: Embedder, params: ImportParams, onProgress: ProgressSink): Promise<ImportReply> {
    const started = performance.now();
    // The parsers (BibTeX, LaTeX to Unicode tables, RIS…) are a lazy chunk: the worker starts without parsing them.
    const { parseImportFile } = await import('../src/core/import/parse-import-file');
    const parsed = parseImportFile(params.bytes ?? params.text ?? '', params.fileName, params.format);
    const errors = parsed.problems.filter((p) => p.severity === 'error');
    if (parsed.format === null || (parsed.papers.length === 0 && errors.length > 0 && errors.every((p) => p.line <= 1))) {
      // Nothing readable at all (binary bytes, JSON that does not parse): an error, not an empty success.
      throw new PapersiftError('parse', `${params.fileName}: ${errors.map((p) => p.reason).join('; ')}`, { problems: parsed.problems });
    }
    const format = parsed.format;
    const reply = await this.change(target, async () => {
      const result = await addImported(target.engine, embedder, parsed.papers, progressOf('Embedding your papers', onProgress));
      return { added: result.added, duplicates: describeDuplicates(result.duplicates), embedded: result.added.length };
    });
    return { format, ...reply, problems: parsed.problems, ms: performance.now() - started };
  }

  async importFile(target: CollectionTarget, embedder: Embedder | undefined, params: ImportCollectionParams, onProgress: ProgressSink): Promise<ImportReply> {
    const started = performance.now();
    let collection;
    try {
      collection = readCollection(params.bytes, target.expected);
    } catch (e) {
      if (!params.reembed || !isPapersiftError(e, 'artifacts-stale')) throw e;
      collection = readCollection(params.bytes, target.expected, { papersOnly: true });
    }
    const { papers, embeddings } = collection;
    const reply = await this.change(target, async () => {
      if (embeddings) {
        // The engine's own check covers what it holds in memory; a format-3 set's papers are looked up here.
        const held = await Promise.all(papers.map((p) => target.engine.existingPaper(p)));
        const fresh = papers.flatMap((_, i) => (held[i] ? [] : [i]));
        const dims = target.engine.dims;
        const rows = new Float32Array(fresh.length * dims);
        fresh.forEach((i, j) => rows.set(embeddings.subarray(i * dims, (i + 1) * dims), j * dims));
        const result = target.engine.addPapers(
          fresh.map((i) => papers[i]),
          rows,
        );
        const known = papers.flatMap((paper, i) => (held[i] ? [{ paper, existing: held[i] }] : []));
        return { added: result.added, duplicates: describeDuplicates([...known, ...result.duplicates]), embedded: 0 };
      }
      if (!embedder) throw new PapersiftError('model-load', 'The model is still loading; try again when it is ready');
      const result = await addImported(target.engine, embedder, papers, progressOf('Embedding the collection again', onProgress));
      return { added: result.added, duplicates: describeDuplicates(result.duplicates), embedded: result.added.length };
    });
    return { format: 'collection', ...reply, problems: [], ms: performance.now() - started };
  }

  remove(target: CollectionTarget, ids: string[]): Promise<RemoveReply> {
    return this.change(target, async () => target.engine.removePapers(ids));
  }

  exportFile(target: CollectionTarget): { bytes: Uint8Array; count: number } {
    return { bytes: exportCollection(target.engine), count: target.engine.importedPapers().length };
  }

  /**
   * The map: every live paper of a format-2 engine, or what `source` gives (a format-3 set's sample).
   * Laid out once per model and corpus (UMAP, with progress) and kept in IndexedDB; papers imported since
   * are placed beside their neighbours, removed ones dropped, so the map a user has learnt stays put. One
   * layout runs at a time; callers share it.
   */
  mapOf(target: CollectionTarget, onProgress: ProgressSink, source?: () => Promise<MapSource>): Promise<MapReply> {
    const points = source ?? (async () => format2MapSource(target));
    this.mapping ??= points()
      .then((from) => this.layout(from, onProgress))
      .finally(() => (this.mapping = undefined));
    return this.mapping;
  }

  private async layout(source: MapSource, onProgress: ProgressSink): Promise<MapReply> {
    const started = performance.now();
    const { key, ids, dims, vectorsOf } = source;
    const all = ids.map((_, i) => i);
    const kept = this.map?.key === key ? this.map : await this.store.readMap().catch(() => undefined);
    let points: Float32Array | undefined;
    let reused = false;
    if (kept?.key === key) {
      const keptRow = new Map(kept.ids.map((id, i) => [id, i]));
      const fresh = ids.filter((id) => !keptRow.has(id));
      if (fresh.length <= MAP_EXTEND_SHARE * ids.length) {
        const mappedRows = all.filter((i) => keptRow.has(ids[i]));
        const mappedCoords = new Float32Array(mappedRows.length * 2);
        mappedRows.forEach((r, i) => {
          const at = keptRow.get(ids[r])! * 2;
          mappedCoords.set(kept.points.subarray(at, at + 2), i * 2);
        });
        const { placeNewPoints } = await import('../src/core/map/place-points');
        const placed = placeNewPoints({ vectors: vectorsOf(mappedRows), coords: mappedCoords }, vectorsOf(all.filter((i) => !keptRow.has(ids[i]))), dims);
        points = new Float32Array(ids.length * 2);
        let next = 0;
        ids.forEach((id, i) => {
          const at = keptRow.get(id);
          points!.set(at === undefined ? placed.subarray(next * 2, ++next * 2) : kept.points.subarray(at * 2, at * 2 + 2), i * 2);
        });
        reused = true;
      }
    }
    if (!points) {
      const layoutStarted = performance.now();
      onProgress({ message: `Finding neighbours among ${ids.length} papers`, done: 0, total: 1 });
      // UMAP and its matrix code load with the first map: a lazy chunk, like the parsers.
      const { projectMap } = await import('../src/core/map/project-map');
      points = await projectMap(vectorsOf(all), dims, {
        seed: 1,
        prefixDims: Math.min(MAP_PREFIX_DIMS, dims),
        onProgress: (epoch, epochs) => {
          const rate = epoch / ((performance.now() - layoutStarted) / 1000);
          onProgress({ message: `Laying out the map: epoch ${epoch} of ${epochs}`, done: epoch, total: epochs, rate, etaSeconds: (epochs - epoch) / rate });
        },
      });
    }
    this.map = { key, ids, points };
    if (!reused || ids.length !== kept?.ids.length) await this.store.writeMap({ key, ids, points });
    return {
      ids,
      titles: source.titles,
      imported: source.imported,
      points: points.slice(),
      reused,
      ms: performance.now() - started,
      ...(source.sampled ? { sampled: source.sampled } : {}),
    };
  }

  /** One change to the collection: catch up with other tabs, apply, save, tell them. */
  private async change<T>(target: CollectionTarget, apply: () => Promise<T>): Promise<T> {
    const result = await withCollectionLock(async () => {
      await this.pull(target);
      const value = await apply();
      await this.store.write(exportCollection(target.engine));
      return value;
    });
    this.channel.announce();
    return result;
  }

  /**
   * Makes the engine hold exactly the stored papers: adds those it lacks (with their stored embeddings)
   * and removes those the store no longer has. Returns stored papers whose embeddings come from another
   * model or dtype (not added: the caller embeds them).
   */
  private async pull(target: CollectionTarget, stored?: Uint8Array): Promise<ImportedPaper[]> {
    const bytes = stored ?? (await this.store.read());
    const { engine, expected } = target;
    const held = new Set(engine.importedPapers().map((p) => p.id));
    if (!bytes) {
      if (held.size > 0) engine.removePapers([...held]);
      return [];
    }
    let collection;
    try {
      collection = readCollection(bytes, expected);
    } catch (e) {
      if (!isPapersiftError(e, 'artifacts-stale')) throw e;
      const { papers } = readCollection(bytes, expected, { papersOnly: true });
      return papers.filter((p) => !held.has(p.id));
    }
    const { papers, embeddings } = collection;
    const storedIds = new Set(papers.map((p) => p.id));
    const gone = [...held].filter((id) => !storedIds.has(id));
    if (gone.length > 0) engine.removePapers(gone);
    const missing = papers.flatMap((p, i) => (held.has(p.id) ? [] : [i]));
    if (missing.length > 0) {
      const dims = engine.dims;
      const rows = new Float32Array(missing.length * dims);
      missing.forEach((i, j) => rows.set(embeddings!.subarray(i * dims, (i + 1) * dims), j * dims));
      engine.addPapers(
        missing.map((i) => papers[i]),
        rows,
      );
    }
    return [];
  }
}

/** Every live paper of a format-2 engine, as the map lays them out. */
function format2MapSource({ engine, expected }: CollectionTarget): MapSource {
  if (!(engine instanceof SearchEngine)) throw new PapersiftError('invalid-option', 'A format-3 set draws its map from a sample (format3/map-sample.ts)');
  const dims = engine.dims;
  const rows = engine.papers.flatMap((_, r) => (engine.isLive(r) ? [r] : []));
  return {
    key: `${expected.model.id}/${expected.dtype}/${engine.manifest.corpusHash}`,
    ids: rows.map((r) => engine.papers[r].id),
    titles: rows.map((r) => engine.papers[r].title),
    imported: rows.map((r) => engine.papers[r].imported === true),
    dims,
    vectorsOf: (points) => {
      const out = new Float32Array(points.length * dims);
      points.forEach((p, i) => out.set(engine.vectors.subarray(rows[p] * dims, (rows[p] + 1) * dims), i * dims));
      return out;
    },
  };
}

/** Duplicates as the page shows them. */
function describeDuplicates(duplicates: { paper: Paper; existing: Paper }[]): ImportReply['duplicates'] {
  return duplicates.map(({ paper, existing }) => ({ title: paper.title, existingTitle: existing.title, existingImported: existing.imported === true }));
}

function progressOf(message: string, sink: ProgressSink): (p: EmbedProgress) => void {
  const started = performance.now();
  return ({ done, total }) => {
    const rate = done / Math.max((performance.now() - started) / 1000, 1e-3);
    sink({ message: `${message}: ${done} of ${total}`, done, total, rate, etaSeconds: rate > 0 ? (total - done) / rate : Number.POSITIVE_INFINITY });
  };
}
