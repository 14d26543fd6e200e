/**
 * The user's own papers beside a format-3 set. The set is static files (a graph over a quantised prefix,
 * row shards, postings buckets) that the browser cannot extend, and the user's papers are few (tens to a
 * few thousand): they are held here in memory, searched exactly, and merged into every answer of the set.
 *
 * `readers()` gives Format3Engine readers over both: rows 0..count-1 are the set's, the user's follow (a
 * removed paper's row is never reused, never returned). Each side ranks on the same scale, so the lists
 * merge by score before fusion: the vector side by full-dim cosine (the set's re-rank is also full-dim),
 * the keyword side by BM25 with the set's document frequencies and lengths (ChunkedLexicalIndex.scoreOutside).
 *
 * It is also what the collection host imports into, removes from and exports (CollectionEngine), as it
 * does a format-2 SearchEngine; the collection itself is kept in IndexedDB by the host, never in the set.
 */
import { normaliseTitle } from '../corpus/ids';
import { PapersiftError } from '../errors';
import { paperMatcher, type PaperFilter } from '../filter';
import type { CollectionEngine } from '../import/import-papers';
import { outsideDocument, type ChunkedLexicalIndex, type ChunkedSearchResult, type OutsideDocument } from '../lexical/chunked';
import type { AddPapersResult, DuplicatePaper, RemovePapersResult } from '../search';
import type { Paper } from '../types';
import { dot, normaliseInPlace, prefixVector } from '../vectors';
import type { Format3Readers, LexicalSide, PapersSide, VectorReader } from './engine';
import type { Format3Manifest } from './manifest';
import type { PapersReader } from './papers';

/** The set's own readers, as format3/open.ts opens them. */
export interface SetReaders {
  papers: PapersReader;
  lexical: ChunkedLexicalIndex;
  vectors: VectorReader;
}

/** How many of the set's keyword hits for a paper's title are checked for the same title (a duplicate import). */
const TITLE_CHECK_HITS = 3;

export class YourPapers implements CollectionEngine {
  readonly manifest: Pick<Format3Manifest, 'model' | 'corpusHash'>;
  readonly dims: number;
  /** The set's rows; the user's papers are rows from here on. */
  readonly setCount: number;
  private readonly held: Paper[] = [];
  private readonly raw: Float32Array[] = [];
  private readonly rotated: Float32Array[] = [];
  private readonly documents: OutsideDocument[] = [];
  private readonly dead = new Set<number>();
  private readonly byId = new Map<string, number>();
  private readonly byTitle = new Map<string, number>();
  /** Live papers of the user's containing each term (either field): their share of the document frequencies. */
  private readonly frequencies = new Map<string, number>();
  private revision = 0;

  constructor(
    private readonly set: SetReaders,
    manifest: Pick<Format3Manifest, 'model' | 'corpusHash'>,
  ) {
    this.manifest = manifest;
    this.dims = set.vectors.dims;
    this.setCount = set.vectors.count;
  }

  /** Rows of the set and of the user's papers, removed ones included (their rows stay allocated). */
  get count(): number {
    return this.setCount + this.held.length;
  }

  /** The user's papers still held, in the order they were added. */
  importedPapers(): Paper[] {
    return this.held.filter((_, i) => !this.dead.has(i));
  }

  importedEmbedding(id: string): Float32Array {
    const at = this.byId.get(id);
    if (at === undefined) throw new PapersiftError('unknown-paper', `"${id.slice(0, 120)}" is not an imported paper`, { input: id });
    return this.raw[at];
  }

  /** An imported paper's vector in the set's rotated space (unit length): what the map places it by. */
  rotatedOf(id: string): Float32Array {
    this.importedEmbedding(id);
    return this.rotated[this.byId.get(id) as number];
  }

  /** The paper already held under this one's id or normalised title: among the user's, then in the set (its id lookup, and a keyword search for the title). */
  async existingPaper(paper: Pick<Paper, 'id' | 'title'>): Promise<Paper | undefined> {
    const own = this.byId.get(paper.id) ?? this.byTitle.get(normaliseTitle(paper.title));
    if (own !== undefined) return this.held[own];
    const { papers, lexical } = this.set;
    const row = await papers.rowOf(paper.id);
    if (row !== undefined) return papers.paper(row);
    const title = normaliseTitle(paper.title);
    if (!title) return undefined;
    const { hits } = await lexical.search(paper.title, TITLE_CHECK_HITS);
    const candidates = await papers.papers(hits.map((h) => h.row));
    return candidates.find((c) => normaliseTitle(c.title) === title);
  }

