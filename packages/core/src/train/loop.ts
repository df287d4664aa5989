import { RhoError } from '../errors.ts';
import { batchAt, isDataPosition, DATA_START, type DataPosition, type WindowConfig } from './data.ts';
import { trainStep, type LossFn, type StepMetrics, type TokenBatch, type TrainableModel, type TrainerState } from './step.ts';

export interface LoopOptions<B extends TokenBatch> {
  /** Train until state.step reaches this. */
  untilStep: number;
  /** The micro-batches of the next step. Must take its position from state.data and advance it. */
  nextBatch: (state: TrainerState) => B | B[];
  lossFn: LossFn<B>;
  onStep?: (m: StepMetrics, state: TrainerState) => void | Promise<void>;
  /** Called after every `every` steps and after the last one (save a checkpoint here). */
  checkpoint?: { every: number; save: (state: TrainerState) => Promise<void> };
}

/**
 * The loop both training modes share. Everything a step depends on lives in `state`, so a run
 * resumed from a checkpoint written by `checkpoint.save` continues exactly.
 */
export async function trainLoop<B extends TokenBatch>(model: TrainableModel, state: TrainerState, opts: LoopOptions<B>): Promise<StepMetrics[]> {
  if (opts.checkpoint && !(Number.isInteger(opts.checkpoint.every) && opts.checkpoint.every > 0)) {
    throw new RhoError('BAD_CONFIG', 'checkpoint interval must be a positive integer', { field: 'checkpoint.every', got: opts.checkpoint.every });
  }
  const out: StepMetrics[] = [];
  while (state.step < opts.untilStep) {
    const m = trainStep(model, opts.nextBatch(state), opts.lossFn, state);
    out.push(m);
    await opts.onStep?.(m, state);
    if (opts.checkpoint && (state.step % opts.checkpoint.every === 0 || state.step === opts.untilStep)) {
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
