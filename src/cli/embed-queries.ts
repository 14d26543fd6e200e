import type { Embedder } from '../core/embed/types';
import type { JudgedQuery } from '../core/eval/queries';

/** The raw model embedding of every text query, by query id ("similar" queries need none). */
export async function embedQueries(embedder: Embedder, queries: readonly JudgedQuery[]): Promise<Map<string, Float32Array>> {
  const vectors = new Map<string, Float32Array>();
  for (const q of queries) if (q.kind !== 'similar') vectors.set(q.id, await embedder.embedQuery(q.text));
  return vectors;
}
