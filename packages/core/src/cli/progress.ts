import cliProgress from 'cli-progress';

/**
 * The progress bars of every command, on stderr: drawn only when stderr is a terminal, so logs, pipes
 * and machine-read stdout stay clean. A counted bar for work in items, a load bar for bytes.
 */
export interface ProgressBar {
  /** `done` of the total so far; `extra` is shown after the figures (a loss, a file name). */
  update(done: number, extra?: string): void;
  stop(): void;
}

const QUIET: ProgressBar = { update() {}, stop() {} };

function bar(format: string, opts: { etaBuffer?: number } = {}): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, clearOnComplete: true, ...opts }, cliProgress.Presets.shades_classic);
}

/** A bar over `total` items with their rate; quiet below `minTotal` items (a few are done before it would show). */
export function progressBar(label: string, total: number, opts: { minTotal?: number } = {}): ProgressBar {
  if (!process.stderr.isTTY || total < (opts.minTotal ?? 0)) return QUIET;
  const b = bar(`${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | ETA {eta_formatted} {extra}`);
  const start = Date.now();
  b.start(total, 0, { rate: '0', extra: '' });
  return {
    update(done, extra = '') {
      b.update(done, { rate: (done / Math.max((Date.now() - start) / 1000, 1e-3)).toFixed(1), extra });
    },
    stop() {
      b.stop();
    },
  };
}

/**
 * Progress of bytes loaded or written (a checkpoint's weights), in GB or MB, as core's `onLoadProgress`
 * and `onProgress` report it: the bar starts on the first report, when the total is known.
 */
export function loadProgressBar(
  label = 'loading weights',
  opts: { unit?: 'GB' | 'MB' } = {},
): { onLoadProgress(done: number, total: number): void; stop(): void } {
  const unit = opts.unit ?? 'GB';
  const scale = unit === 'GB' ? 1e9 : 1e6;
  const digits = unit === 'GB' ? 2 : 0;
  const show = (x: number) => (x / scale).toFixed(digits);
  let b: cliProgress.SingleBar | undefined;
  let start = 0;
  return {
    onLoadProgress(done, total) {
      if (!process.stderr.isTTY || total <= 0) return;
      if (!b) {
        b = bar(`${label} [{bar}] {percentage}% | {done}/{all} ${unit} | {rate} ${unit}/s | ETA {eta_formatted}`, { etaBuffer: 50 });
        start = Date.now();
        b.start(total, 0, { done: show(0), all: show(total), rate: show(0) });
      }
      const s = Math.max((Date.now() - start) / 1000, 1e-3);
      b.update(done, { done: show(done), all: show(total), rate: show(done / s) });
    },
    stop() {
      b?.stop();
    },
  };
}
