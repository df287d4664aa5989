/** Numbers as the harness's grader reads and compares them. */
import { pyFloat } from '../normalize/python.ts';

/** parse_digits: commas dropped, then float(); "12%" and "12\%" read as 0.12. */
export function parseDigits(value: string): number | null {
  const s = value.split(',').join('');
  const f = pyFloat(s);
  if (f !== null) return f;
  if (s.endsWith('%')) {
    let t = s.slice(0, -1);
    if (t.endsWith('\\')) t = t.slice(0, -1);
    const g = pyFloat(t);
    if (g !== null) return g / 100;
  }
  return null;
}

export function isDigit(value: string): boolean {
  return parseDigits(value) !== null;
}

/** math.isclose(a, b, rel_tol, abs_tol=0) */
export function isClose(a: number, b: number, relTol: number): boolean {
  if (a === b) return true;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  const diff = Math.abs(b - a);
  return diff <= Math.abs(relTol * b) || diff <= Math.abs(relTol * a);
}

/** numeric_equal: relative tolerance 1e-4 (the harness version that scored the published runs). */
export function numericEqual(prediction: number, reference: number, relTol = 1e-4): boolean {
  return isClose(reference, prediction, relTol);
}

/**
 * Both sides numbers: equal if the prediction matches the reference, or the reference / 100, or the
 * reference * 100 (a percentage written either way).
 */
export function numericEqualWithPercent(prediction: number, reference: number, includePercentage = true, relTol = 1e-4): boolean {
  const targets = includePercentage ? [reference / 100, reference, reference * 100] : [reference];
  return targets.some((t) => numericEqual(prediction, t, relTol));
}
