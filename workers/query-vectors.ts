/**
 * The worker's recent query vectors: Back, Forward, a mode or dims switch, and a search after typing paused re-use a
 * vector instead of embedding the text again.
 *
 * Vectors made ahead while the visitor types (workers/query-prefetch.ts) wait in a few slots of their own until a
 * search uses one, which then joins the searched ones: the words of every pause in typing, most never searched, must
 * not push out the vectors of queries that were.
 */

/** A kept query vector and what made it: a search, or a prefetch while the visitor typed. */
export interface KeptVector {
  vector: Float32Array;
  from: 'search' | 'prefetch';
}

export class QueryVectors {
  /** Searched (or prefetched, then searched), least recently used first: a Map keeps insertion order. */
  private readonly searched = new Map<string, KeptVector>();
  /** Prefetched and not searched yet, oldest first. */
  private readonly ahead = new Map<string, Float32Array>();

  constructor(
    private readonly capacity = 64,
    private readonly aheadCapacity = 4,
  ) {}

  has(key: string): boolean {
    return this.searched.has(key) || this.ahead.has(key);
  }

  /** A search's look-up: a prefetched vector found here moves among the searched ones. */
  get(key: string): KeptVector | undefined {
    const kept = this.searched.get(key);
    if (kept) {
      this.searched.delete(key);
      this.searched.set(key, kept);
      return kept;
    }
    const ahead = this.ahead.get(key);
    if (!ahead) return undefined;
    this.ahead.delete(key);
    const moved: KeptVector = { vector: ahead, from: 'prefetch' };
    this.keep(this.searched, key, moved, this.capacity);
    return moved;
  }

  /** A vector a search embedded. */
  set(key: string, vector: Float32Array): void {
    this.keep(this.searched, key, { vector, from: 'search' }, this.capacity);
  }

  /** A vector embedded ahead of its search. */
  setAhead(key: string, vector: Float32Array): void {
    if (this.searched.has(key)) return;
    this.keep(this.ahead, key, vector, this.aheadCapacity);
  }

  private keep<V>(map: Map<string, V>, key: string, value: V, capacity: number): void {
    map.delete(key);
    map.set(key, value);
    if (map.size > capacity) map.delete(map.keys().next().value!);
  }
}
