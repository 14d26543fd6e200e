import cliProgress from 'cli-progress';

/** A done/total bar with rate and ETA on stderr; a plain line every 5 s when stderr is not a terminal. */
export function embedProgressBar(total: number) {
  return countProgressBar('Embedding', total, 'papers');
}

/**
 * The same bar for any count: "<label> |bar| done/total <unit> | rate <unit>/s | ETA". The rate counts from the
 * first item done, so model loading before it does not drag the figure down.
 */
export function countProgressBar(label: string, total: number, unit: string) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} |{bar}| {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5000,
      etaBuffer: 50,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let first: { at: number; done: number } | undefined;
  let stopped = false;
  bar.start(total, 0, { rate: '–' });
  return {
    update(done: number) {
      if (stopped) return;
      const now = performance.now();
      if (!first && done > 0) first = { at: now, done };
      const seconds = first ? (now - first.at) / 1000 : 0;
      bar.update(done, { rate: first && seconds > 0 ? ((done - first.done) / seconds).toFixed(1) : '–' });
    },
    /** Idempotent: an interrupted build stops the bar on its way out more than once. */
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
