/**
 * math_equal verdicts by category, equal and unequal pairs in each. Expected values follow the
 * Python harness's rules (numeric rel_tol 1e-4 with reference x100 and /100 variants, bracket
 * stripping, element-wise tuples and matrices, equation forms, sympy-style symbolic checks where
 * \pi is a plain symbol and trailing text after an expression is ignored).
 */
import { describe, expect, it } from 'vitest';
import { isEquivalent } from './index.ts';
import { mathEqual } from './math-equal.ts';
import { isClose, parseDigits } from './numeric.ts';

type Row = [string | null, string, boolean];

const CASES: Record<string, Row[]> = {
  identical: [
    ['5', '5', true],
    ['', '', true],
    [null, 'None', true],
    ['x', 'x ', true], // both sides are stripped before the text match
    ['x', 'y ', false],
  ],
  numeric: [
    ['5.0', '5', true],
    ['1,000', '1000', true],
    ['1000', '1,000', true],
    ['0.5', '.5', true],
    ['3.14159', '3.1416', true],
    ['100.01', '100', true],
    ['12', '12.00004', true],
    ['1e3', '1000', true],
    ['1_000', '1000', true],
    ['0', '0.0', true],
    ['100.02', '100', false],
    ['-3', '3', false],
    ['7', '8', false],
    ['0.0001', '0', false],
    ['3.15', '3.1416', false],
    ['1,0', '1', false],
  ],
  percentage: [
    ['0.25', '25', true],
    ['2500', '25', true],
    ['25%', '0.25', true],
    ['25\\%', '25', true],
    ['50%', '50%', true],
    ['0.5', '50\\%', true],
    ['0.3', '25', false],
    ['25%', '0.3', false],
    ['250', '25', false],
  ],
  'text and brackets': [
    ['(C)', 'C', true],
    ['Evelyn', 'evelyn', true],
    ['{1,2}', '1,2', true],
    ['(-\\infty,3)', '(-\\infty,3]', true],
    ['yes', 'no', false],
    ['(B)', 'C', false],
    ['north', 'south', false],
  ],
  'tuples and intervals': [
    ['(0.5,1)', '(\\frac{1}{2},1)', true],
    ['(3, 4)', '(3,4)', true],
    ['[1,2]', '(1,2)', true],
    ['(1,2)', '(2,1)', false],
    ['(1,2,3)', '(1,2)', false],
    ['(1,\\sqrt{2})', '(1,1.41)', false],
    ['[0,1]', '[0,2]', false],
  ],
  matrices: [
    ['\\begin{pmatrix}0.5\\\\2\\end{pmatrix}', '\\begin{pmatrix}\\frac{1}{2}\\\\2\\end{pmatrix}', true],
    // a pmatrix prediction turns a reference without "pmatrix" into its brace-list reading, which
    // for a bmatrix is empty: the harness says no (strip_string maps bmatrix to pmatrix first)
    ['\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}', false],
    ['\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\begin{pmatrix}1 & 2\\\\ 3 & 4\\end{pmatrix}', true],
    ['\\begin{pmatrix}2\\\\-1\\end{pmatrix}', '\\begin{pmatrix}2\\\\ -1\\end{pmatrix}', true],
    ['\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', '\\begin{pmatrix}1&2\\\\3&5\\end{pmatrix}', false],
    ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}1&2\\end{pmatrix}', false],
    ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}2\\\\1\\end{pmatrix}', false],
  ],
  equations: [
    ['y=2x+1', 'y=1+2x', true],
    ['2x+1=y', 'y=2x+1', true],
    ['k=5', '5', true],
    ['5', 'k=5', true],
    ['x+y=3', 'x-y=3', false],
    ['2x=4', 'x=2', false],
    ['abc=5', '5', false],
    ['k=5', '6', false],
  ],
  symbolic: [
    ['\\frac{x}{7}+\\frac{2}{7}', '\\frac{x+2}{7}', true],
    ['x^2-1', '(x-1)(x+1)', true],
    ['2\\sqrt{2}', '\\sqrt{8}', true],
    ['\\sqrt{2}', '1.41421', true],
    ['0.33333', '\\frac{1}{3}', true],
    ['\\frac{\\pi}{2}', '\\frac{2\\pi}{4}', true],
    ['\\pi r^2', 'r^2\\pi', true],
    ['3!', '6', true],
    ['\\binom{5}{2}', '10', true],
    ['2^{10}', '1024', true],
    ['\\frac{1}{2}', '\\frac{2}{4}', true],
    ['a+b', 'b+a', true],
    ['\\sin^2 x+\\cos^2 x', '1', true],
    ['4\\sqrt{3}', '6.9282', true],
    ['10^{-3}', '0.001', true],
    ['\\frac{3}{2},5', '\\frac{3}{2}', true],
    ['x^2+1', '(x+1)^2', false],
    ['\\sqrt{2}', '1.41', false],
    ['0.333', '\\frac{1}{3}', false],
    ['33.3', '\\frac{100}{3}', false],
    ['\\frac{\\pi}{2}', '1.5708', false],
    ['a-b', 'b-a', false],
    ['e^{i\\pi}', '-1', false],
    ['x', 'y', false],
    ['\\displaystyle\\frac{1}{2}', '\\frac{1}{2}', false],
  ],
  empty: [
    [null, '5', false],
    ['', '5', false],
    ['5', '', false],
  ],
};

