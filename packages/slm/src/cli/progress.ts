import cliProgress from 'cli-progress';

/** A progress bar on stderr (quiet when stderr is not a terminal, so logs stay readable). */
export function progressBar(label: string, total: number): { update: (n: number, extra?: string) => void; stop: () => void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} {extra}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { extra: '' });
  return { update: (n, extra = '') => bar.update(n, { extra }), stop: () => bar.stop() };
}

export const num = (v: string) => Number(v);
export const int = (v: string) => (Number.isInteger(Number(v)) ? Number(v) : Number.NaN);
