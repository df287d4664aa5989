/**
 * The strict policy for one completion of a benchmark sample. The gold answer is read from the
 * reference solution where that has a \boxed answer (MATH: as Math-Verify is used there, and
 * without the harness's strip_string, which mangles some answers: (a+5)(b+2) becomes (+5)(b+2));
 * otherwise it is the benchmark's reference answer (the harness's `gt`) inside \boxed{}, so that
 * it is read whole. The prediction is the completion itself, which the parser searches for its
 * answer (\boxed, "final answer is", a LaTeX environment, a number). A pal program's output is an
 * isolated answer, so it is boxed too. Choice benchmarks compare letters.
 */
import type { MatchType } from './extract-patterns.ts';
import { strictVerify, type StrictOptions } from './verify.ts';

export interface StrictGrade {
  equal: boolean;
  timedOut: boolean;
  /** The prediction as the strict grader read it (its normalised text; '' when nothing was found). */
  pred: string;
  /** The gold answer as the strict grader read it. */
  gt: string;
}

export interface StrictTarget {
  /** The benchmark's answers are choice letters (A-E). */
  choice: boolean;
  /** pal/pot, program_only: the prediction is a program's output, not the completion's text. */
  programOutput: boolean;
}

export const CHOICE_LETTERS: readonly string[] = ['A', 'B', 'C', 'D', 'E'];

/** An isolated answer, boxed so that the parser takes all of it. */
export function boxedAnswer(answer: string): string {
  return `\\boxed{${answer}}`;
}

/** The reference: the harness's answer, and the solution text it came from. */
export interface StrictGold {
  gt: string;
  solution?: string;
}

/**
 * Grades `text` (the completion, or a program's output) against the reference. A missing
 * completion (the harness's None) is never equal.
 */
export function strictGrade(text: string | null, gold: StrictGold, target: StrictTarget, opts: Partial<StrictOptions> = {}): StrictGrade {
  const o: Partial<StrictOptions> = target.choice ? { ...opts, matchTypes: ['string'] as MatchType[], strings: CHOICE_LETTERS } : opts;
  const goldText = target.choice ? gold.gt : gold.solution?.includes('\\boxed') ? gold.solution : boxedAnswer(gold.gt);
  if (text === null || text === '') {
    const v = strictVerify(goldText, '', o);
    return { equal: false, timedOut: false, pred: '', gt: v.gold.text };
  }
  const v = strictVerify(goldText, target.programOutput && !target.choice ? boxedAnswer(text) : text, o);
  return { equal: v.equal, timedOut: v.timedOut, pred: v.pred.text, gt: v.gold.text };
}
