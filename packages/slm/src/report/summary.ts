import type { StepRow } from '../trainer/metrics.ts';

export interface EvalPoint {
  step: number;
  tokens: number;
  val: number;
}

export const evalPoints = (rows: readonly StepRow[]): EvalPoint[] =>
  rows.filter((r) => typeof r.val_loss === 'number').map((r) => ({ step: r.step, tokens: r.tokens_seen, val: r.val_loss! }));

/**
 * The paper's speed-up measure: the first evaluation at which a run's validation loss is at or
 * below the baseline's final one (null if it never gets there).
 */
export function firstReaching(rows: readonly StepRow[], target: number): EvalPoint | null {
  return evalPoints(rows).find((p) => p.val <= target) ?? null;
}

export const finalVal = (rows: readonly StepRow[]): number | null => evalPoints(rows).at(-1)?.val ?? null;
