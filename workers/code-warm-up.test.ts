import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Embedder } from '../src/core/embed/types';
import { warmUpCompiledCode } from './code-warm-up';

/** A Cache Storage with one cache, enough for wasDone / markDone. */
function fakeCaches(): { keys: Set<string> } {
  const keys = new Set<string>();
  const cache = {
    match: async (key: string) => (keys.has(key) ? new Response('') : undefined),
    put: async (key: string) => void keys.add(key),
  };
  vi.stubGlobal('caches', { open: async () => cache });
  return { keys };
}

function fakeEmbedder(fail = false): Embedder & { texts: string[] } {
  const texts: string[] = [];
  return {
    texts,
    embedQuery: async (text: string) => {
      if (fail) throw new Error('disposed');
      texts.push(text);
      return new Float32Array(4);
    },
  } as unknown as Embedder & { texts: string[] };
}

describe('warmUpCompiledCode', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('embeds its texts through the job queue, one at a time, then remembers the key once V8 had time to write', async () => {
    const { keys } = fakeCaches();
    const embedder = fakeEmbedder();
    let queued = 0;
    let done = false;
    const warming = warmUpCompiledCode({
      embedder,
      afterRunningJobs: (task) => (queued++, void task()),
      key: 'http://site/ort/x.wasm?v8-code-warmed-up=a',
      onDone: () => (done = true),
    });
    await vi.runAllTimersAsync();
    await warming;
    expect(embedder.texts.length).toBeGreaterThanOrEqual(8);
    expect(new Set(embedder.texts).size).toBe(embedder.texts.length);
    expect(queued).toBe(embedder.texts.length);
    expect(done).toBe(true);
    expect(keys.has('http://site/ort/x.wasm?v8-code-warmed-up=a')).toBe(true);
  });

  it('does nothing for a key already done', async () => {
    const { keys } = fakeCaches();
    keys.add('k');
    const embedder = fakeEmbedder();
    const warming = warmUpCompiledCode({ embedder, afterRunningJobs: (task) => void task(), key: 'k' });
    await vi.runAllTimersAsync();
    await warming;
    expect(embedder.texts).toEqual([]);
  });

  it('stops, and remembers nothing, when the model is released under it', async () => {
    const { keys } = fakeCaches();
    let runs = 0;
    const warming = warmUpCompiledCode({ embedder: fakeEmbedder(true), afterRunningJobs: (task) => (runs++, void task()), key: 'k' });
    await vi.runAllTimersAsync();
    await warming;
    expect(runs).toBe(1);
    expect(keys.size).toBe(0);
  });
});
