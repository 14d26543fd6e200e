import cliProgress from 'cli-progress';

/** A done/total bar with rate and ETA on stderr; a plain line every 5 s when stderr is not a terminal. */
export function embedProgressBar(total: number) {
  return countProgressBar('Embedding', total, 'papers');
}

/** The same bar for any count: "<label> |bar| done/total <unit> | rate <unit>/s | ETA". */
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
  const started = performance.now();
  bar.start(total, 0, { rate: '0.0' });
  return {
    update(done: number) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : '0.0' });
    },
    stop() {
      bar.stop();
    },
  };
}