describe('mathEqual', () => {
  for (const [category, rows] of Object.entries(CASES)) {
    describe(category, () => {
      it.each(rows)('%j vs %j -> %j', (pred, gt, expected) => {
        expect(mathEqual(pred, gt).equal).toBe(expected);
      });
    });
  }

  it('says why', () => {
    expect(mathEqual('5', '5').reason).toBe('identical');
    expect(mathEqual('5.0', '5').reason).toBe('numeric');
    expect(mathEqual('6', '5').reason).toBe('numeric-mismatch');
    expect(mathEqual('(C)', 'C').reason).toBe('text');
    expect(mathEqual('x^2-1', '(x-1)(x+1)').reason).toBe('symbolic');
  });

  it('counts a comparison past its deadline as not equal', () => {
    expect(mathEqual('x^2-1', '(x-1)(x+1)', { timeoutMs: -1 })).toEqual({ equal: false, reason: 'timeout' });
  });

  it('returns a verdict on pathological input', () => {
    const deep = `${'('.repeat(20000)}1${')'.repeat(20000)}`;
    expect(mathEqual(deep, '2').equal).toBe(false);
    expect(mathEqual('\\frac{'.repeat(5000), 'x').equal).toBe(false);
    expect(mathEqual(`${'x^'.repeat(3000)}2`, 'x').equal).toBe(false);
  });

  it('can drop the percentage variants', () => {
    expect(mathEqual('0.25', '25', { includePercentage: false }).equal).toBe(false);
  });
});

describe('isEquivalent (normalise both, then compare)', () => {
  it.each([
    ['\\text{yes}', 'yes', true],
    ['\\dfrac{1}{2}', '\\frac12', true],
    ['5\\text{ cm}', '5', true],
    ['\\$1,000', '1000', true],
    ['x=3', '3', true],
    ['90^\\circ', '90', true],
    ['\\left(1,2\\right)', '(1,2)', true],
    ['0.5', '\\frac{1}{2}', true],
    ['\\text{no}', 'yes', false],
    ['4 cm', '5', false],
  ] as [string, string, boolean][])('%j vs %j -> %j', (pred, gt, expected) => {
    expect(isEquivalent(pred, gt).equal).toBe(expected);
  });
});

describe('numeric helpers', () => {
  it.each([
    ['1,234', 1234],
    ['50%', 0.5],
    ['12.5\\%', 0.125],
    [' 7 ', 7],
    ['abc', null],
    ['%', null],
    ['1/2', null],
  ] as [string, number | null][])('parseDigits(%j) = %j', (s, v) => {
    expect(parseDigits(s)).toBe(v);
  });
  it('isClose is relative and symmetric', () => {
    expect(isClose(1, 1.00009, 1e-4)).toBe(true);
    expect(isClose(1.00009, 1, 1e-4)).toBe(true);
    expect(isClose(1, 1.0002, 1e-4)).toBe(false);
    expect(isClose(0, 1e-12, 1e-4)).toBe(false);
    expect(isClose(Infinity, Infinity, 1e-4)).toBe(true);
    expect(isClose(NaN, NaN, 1e-4)).toBe(false);
  });
});

describe('relations', () => {
  it.each([
    ['x<3', '3>x', true],
    ['x\\le 3', '3\\ge x', true],
    // the harness compares |lhs - rhs| of any two relations, so < and <= with the same sides agree
    ['x<3', 'x\\le 3', true],
    ['x<3', 'x<4', false],
    ['x+1=3', 'x=2', true],
    ['\\frac{1}{0}', '\\infty', false],
  ] as [string, string, boolean][])('%j vs %j -> %j', (pred, gt, expected) => {
    expect(mathEqual(pred, gt).equal).toBe(expected);
  });
});
