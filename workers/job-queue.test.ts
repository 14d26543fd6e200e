import { describe, expect, it } from 'vitest';
import { CancelledError, JobQueue } from './job-queue';

describe('JobQueue', () => {
  it('runs jobs one at a time, in order', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([queue.push(1, job('a', 20)), queue.push(2, job('b', 1)), queue.push(3, job('c', 5))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('cancels a waiting job but not a running one, and keeps going after a failure', async () => {
    const queue = new JobQueue();
    let release!: () => void;
    const running = queue.push(1, () => new Promise<string>((resolve) => (release = () => resolve('ran'))));
    const waiting = queue.push(2, async () => 'never');
    const failing = queue.push(3, async () => {
      throw new Error('boom');
    });
    const after = queue.push(4, async (queueMs) => queueMs);
    expect(queue.cancel(2)).toBe(true);
    expect(queue.cancel(1)).toBe(false);
    await expect(waiting).rejects.toBeInstanceOf(CancelledError);
    release();
    await expect(running).resolves.toBe('ran');
    await expect(failing).rejects.toThrow('boom');
    expect(await after).toBeGreaterThanOrEqual(0);
  });

  it('runs normal jobs before waiting low-priority ones, and never interrupts a running job', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    let release!: () => void;
    const job = (name: string) => async () => {
      log.push(name);
      return name;
    };
    const running = queue.push(
      1,
      () =>
        new Promise<void>((resolve) => {
          release = () => {
            log.push('first');
            resolve();
          };
        }),
    );
    const low = queue.push(2, job('low'), 'low');
    const search = queue.push(3, job('search'));
    const later = queue.push(4, job('later low'), 'low');
    const search2 = queue.push(5, job('search 2'));
    release();
    await Promise.all([running, low, search, later, search2]);
    expect(log).toEqual(['first', 'search', 'search 2', 'low', 'later low']);
  });

  it('lets a normal job sent at the same moment go before a low-priority one on an idle queue', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const low = queue.push(1, async () => log.push('low'), 'low');
    // Posted in the same task as the low job, as a search message right behind a prefetch would be.
    const search = queue.push(2, async () => log.push('search'));
    await Promise.all([low, search]);
    expect(log).toEqual(['search', 'low']);
  });
});
