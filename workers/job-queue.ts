/**
 * Runs jobs one at a time in arrival order. The model and hnswlib both misbehave under concurrent
 * calls (onnxruntime sessions, hnswlib's file-system sync), so every command that touches them waits
 * here. A job still waiting can be cancelled: search-as-you-type supersedes queries nobody will see.
 */
export class CancelledError extends Error {
  constructor() {
    super('Cancelled before it started');
    this.name = 'CancelledError';
  }
}

/** 'low': speculative work (a query embedded while the visitor types) that every normal job goes before. */
export type JobPriority = 'normal' | 'low';

interface Pending {
  id: number;
  priority: JobPriority;
  enqueuedAt: number;
  run: (queueMs: number) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class JobQueue {
  private readonly pending: Pending[] = [];
  private running = false;

  /**
   * Resolves with the job's value; `queueMs` tells the job how long it waited. A normal job goes before every
   * low-priority job still waiting; a running job, of either priority, is never interrupted.
   */
  push<T>(id: number, run: (queueMs: number) => Promise<T>, priority: JobPriority = 'normal'): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Pending = { id, priority, enqueuedAt: performance.now(), run, resolve: resolve as (v: unknown) => void, reject };
      const firstLow = priority === 'normal' ? this.pending.findIndex((p) => p.priority === 'low') : -1;
      if (firstLow >= 0) this.pending.splice(firstLow, 0, job);
      else this.pending.push(job);
      void this.drain();
    });
  }

  /** True when the job was still waiting and is now dropped (its promise rejects with CancelledError). */
  cancel(id: number): boolean {
    const at = this.pending.findIndex((job) => job.id === id);
    if (at < 0) return false;
    const [job] = this.pending.splice(at, 1);
    job.reject(new CancelledError());
    return true;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        // Before low-priority work, let messages already waiting reach the queue: a search sent at the same moment goes first.
        if (this.pending[0]?.priority === 'low') await new Promise((resolve) => setTimeout(resolve, 0));
        const job = this.pending.shift();
        if (!job) break;
        try {
          job.resolve(await job.run(performance.now() - job.enqueuedAt));
        } catch (e) {
          job.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }
}
