/**
 * The seed listings, bundled as lazy chunks: fetched only when no shipped index can be used, so the
 * worker can still rebuild the corpus from the same source `build-index` reads.
 */
import { buildCorpus, corpusHash } from '../src/core/corpus';
import type { Paper } from '../src/core/types';

const SEED_FILES = import.meta.glob<string>('/seeds/*.txt', { query: '?raw', import: 'default' });

export async function loadSeedCorpus(): Promise<{ papers: Paper[]; corpusHash: string }> {
  const files = await Promise.all(
    Object.entries(SEED_FILES).map(async ([path, load]) => ({ name: path.replace(/^\//, ''), text: await load() })),
  );
  const { papers } = buildCorpus(files);
  return { papers, corpusHash: corpusHash(papers) };
}