  /**
   * Adds papers with their raw model embeddings. Duplicates among the user's papers (and within the batch)
   * are reported, not added; the set's own are found by existingPaper, which imports ask first.
   */
  addPapers(papers: Paper[], rawEmbeddings: Float32Array): AddPapersResult {
    const dims = this.dims;
    if (rawEmbeddings.length !== papers.length * dims) {
      throw new PapersiftError('invalid-option', `Got ${rawEmbeddings.length / dims} ${dims}-d embeddings for ${papers.length} papers`, {
        papers: papers.length,
        values: rawEmbeddings.length,
      });
    }
    const added: Paper[] = [];
    const duplicates: DuplicatePaper[] = [];
    const fresh = papers.map((paper, i) => {
      const raw = rawEmbeddings.slice(i * dims, (i + 1) * dims);
      const rotated = this.set.vectors.rotate(raw);
      normaliseInPlace(rotated);
      // Checked before anything changes, as SearchEngine does: a refused row leaves the papers as they were.
      if (!rotated.every(Number.isFinite)) throw new PapersiftError('invalid-option', `The embedding of "${paper.title.slice(0, 120)}" is not a finite unit vector`);
      return { paper, raw, rotated };
    });
    for (const { paper, raw, rotated } of fresh) {
      const existing = this.byId.get(paper.id) ?? this.byTitle.get(normaliseTitle(paper.title));
      if (existing !== undefined) {
        duplicates.push({ paper, existing: this.held[existing] });
        continue;
      }
      const at = this.held.length;
      this.held.push(paper);
      this.raw.push(raw);
      this.rotated.push(rotated);
      const document = outsideDocument(paper);
      this.documents.push(document);
      this.countTerms(document, 1);
      this.byId.set(paper.id, at);
      this.byTitle.set(normaliseTitle(paper.title), at);
      added.push(paper);
    }
    if (added.length > 0) this.revision++;
    return { added, duplicates };
  }

  removePapers(ids: string[]): RemovePapersResult {
    const removed: string[] = [];
    const refused: RemovePapersResult['refused'] = [];
    for (const id of ids) {
      const at = this.byId.get(id);
      if (at === undefined) {
        refused.push({ id, reason: 'no such paper (or already removed), or part of the stored corpus' });
        continue;
      }
      this.byId.delete(id);
      this.byTitle.delete(normaliseTitle(this.held[at].title));
      this.dead.add(at);
      this.countTerms(this.documents[at], -1);
      removed.push(id);
    }
    if (removed.length > 0) this.revision++;
    return { removed, refused };
  }

  private countTerms(document: OutsideDocument, by: 1 | -1): void {
    for (const term of new Set([...document.fields[0].keys(), ...document.fields[1].keys()])) {
      const next = (this.frequencies.get(term) ?? 0) + by;
      if (next > 0) this.frequencies.set(term, next);
      else this.frequencies.delete(term);
    }
  }

  /** Readers for Format3Engine over the set and the user's papers. */
  readers(modelId: string): Format3Readers {
    return { modelId, papers: this.papersSide(), lexical: this.lexicalSide(), vectors: this.vectorSide() };
  }

  /** The user's papers' keyword documents a search may return (undefined: removed, filtered out or excluded). */
  private documentsKept(keep?: (row: number) => boolean, exclude?: Set<number> | number): (OutsideDocument | undefined)[] {
    const n = this.setCount;
    return this.documents.map((document, i) => {
      const row = n + i;
      const out = this.dead.has(i) || (keep && !keep(row)) || (typeof exclude === 'number' ? exclude === row : exclude?.has(row));
      return out ? undefined : document;
    });
  }

  private get live(): number {
    return this.held.length - this.dead.size;
  }

