/**
 * The strict grader's one entry: read the gold answer and the prediction as Math-Verify's `parse`
 * does (with the same options for both), then compare them as its `verify` does.
 */
import { DEFAULT_COMPARE, verifyAnswers, type CompareOptions } from './compare.ts';
import { DEFAULT_EXTRACT, extractAnswer, type Extraction, type ExtractOptions } from './extract.ts';

export type StrictOptions = ExtractOptions & CompareOptions;

export const DEFAULT_STRICT: Readonly<StrictOptions> = Object.freeze({ ...DEFAULT_EXTRACT, ...DEFAULT_COMPARE });

export interface StrictVerdict {
  equal: boolean;
  /** A comparison ran out of time (it counts as not equal). */
  timedOut: boolean;
  gold: Extraction;
  pred: Extraction;
}

export function strictVerify(goldText: string, predText: string, opts: Partial<StrictOptions> = {}): StrictVerdict {
  const o: StrictOptions = { ...DEFAULT_STRICT, ...opts };
  const gold = extractAnswer(goldText, o);
  const pred = extractAnswer(predText, o);
  const { equal, timedOut } = verifyAnswers(gold.values, pred.values, o);
  return { equal, timedOut, gold, pred };
}
