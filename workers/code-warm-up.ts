/**
 * A few query embeddings in idle time, once per deploy, so that the next visit starts onnxruntime-web with
 * optimised machine code instead of compiling it again.
 *
 * Why: V8 keeps the compiled code of a wasm module (onnxruntime-web's 14 MB) between visits only once it has
 * optimised (TurboFan) enough of it, and it optimises a function only after that has run hot. One query, all that a
 * visit opening the page with a search may run, never gets there, so every repeat visit compiled the wasm afresh.
 * Probed in headless Chromium 156 with its trace (`v8.wasm.cachedModule`, `v8.wasm.moduleCacheHit`): no cache written
 * after 1 or 5 runs, written after 15 and hit on the next visit, whose first query then ran ~4-7× faster. The runs
 * wait behind any search the visitor asks for (the worker's job queue), one at a time with pauses between them.
 */
import type { Embedder } from '../src/core/embed/types';
import { markDone, wasDone } from '../src/store/model-cache';

/** Short texts like queries, varied so that every run is a new input. */
const WARM_UP_TEXTS = Array.from({ length: 16 }, (_, i) =>
  [
    'attention heads in small transformer models',
    'graph neural networks for protein structure',
    'contrastive pretraining of sentence encoders',
    'retrieval augmented generation with citations',
  ][i % 4].concat(` ${i}`),
);

/** Long enough for the visitor's first answer to be painted before the first run. */
const START_AFTER_MS = 1000;
const PAUSE_MS = 40;
/**
 * V8 writes its code cache 2 s after it last finished optimising a function, and optimising runs in the background
 * for seconds after the runs on a busy 2-core machine: the warm-up counts as done only after this long. A visitor who
 * leaves sooner gets the warm-up again next time.
 */
export const CACHE_WRITE_MS = 10_000;

export interface WarmUp {
  embedder: Embedder;
  /** Runs a task once the searches queued before it are done (the worker's job queue). */
  afterRunningJobs: (task: () => Promise<void>) => void;
  /** Names what was warmed up: the same key on a later visit skips the warm-up. */
  key: string;
  onDone?: () => void;
}

export async function warmUpCompiledCode({ embedder, afterRunningJobs, key, onDone }: WarmUp): Promise<void> {
  if (await wasDone(key)) return;
  await sleep(START_AFTER_MS);
  for (const text of WARM_UP_TEXTS) {
    const ran = await new Promise<boolean>((resolve) => afterRunningJobs(() => embedder.embedQuery(text).then(() => resolve(true), () => resolve(false))));
    if (!ran) return; // the model was replaced or released: nothing to warm up any more
    await sleep(PAUSE_MS);
  }
  onDone?.();
  await sleep(CACHE_WRITE_MS);
  await markDone(key);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