  private papersSide(): PapersSide {
    const { papers } = this.set;
    const n = this.setCount;
    const self = this;
    return {
      get count() {
        return self.count;
      },
      get revision() {
        return self.revision;
      },
      facets: () => papers.facets(undefined, this.importedPapers()),
      paper: async (row) => (row < n ? papers.paper(row) : this.heldAt(row)),
      papers: async (rows) => {
        const inSet = rows.filter((row) => row < n);
        const found = inSet.length > 0 ? await papers.papers(inSet) : [];
        let next = 0;
        return rows.map((row) => (row < n ? found[next++] : this.heldAt(row)));
      },
      rowOf: async (id) => {
        const at = this.byId.get(id);
        return at === undefined ? papers.rowOf(id) : n + at;
      },
      // The user's papers are held whole: only the set's rows can wait for a read.
      holdTitles: (stop, budget, lanes) => papers.holdTitles(stop, budget, lanes),
      get titlesHeld() {
        return papers.titlesHeld;
      },
      holdsText: (rows) => papers.holdsText(rows.filter((row) => row < n)),
      preview: (row) => {
        if (row < n) return papers.preview(row);
        const paper = this.heldAt(row);
        const year = Number(paper.published?.slice(0, 4));
        return { title: paper.title, ...(year ? { year } : {}), categories: paper.categories ?? [] };
      },
      matcher: (filter: PaperFilter) => {
        const inSet = papers.matcher(filter);
        const own = paperMatcher(filter);
        return (row) => (row < n ? inSet(row) : !this.dead.has(row - n) && own(this.held[row - n]));
      },
    };
  }

  private heldAt(row: number): Paper {
    const paper = this.held[row - this.setCount];
    if (!paper) throw new PapersiftError('invalid-option', `No row ${row} in a set of ${this.count}`);
    return paper;
  }

  private lexicalSide(): LexicalSide {
    const { lexical } = this.set;
    const n = this.setCount;
    const merged = (inSet: ChunkedSearchResult, own: ChunkedSearchResult, k: number): ChunkedSearchResult => ({
      hits: [...inSet.hits, ...own.hits.map((hit) => ({ ...hit, row: n + hit.row }))].sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k),
      matches: { all: inSet.matches.all + own.matches.all, any: inSet.matches.any + own.matches.any },
    });
    const self = this;
    return {
      get documentCount() {
        return self.count;
      },
      documentFrequency: async (term) => (await lexical.documentFrequency(term)) + (this.frequencies.get(term) ?? 0),
      queryTermWeights: (query) => lexical.queryTermWeights(query),
      suggestCorrections: (query, text) => lexical.suggestCorrections(query, text),
      search: async (query, k, exclude, keep) => {
        const inSet = lexical.search(query, k, exclude, keep);
        if (this.live === 0) return inSet;
        return merged(await inSet, await lexical.scoreOutside(query, this.documentsKept(keep, exclude), k), k);
      },
      similar: async (paper, k, source, keep) => {
        const inSet = lexical.similar(paper, k, source, keep);
        if (this.live === 0) return inSet;
        return merged({ hits: await inSet, matches: { all: 0, any: 0 } }, await lexical.scoreOutside(paper, this.documentsKept(keep, source), k), k).hits;
      },
    };
  }

  private vectorSide(): VectorReader {
    const { vectors } = this.set;
    const n = this.setCount;
    const self = this;
    return {
      get count() {
        return self.count;
      },
      dims: vectors.dims,
      prefixDims: vectors.prefixDims,
      rotate: (embedding) => vectors.rotate(embedding),
      search: async (query, k, options = {}) => {
        const inSet = vectors.search(query, k, options);
        if (this.live === 0) return inSet;
        // Exact over the user's papers: a few thousand dot products at most; at the dims asked, as the set ranks.
        const own: { row: number; score: number }[] = [];
        const d = options.dims ?? vectors.dims;
        const q = d < vectors.dims ? prefixVector(query, d) : query;
        this.rotated.forEach((vector, i) => {
          const row = n + i;
          if (this.dead.has(i) || (options.keep && !options.keep(row))) return;
          own.push({ row, score: d < vectors.dims ? dot(q, prefixVector(vector, d)) : dot(query, vector) });
        });
        return [...(await inSet), ...own].sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
      },
      vector: async (row) => (row < n ? vectors.vector(row) : this.rotated[row - n].slice()),
    };
  }
}
