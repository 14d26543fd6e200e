/**
 * Query vectors made while the visitor types (issue #14): when the page sees the box pause, it asks the worker to
 * embed the text now, so that the search Enter sends finds the vector in the recent-vector cache and costs search and
 * render only. Speculative work must never hold up a real one, so:
 *
 * - it runs as a low-priority job of the worker's queue: every search, similar, import… waiting goes first;
 * - at most one waits: a newer text replaces the one not started yet ('superseded'), so typing never queues
 *   embeddings behind each other;
 * - one that has started runs to its end (an onnxruntime run cannot be interrupted), so a search sent meanwhile
 *   waits for it: the page asks only after a pause in typing (src/ui/typeahead.ts), and the search reports that
 *   wait as its queueMs.
 */
import { CancelledError, type JobPriority } from './job-queue';

/** What became of one prefetch request. */
export type PrefetchOutcome = 'embedded' | 'cached' | 'superseded' | 'no-model';

/** The part of the worker's JobQueue a prefetch uses. */
export interface PrefetchQueue {
  push<T>(id: number, run: (queueMs: number) => Promise<T>, priority?: JobPriority): Promise<T>;
  cancel(id: number): boolean;
}

export class QueryPrefetch {
  /** The request whose job is queued and not started, if any. */
  private waiting?: number;

  /** `embed` embeds a text into the recent-vector cache unless it is there or no model is loaded. */
  constructor(
    private readonly queue: PrefetchQueue,
    private readonly embed: (text: string) => Promise<Exclude<PrefetchOutcome, 'superseded'>>,
  ) {}

  /** Embeds `text` when nothing else waits; `id` names the job (the request's id), so a newer one can replace it. */
  async request(id: number, text: string): Promise<PrefetchOutcome> {
    if (this.waiting !== undefined) this.queue.cancel(this.waiting);
    this.waiting = id;
    try {
      return await this.queue.push(
        id,
        () => {
          if (this.waiting === id) this.waiting = undefined;
          return this.embed(text);
        },
        'low',
      );
    } catch (e) {
      if (e instanceof CancelledError) return 'superseded';
      throw e;
    } finally {
      if (this.waiting === id) this.waiting = undefined;
    }
  }
}
