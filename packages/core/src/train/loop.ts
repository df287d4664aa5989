import { RhoError } from '../errors.ts';
import { batchAt, isDataPosition, DATA_START, type DataPosition, type WindowConfig } from './data.ts';
import { trainStep, type LossFn, type StepMetrics, type TokenBatch, type TrainableModel, type TrainerState } from './step.ts';

/** What the loop knows of the step just done, beside trainStep's metrics. */
export interface LoopStep<R> {
  /** What nextBatch returned for it. */
  batch: R;
  /** Wall time of the step, building its batch included. */
  seconds: number;
  /** Whether it was the run's last step (`untilStep`), which always gets a checkpoint. */
  last: boolean;
}

export interface LoopOptions<B extends TokenBatch, R extends B | B[] = B | B[]> {
  /** The run's last step: train until state.step reaches this. */
  untilStep: number;
  /**
   * Stop once state.step reaches this, as a run killed there would: only the checkpoints due on
   * the interval are written, none forced for the early stop (tests stand for a killed run with it).
   */
  stopAfter?: number;
  /**
   * The micro-batches of the next step. Its position must come from `state` (state.data, or
   * state.step when the batch is a function of the step), and it must leave state.data where the
   * following step reads, so a checkpoint records it.
   */
  nextBatch: (state: TrainerState) => R;
  lossFn: LossFn<B>;
  /** After every step, before its checkpoint (validation and metrics rows go here). */
  onStep?: (m: StepMetrics, state: TrainerState, step: LoopStep<R>) => void | Promise<void>;
  /** Called after every `every` steps and after the last one (save a checkpoint here). */
  checkpoint?: { every: number; save: (state: TrainerState) => Promise<void> };
}

/**
 * The loop both training modes share. Everything a step depends on lives in `state`, so a run
 * resumed from a checkpoint written by `checkpoint.save` continues exactly.
 */
export async function trainLoop<B extends TokenBatch, R extends B | B[] = B | B[]>(
  model: TrainableModel,
  state: TrainerState,
  opts: LoopOptions<B, R>,
): Promise<StepMetrics[]> {
  if (opts.checkpoint && !(Number.isInteger(opts.checkpoint.every) && opts.checkpoint.every > 0)) {
    throw new RhoError('BAD_CONFIG', 'checkpoint interval must be a positive integer', { field: 'checkpoint.every', got: opts.checkpoint.every });
  }
  const stop = Math.min(opts.untilStep, opts.stopAfter ?? Number.POSITIVE_INFINITY);
  const out: StepMetrics[] = [];
  while (state.step < stop) {
    const t0 = performance.now();
    const batch = opts.nextBatch(state);
    const m = trainStep(model, batch, opts.lossFn, state);
    const seconds = (performance.now() - t0) / 1000;
    const last = state.step === opts.untilStep;
    out.push(m);
    await opts.onStep?.(m, state, { batch, seconds, last });
    if (opts.checkpoint && (state.step % opts.checkpoint.every === 0 || last)) {
      await opts.checkpoint.save(state);
    }
  }
  return out;
}

/**
 * `nextBatch` over one token stream: `accumulate` micro-batches of windows per step, the
 * position kept in state.data (a DataPosition).
 */
export function windowBatches(tokens: ArrayLike<number>, cfg: WindowConfig & { accumulate?: number }): (state: TrainerState) => TokenBatch[] {
  const n = cfg.accumulate ?? 1;
  return (state) => {
    const saved = state.data ?? DATA_START;
    if (!isDataPosition(saved)) throw new RhoError('BAD_INPUT', 'trainer data position is not {epoch, index}', { field: 'data', got: saved });
    let pos: DataPosition = saved;
    const out: TokenBatch[] = [];
    for (let i = 0; i < n; i++) {
      const r = batchAt(tokens, pos, cfg);
      out.push(r.batch);
      pos = r.next;
    }
    state.data = pos;
    return out;
  };
}
