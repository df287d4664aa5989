/**
 * The harness's `math_equal`, step for step: string identity; numbers (with the percentage
 * variants); bracket-insensitive text match; element-wise tuples/intervals; element-wise
 * pmatrix; equations and "x = value" forms; finally the symbolic check. Every call runs against
 * a deadline (the harness gives 3 s and counts a timeout as wrong).
 */
import { isDigit, numericEqualWithPercent, parseDigits } from './numeric.ts';
import { symbolicEqual } from './symbolic.ts';
import { pyStrip } from '../normalize/python.ts';

export interface EqualOptions {
  includePercentage?: boolean;
  /** Milliseconds for one comparison; past it the verdict is "not equal" with reason "timeout". */
  timeoutMs?: number;
  /** Relative tolerance when both sides are numbers (the harness: 1e-4). */
  relTol?: number;
}

export type EqualReason =
  | 'identical'
  | 'numeric'
  | 'numeric-mismatch'
  | 'empty'
  | 'text'
  | 'tuple'
  | 'matrix'
  | 'equation'
  | 'symbolic'
  | 'timeout'
  | 'different';

export interface Verdict {
  equal: boolean;
  reason: EqualReason;
}

export const DEFAULT_EQUAL_OPTIONS: Readonly<Required<EqualOptions>> = Object.freeze({ includePercentage: true, timeoutMs: 3000, relTol: 1e-4 });

class Timeout extends Error {}

function checkDeadline(deadline: number): void {
  if (performance.now() > deadline) throw new Timeout();
}

/** Python str.strip(chars) */
function stripChars(s: string, chars: string): string {
  return pyStrip(s, chars);
}

const BRACKETED = /^(\(|\[)[^\n]+(\)|\])/;
const MAT_BEGIN = ['\\begin{pmatrix}', '\\begin{bmatrix}'];
const MAT_END = ['\\end{pmatrix}', '\\end{bmatrix}'];

function strToPmatrix(input: string): string {
  const s = pyStrip(input);
  const found = s.match(/\{[^\n]*,[^\n]*\}/g) ?? [];
  return found.map((m) => `\\begin{pmatrix}${stripChars(m, '{}').split(',').join('\\')}\\end{pmatrix}`).join(', ');
}

function count(s: string, ch: string): number {
  return s.split(ch).length - 1;
}

function isMatrix(s: string): boolean {
  return MAT_BEGIN.some((b) => s.startsWith(b)) && MAT_END.some((e) => s.endsWith(e));
}

function matrixRows(s: string): string[] {
  return s
    .slice('\\begin{pmatrix}'.length, s.length - '\\end{pmatrix}'.length)
    .split('\\\\')
    .map((l) => pyStrip(l))
    .filter((l) => l !== '');
}

function equalInner(predIn: string | null, refIn: string, o: Required<EqualOptions>, deadline: number): Verdict {
  const predS = predIn === null ? 'None' : predIn;
  if (predS === refIn) return { equal: true, reason: 'identical' };

  if (predIn !== null && isDigit(predIn) && isDigit(refIn)) {
    const p = parseDigits(predIn)!;
    const r = parseDigits(refIn)!;
    return numericEqualWithPercent(p, r, o.includePercentage, o.relTol) ? { equal: true, reason: 'numeric' } : { equal: false, reason: 'numeric-mismatch' };
  }
  if (!predIn) return { equal: false, reason: 'empty' };

  let reference = pyStrip(refIn);
  const prediction = pyStrip(predIn);

  if (prediction.includes('pmatrix') && !reference.includes('pmatrix')) reference = strToPmatrix(reference);

  let predStr = prediction;
  let refStr = reference;
  if (
    (prediction.startsWith('[') && prediction.endsWith(']') && !reference.startsWith('(')) ||
    (prediction.startsWith('(') && prediction.endsWith(')') && !reference.startsWith('['))
  ) {
    predStr = stripChars(predStr, '[]()');
    refStr = stripChars(refStr, '[]()');
  }
  for (const c of ['{', '}', '(', ')']) {
    refStr = refStr.split(c).join('');
    predStr = predStr.split(c).join('');
  }
  if (predStr.toLowerCase() === refStr.toLowerCase()) return { equal: true, reason: 'text' };

  if (BRACKETED.test(prediction) && BRACKETED.test(reference)) {
    const pp = prediction.slice(1, -1).split(',');
    const rp = reference.slice(1, -1).split(',');
    if (pp.length === rp.length && pp.every((p, i) => equalInner(p, rp[i]!, o, deadline).equal)) {
      return { equal: true, reason: 'tuple' };
    }
  }

  if (isMatrix(prediction) && isMatrix(reference)) {
    const pl = matrixRows(prediction);
    const rl = matrixRows(reference);
    let matched = pl.length === rl.length;
    if (matched) {
      for (let i = 0; i < pl.length && matched; i++) {
        const pp = pl[i]!.split('&');
        const rp = rl[i]!.split('&');
        if (pp.length !== rp.length || !pp.every((p, j) => equalInner(p, rp[j]!, o, deadline).equal)) matched = false;
      }
    }
    if (matched) return { equal: true, reason: 'matrix' };
  }

  checkDeadline(deadline);
  if (count(prediction, '=') === 1 && count(reference, '=') === 1) {
    const [pl, pr] = prediction.split('=') as [string, string];
    const [rl, rr] = reference.split('=') as [string, string];
    const p = `${pyStrip(pl)} - (${pyStrip(pr)})`;
    const r = `${pyStrip(rl)} - (${pyStrip(rr)})`;
    if (symbolicEqual(p, r) || symbolicEqual(`-(${p})`, r)) return { equal: true, reason: 'equation' };
  } else if (count(prediction, '=') === 1 && pyStrip(prediction.split('=')[0]!).length <= 2 && !reference.includes('=')) {
    if (equalInner(prediction.split('=')[1]!, reference, o, deadline).equal) return { equal: true, reason: 'equation' };
  } else if (count(reference, '=') === 1 && pyStrip(reference.split('=')[0]!).length <= 2 && !prediction.includes('=')) {
    if (equalInner(prediction, reference.split('=')[1]!, o, deadline).equal) return { equal: true, reason: 'equation' };
  }

  checkDeadline(deadline);
  if (symbolicEqual(prediction, reference)) return { equal: true, reason: 'symbolic' };
  return { equal: false, reason: 'different' };
}

/**
 * Is `pred` (already extracted and normalised) the same answer as `gt`? `pred` null stands for the
 * harness's None (an empty or failed completion).
 */
export function mathEqual(pred: string | null, gt: string, opts: EqualOptions = {}): Verdict {
  const o = { ...DEFAULT_EQUAL_OPTIONS, ...opts };
  const deadline = performance.now() + o.timeoutMs;
  try {
    return equalInner(pred, gt, o, deadline);
  } catch (e) {
    if (e instanceof Timeout) return { equal: false, reason: 'timeout' };
    throw e;
  }
}
