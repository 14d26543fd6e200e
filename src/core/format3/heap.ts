/**
 * A binary heap of (id, score) on typed arrays: the hot loops of the graph walk push and pop thousands of
 * these per query, and objects in an Array would be garbage for the collector. `max` decides which end is on top.
 */
export class ScoreHeap {
  ids: Int32Array;
  scores: Float64Array;
  size = 0;

  constructor(
    private readonly max: boolean,
    capacity = 64,
  ) {
    this.ids = new Int32Array(capacity);
    this.scores = new Float64Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  topId(): number {
    return this.ids[0];
  }

  topScore(): number {
    return this.scores[0];
  }

  private above(a: number, b: number): boolean {
    // Ties broken by id so that the walk, and so the graph built by it, never depends on insertion accidents.
    const sa = this.scores[a];
    const sb = this.scores[b];
    if (sa !== sb) return this.max ? sa > sb : sa < sb;
    return this.max ? this.ids[a] < this.ids[b] : this.ids[a] > this.ids[b];
  }

  private swap(a: number, b: number): void {
    const id = this.ids[a];
    this.ids[a] = this.ids[b];
    this.ids[b] = id;
    const s = this.scores[a];
    this.scores[a] = this.scores[b];
    this.scores[b] = s;
  }

  push(id: number, score: number): void {
    if (this.size === this.ids.length) {
      const ids = new Int32Array(this.size * 2);
      ids.set(this.ids);
      this.ids = ids;
      const scores = new Float64Array(this.size * 2);
      scores.set(this.scores);
      this.scores = scores;
    }
    let i = this.size++;
    this.ids[i] = id;
    this.scores[i] = score;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the top; read it first with topId/topScore. */
  pop(): void {
    const last = --this.size;
    if (last === 0) return;
    this.ids[0] = this.ids[last];
    this.scores[0] = this.scores[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < last && this.above(l, best)) best = l;
      if (r < last && this.above(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }
}
