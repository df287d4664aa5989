/**
 * 300 pairs built from MATH answers (another problem's answer, a decimal approximation, expanded or
 * factored forms, swapped equation sides, reversed or re-bracketed
 * tuples, \dfrac spellings, a stray trailing '.') whose verdicts were produced by the harness's
 * math_equal running on the pinned stack (sympy 1.12, antlr4 4.11.1's Python runtime, ZubinGou/latex2sympy):
 * grader.py and its imports on PYTHONPATH, math_equal(pred, gt) per pair.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mathEqual } from './math-equal.ts';

const PAIRS = JSON.parse(readFileSync(new URL('./sympy-pairs.json', import.meta.url), 'utf8')) as [string, string, boolean][];

describe('mathEqual agrees with the sympy-backed harness', () => {
  it('has the table', () => {
    expect(PAIRS.length).toBe(300);
    expect(PAIRS.filter((p) => p[2]).length).toBe(151);
  });
  it.each(PAIRS)('%j vs %j -> %j', (pred, gt, expected) => {
    expect(mathEqual(pred, gt).equal).toBe(expected);
  });
});
