/**
 * Where a format-3 search spends its time, by part: the engine and the vector reader add to one clock per
 * search, and the answer carries it (SearchResult.phases), so the worker's `searchMs` can be broken down in
 * the browser as in Node (bench/format3-speed.ts, bench/scale.ts).
 *
 * Parts are wall time, summed over repeats (a hybrid query walks and re-ranks twice). A part timed around an
 * await includes whatever else ran meanwhile; parts awaited together (a hit's text and its row, read at once)
 * overlap, so their sum can exceed the whole.
 */

/** Milliseconds by part. */
export type Phases = Record<string, number>;

/** The parts, in the order a hybrid query meets them (what tables list first). */
export const PHASE_ORDER = [
  'keyword',
  'open',
  'walk',
  'rows',
  'rerank',
  'tailRows',
  'refineRows',
  'refine',
  'feedback',
  'fusion',
  'termWeights',
  'text',
  'hitRows',
  'annotate',
  'authors',
] as const;

export class PhaseClock {
  readonly ms: Phases = {};

  add(name: string, ms: number): void {
    this.ms[name] = (this.ms[name] ?? 0) + ms;
  }

  /** Runs `work` now, its time added to `name`. */
  time<T>(name: string, work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.add(name, performance.now() - started);
    }
  }

  /** Awaits `pending`, the wait added to `name` (from this call to its settling). */
  async wait<T>(name: string, pending: Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await pending;
    } finally {
      this.add(name, performance.now() - started);
    }
  }

  /** The parts rounded to 0.01 ms, for a reply. */
  rounded(): Phases {
    const out: Phases = {};
    for (const [name, ms] of Object.entries(this.ms)) out[name] = Math.round(ms * 100) / 100;
    return out;
  }
}
