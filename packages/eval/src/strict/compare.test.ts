import { describe, expect, it } from 'vitest';
import { boxedAnswer } from './grade-answer.ts';
import { strictVerify, type StrictOptions } from './verify.ts';

/** Two isolated answers, read whole. */
const eq = (gold: string, pred: string, o: Partial<StrictOptions> = {}) => strictVerify(boxedAnswer(gold), boxedAnswer(pred), o).equal;

describe('strict comparison, by class', () => {
  it.each([
    // relations: flipped forms, proportional equations, the last side of a chain
    ['x \\leq 5', '5 \\geq x', true],
    ['x < 1', '-x > -1', true],
    ['x < 1', 'x > -1', false],
    ['x > 5', 'x < 5', false],
    ['2x+4y-3=0', 'y=-\\frac{1}{2}x+\\frac{3}{4}', true],
    ['x = 11', 'x = 5+5+1 = 11', true],
    ['11', 'x = 11', true],
    ['2x + z = 1', '1', false],
    ['(p,q)=(3,2)', '(3,2)', true],
    // numbers
    ['0.111', '0,111', true],
    ['14916', '14{,}916', true],
    ['\\frac{1}{12}', '0.0833333333333333', true],
    ['4', '4\\sqrt{2}', false],
    // sets in any order, tuples in order, intervals with their ends
    ['\\{1, 2, 3\\}', '\\{3, 1, 2\\}', true],
    ['-12;-11;-10', '\\{-10, -11, -12\\}', true],
    ['(1, 2, 3)', '(3, 2, 1)', false],
    ['[0,9)', '(0,9)', false],
    ['[0,9)', '[0,9)', true],
    ['1\\leq|z|\\leq \\frac{3}{2}', 'z \\in [-\\frac{3}{2}, -1] \\cup [1, \\frac{3}{2}]', true],
    // percentages are values: 28% is 0.28, not 28
    ['28\\%', '28 percent', true],
    ['28\\%', '0.28', true],
    ['28\\%', '28', false],
    // matrices whatever their brackets, cell by cell
    ['\\begin{bmatrix}0 & 0 \\\\0 & 0\\end{bmatrix}', '\\begin{pmatrix}0 & 0 \\\\0 & 0\\end{pmatrix}', true],
    ['\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}', '\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}', false],
    // units and text around the answer
    ['\\frac{1}{3}', '\\frac{1}{3} \\textbf{meters}', true],
    ['\\text{Evelyn}', 'Evelyn', true],
    // LaTeX variants
    ['\\frac{1}{3}', '\\cfrac{1}{3}', true],
    // functions: an assignment's value, identities
    ['f(x)=1', '1', true],
    ['\\tan^2(y)+1', '\\sec^2(y)', true],
  ])('%j vs %j -> %j', (gold, pred, want) => {
    expect(eq(gold, pred)).toBe(want);
  });

  it('rounds floats to the configured precision', () => {
    expect(eq('\\frac{8}{3}', '2.6667')).toBe(false);
    expect(eq('\\frac{8}{3}', '2.6667', { precision: 2 })).toBe(true);
  });

  it('matches variables by position only when not strict', () => {
    expect(eq('f(x)', 'f(y)')).toBe(false);
    expect(eq('f(x)', 'f(y)', { strict: false })).toBe(true);
  });

  it('compares a relation in the gold answer with a predicted set only when allowed', () => {
    expect(eq('x \\in [-2,7]', '-2 \\le x \\le 7')).toBe(false);
    expect(eq('x \\in [-2,7]', '-2 \\le x \\le 7', { allowSetRelationComp: true })).toBe(true);
    expect(eq('-2 \\le x \\le 7', 'x \\in [-2,7]')).toBe(true);
  });

  it('counts a comparison past its time limit as not equal, and says so', () => {
    const v = strictVerify(boxedAnswer('x^2 + 1'), boxedAnswer('1 + x^2 + 0'), { timeoutMs: -1 });
    expect(v).toMatchObject({ equal: false, timedOut: true });
  });

  it('compares two answers nothing can read by their text', () => {
    expect(eq('\\cdots', '\\cdots')).toBe(true);
    expect(eq('\\cdots', '\\ldots')).toBe(false);
  });
});
