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

interface Pending {
  id: number;
  enqueuedAt: number;
  run: (queueMs: number) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class JobQueue {
  private readonly pending: Pending[] = [];
  private running = false;

  /** Resolves with the job's value; `queueMs` tells the job how long it waited. */
  push<T>(id: number, run: (queueMs: number) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ id, enqueuedAt: performance.now(), run, resolve: resolve as (v: unknown) => void, reject });
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
      for (let job = this.pending.shift(); job; job = this.pending.shift()) {
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
