import { describe, expect, it } from 'vitest';
import { JobQueue } from './job-queue';
import { QueryPrefetch } from './query-prefetch';

/** An embedder whose runs the test finishes by hand, recording what ran in what order. */
function manualEmbedder(log: string[]) {
  const running: (() => void)[] = [];
  const embed = (text: string) =>
    new Promise<'embedded'>((resolve) => {
      log.push(`start ${text}`);
      running.push(() => {
        log.push(`end ${text}`);
        resolve('embedded');
      });
    });
  return { embed, finishNext: () => running.shift()!() };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe('QueryPrefetch', () => {
  it('embeds the text when the queue is idle', async () => {
    const queue = new JobQueue();
    const prefetch = new QueryPrefetch(queue, async (text) => (text === 'known' ? 'cached' : 'embedded'));
    expect(await prefetch.request(1, 'new words')).toBe('embedded');
    expect(await prefetch.request(2, 'known')).toBe('cached');
  });

  it('keeps at most one waiting: a newer text supersedes the one not started, never the one running', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const model = manualEmbedder(log);
    const prefetch = new QueryPrefetch(queue, model.embed);
    const first = prefetch.request(1, 'sparse');
    await tick(); // 'sparse' is running
    const second = prefetch.request(2, 'sparse att');
    const third = prefetch.request(3, 'sparse attention');
    expect(await second).toBe('superseded');
    model.finishNext();
    expect(await first).toBe('embedded');
    await tick();
    model.finishNext();
    expect(await third).toBe('embedded');
    expect(log).toEqual(['start sparse', 'end sparse', 'start sparse attention', 'end sparse attention']);
  });

  it('waits behind real work: a search queued before or while a prefetch waits runs first', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const model = manualEmbedder(log);
    const prefetch = new QueryPrefetch(queue, model.embed);
    let releaseImport!: () => void;
    const running = queue.push(1, () => new Promise<void>((resolve) => (releaseImport = () => resolve(void log.push('import done')))));
    const speculative = prefetch.request(2, 'typed words');
    const search = queue.push(3, async () => void log.push('search'));
    releaseImport();
    await Promise.all([running, search]);
    await tick();
    model.finishNext();
    expect(await speculative).toBe('embedded');
    expect(log).toEqual(['import done', 'search', 'start typed words', 'end typed words']);
  });

  it('a search sent while a prefetch runs waits for that one run only, and says so in its queue time', async () => {
    const queue = new JobQueue();
    const log: string[] = [];
    const model = manualEmbedder(log);
    const prefetch = new QueryPrefetch(queue, model.embed);
    const speculative = prefetch.request(1, 'typed words');
    await tick();
    const search = queue.push(2, async (queueMs) => queueMs);
    const next = prefetch.request(3, 'typed words and more'); // queued behind the search, not before it
    await new Promise((resolve) => setTimeout(resolve, 30));
    model.finishNext();
    expect(await speculative).toBe('embedded');
    expect(await search).toBeGreaterThanOrEqual(25);
    await tick();
    model.finishNext();
    expect(await next).toBe('embedded');
    expect(log).toEqual(['start typed words', 'end typed words', 'start typed words and more', 'end typed words and more']);
  });
});
