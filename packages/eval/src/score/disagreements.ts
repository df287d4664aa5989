import type { RescoredRecord } from '../rescore/grade-sample.ts';

/** One sample on which the two graders part (their first verdicts, as acc counts them). */
export interface Disagreement {
  idx: number;
  harness: boolean;
  strict: boolean;
  /** The harness's gold answer and prediction (normalised by strip_string). */
  gt: string;
  pred: string | null;
  /** The strict grader's readings of the same (normalised as Math-Verify normalises LaTeX). */
  strictGt: string;
  strictPred: string;
}

/** The disagreements in records graded with --grader both, in idx order. */
export function listDisagreements(records: readonly RescoredRecord[]): Disagreement[] {
  return records
    .filter((r) => r.strict_score !== undefined && (r.score[0] ?? false) !== (r.strict_score[0] ?? false))
    .map((r) => ({
      idx: r.idx,
      harness: r.score[0] ?? false,
      strict: r.strict_score![0] ?? false,
      gt: r.gt,
      pred: r.pred[0] ?? null,
      strictGt: r.strict_gt ?? '',
      strictPred: r.strict_pred?.[0] ?? '',
    }));
}
