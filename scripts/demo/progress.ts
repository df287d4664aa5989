import { progressBar, type ProgressBar } from '@rho/core/base';
import type { DemoHooks } from './pipeline.ts';

/**
 * Progress of a multi-stage job on stderr: a bar per stage on a terminal; in a log (CI, a pipe)
 * one line per tenth of a stage, so a long run still shows it is moving.
 */
export function stageProgress(): { show: (stage: string, done: number, total: number, extra?: string) => void; log: (line: string) => void; stop: () => void } {
  const tty = process.stderr.isTTY;
  let bar: ProgressBar | undefined;
  let current = '';
  let lastTenth = -1;
  const stop = () => {
    bar?.stop();
    bar = undefined;
    current = '';
  };
  return {
    show(stage, done, total, extra = '') {
      if (stage !== current) {
        stop();
        current = stage;
        lastTenth = -1;
        if (tty) bar = progressBar(stage, total);
      }
      if (bar) return bar.update(done, extra);
      const tenth = Math.floor((10 * done) / Math.max(total, 1));
      if (tenth > lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${stage} ${done}/${total}${extra ? ` ${extra}` : ''}\n`);
      }
    },
    log(line) {
      stop();
      process.stderr.write(`${line}\n`);
    },
    stop,
  };
}

/** The demo pipeline's hooks shown through a stage progress: one stage per training run and per evaluation. */
export function demoHooks(progress: ReturnType<typeof stageProgress>): DemoHooks {
  return {
    log: progress.log,
    onStep: (m, row, steps) => progress.show(`train ${m}`, row.step, steps, `loss ${row.loss.toFixed(3)}`),
    onEval: (m, t, done, total) => progress.show(`eval ${m} ${t}`, done, total),
  };
}
