export { mathEqual, DEFAULT_EQUAL_OPTIONS, type EqualOptions, type EqualReason, type Verdict } from './math-equal.ts';
export { parseDigits, isDigit, numericEqual, isClose } from './numeric.ts';
export { symbolicEqual, parseAnswer } from './symbolic.ts';
import { mathEqual, type EqualOptions, type Verdict } from './math-equal.ts';
import { stripString } from '../normalize/strip-string.ts';

/**
 * What `pnpm eval equal` does with one pair of already-extracted answers: the default
 * normalisation on both, then the harness's equivalence check.
 */
export function isEquivalent(pred: string, gt: string, opts?: EqualOptions): Verdict {
  return mathEqual(stripString(pred), stripString(gt), opts);
}
