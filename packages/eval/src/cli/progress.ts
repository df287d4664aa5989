import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr for long work; silent when stderr is not a terminal (CI logs, pipes),
 * so machine-read stdout stays clean.
 */
export function progressBar(label: string, total: number, opts: { minTotal?: number } = {}): { update(done: number): void; stop(): void } {
  if (!process.stderr.isTTY || total < (opts.minTotal ?? 200)) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = Date.now();
  bar.start(total, 0, { rate: '0' });
  return {
    update(done: number) {
      bar.update(done, { rate: (done / Math.max((Date.now() - start) / 1000, 1e-3)).toFixed(1) });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Progress of loading a checkpoint's weights, in GB, as core's `onLoadProgress` reports it: the bar
 * starts on the first report (the total is known then) and is quiet off a terminal, like the others.
 */
export function loadProgressBar(label = 'loading weights'): { onLoadProgress(done: number, total: number): void; stop(): void } {
  let bar: cliProgress.SingleBar | undefined;
  const gb = (x: number) => (x / 1e9).toFixed(2);
  return {
    onLoadProgress(done, total) {
      if (!process.stderr.isTTY || total <= 0) return;
      if (!bar) {
        bar = new cliProgress.SingleBar(
          { format: `${label} [{bar}] {percentage}% | {done}/{all} GB | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total, 0, { done: gb(0), all: gb(total) });
      }
      bar.update(done, { done: gb(done), all: gb(total) });
    },
    stop() {
      bar?.stop();
    },
  };
}
