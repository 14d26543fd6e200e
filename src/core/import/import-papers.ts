/**
 * Imported papers → the engine: embeds only the papers it does not hold yet (in the corpus's form,
 * paperText, so an imported paper sits where it would had it been in the corpus), then adds them.
 */
import type { EmbedProgress, Embedder } from '../embed/types';
import { PapersiftError } from '../errors';
import { paperText } from '../models';
import type { Manifest } from '../artifacts';
import type { AddPapersResult, DuplicatePaper, RemovePapersResult } from '../search';
import type { Paper } from '../types';
import type { ImportedPaper } from './imported-paper';

export interface ImportPapersResult {
  added: Paper[];
  /** Papers the engine (or an earlier one in the same list) already holds; not embedded, not added. */
  duplicates: DuplicatePaper[];
  /** Papers that were not added for another reason, by id. */
  problems: { id: string; reason: string }[];
}

/**
 * What imports change and collection files are made from: a format-2 SearchEngine, or the user's papers
 * beside a format-3 set (format3/your-papers.ts).
 */
export interface CollectionEngine {
  readonly manifest: { model: Manifest['model']; corpusHash: string };
  readonly dims: number;
  /** The paper already held under this one's id or normalised title (a format-3 set looks it up in files). */
  existingPaper(paper: Pick<Paper, 'id' | 'title'>): Paper | undefined | Promise<Paper | undefined>;
  /** Adds papers with their raw model embeddings; ones already held are reported as duplicates. */
  addPapers(papers: Paper[], rawEmbeddings: Float32Array): AddPapersResult;
  removePapers(ids: string[]): RemovePapersResult;
  /** The user's papers still held, in the order they were added. */
  importedPapers(): Paper[];
  /** The raw embedding an imported paper was added with. */
  importedEmbedding(id: string): Float32Array;
}

export async function importPapers(
  engine: CollectionEngine,
  embedder: Embedder,
  papers: ImportedPaper[],
  onProgress?: (p: EmbedProgress) => void,
): Promise<ImportPapersResult> {
  if (embedder.model.id !== engine.manifest.model.id || embedder.dtype !== engine.manifest.model.dtype) {
    throw new PapersiftError(
      'invalid-option',
      `Papers must be embedded with the engine's model (${engine.manifest.model.id} ${engine.manifest.model.dtype}), not ${embedder.model.id} ${embedder.dtype}`,
    );
  }
  const duplicates: DuplicatePaper[] = [];
  const problems: ImportPapersResult['problems'] = [];
  const seen = new Map<string, Paper>();
  const fresh: ImportedPaper[] = [];
  // Asked all at once: beside a format-3 set each answer may fetch files, and they overlap.
  const held = await Promise.all(papers.map((paper) => (paper.imported ? engine.existingPaper(paper) : undefined)));
  for (const [i, paper] of papers.entries()) {
    if (!paper.imported) {
      problems.push({ id: paper.id, reason: 'not marked as imported' });
      continue;
    }
    const existing = held[i] ?? seen.get(paper.id);
    if (existing) {
      duplicates.push({ paper, existing });
      continue;
    }
    seen.set(paper.id, paper);
    fresh.push(paper);
  }
  if (fresh.length === 0) return { added: [], duplicates, problems };
  const embeddings = await embedder.embedDocuments(fresh.map(paperText), { onProgress });
  const result = engine.addPapers(fresh, embeddings);
  return { added: result.added, duplicates: [...duplicates, ...result.duplicates], problems };
}
