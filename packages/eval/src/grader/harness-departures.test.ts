/**
 * Inputs on which the grader once departed from the Python harness, each with the harness's
 * verdict. Every verdict was produced by running grader.py's math_equal(pred, gt) from
 * ZubinGou/math-evaluation-harness on its pinned stack (sympy 1.12, antlr4 4.11.1's Python
 * runtime, ZubinGou/latex2sympy, w2n), and the reason is worked out from that code in each comment:
 * _parse tries parse_latex, parse_expr, latex2sympy; then str(a) == str(b) or a == b; then
 * a.equals(b) or simplify(a - b) == 0; then abs(a.lhs - a.rhs).equals(abs(b.lhs - b.rhs)); then
 * float(N(a)) vs float(N(b)).
 */
import { describe, expect, it } from 'vitest';
import { isEquivalent } from './index.ts';
import { mathEqual } from './math-equal.ts';
import { parseLatex } from './latex-parse.ts';
import { symbolicEqual } from './symbolic.ts';

type Case = [pred: string, gt: string, harness: boolean];

const check = (cases: Case[]) =>
  it.each(cases)('%j vs %j -> %j', (pred, gt, harness) => {
    expect(mathEqual(pred, gt).equal).toBe(harness);
  });

describe('1. what the parser cannot read fails the symbolic step, never grades a prefix', () => {
  // parse_latex reads x - Sum(k, (k, 0, n)), x + Integral(t, (t, 0, 1)) and 2 + Product(...);
  // nothing makes those equal to x or 2. The project reads sums and products over integer
  // bounds; it does not implement \int or \lim, so its parse must fail there (not stop and read
  // "x"), which can only turn the harness's "equal" into "not equal", never the reverse.
  check([
    ['x - \\sum_{k=0}^{n} k', 'x', false],
    ['x+\\int_0^1 t\\,dt', 'x', false],
    ['2 + \\prod_{k=1}^3 k', '2', false],
    ['x \\sum_{k=1}^{3} k', 'x', false],
    ['y = \\lim_{n \\to \\infty} n', 'y', false],
    // Sum and Product over numbers evaluate (float(N(...)) or simplify)
    ['\\sum_{k=1}^{3} k', '6', true],
    ['\\sum_{k=1}^3 k + 1', '7', true],
    ['\\prod_{k=1}^{4} k', '24', true],
    ['\\sum_{k=1}^{3} \\frac{1}{k}', '\\frac{11}{6}', true],
    ['x+\\sum_{k=1}^{3} k', 'x+6', true],
    // the same sum with another bound variable: sum_simplify cancels them
    ['\\sum_{i=1}^{n} i', '\\sum_{k=1}^{n} k', true],
    // sympy's simplify does not evaluate a sum with a symbolic bound
    ['\\sum_{k=1}^{n} k', '\\frac{n(n+1)}{2}', false],
    ['\\prod_{k=1}^{n} k', 'n!', false],
  ]);
  it('parseLatex refuses a string holding a construct it does not read', () => {
    for (const s of ['x+\\int_0^1 t\\,dt', '\\lim_{n\\to 0} n', 'x - \\lim_{n\\to 0} n', '1 + \\langle x|']) {
      expect(parseLatex(s)).toBeNull();
    }
  });
  it('two identical unreadable strings are still equal, as str(a) == str(b) is for the harness', () => {
    expect(symbolicEqual('\\int_0^1 t\\,dt', '\\int_0^1 t\\,dt')).toBe(true);
  });
});

describe('2. relations: |lhs - rhs| for any two relations', () => {
  check([
    // Abs(x - 1) and Abs(-x + 1) are equal: the relation kinds are never compared
    ['x<1', '-x>-1', true],
    ['x>1', 'x<1', true],
    ['x\\leq 3', 'x \\geq 3', true],
    ['x<=2', 'x>=2', true],
    ['x\\neq 1', '1 \\neq x', true],
    // Abs(2x - 2) is not Abs(x - 1); Abs(y - 2) is not Abs(y - 3)
    ['2x<2', 'x<1', false],
    ['y > 2', 'y < 3', false],
    ['x<1', 'x<2', false],
    // a relation against a plain expression: the expression has no .lhs
    ['x<1', '1', false],
  ]);
});

describe('3. chained equalities are sympy booleans', () => {
  // parse_latex is left-recursive: z=1+1=2 is Eq(Eq(z, 2), 2). is_eq: a Boolean against a
  // non-Symbol is False, so it evaluates to false, and str(False) == str(False).
  check([
    ['z=1+1=2', 'y=3=4', true],
    ['a=1=1', 'b=2=2', true],
    ['x=y=2', 'x=z=2', true],
    ['x = 1+1 = 2', 'x = 2 = 2', true],
    // false is not Eq(x, 2), nor the number 0
    ['x=2=2', 'x=2', false],
    ['x=2=2', '0', false],
    // Eq(Eq(a, b), c): c is a Symbol, so sympy leaves both unevaluated, and they differ
    ['a=b=c', 'd=e=f', false],
    // Lt(Eq(x, 2), 3) raises, so parse_latex fails on both; latex2sympy's readings differ
    ['x=2<3', 'y=1<4', false],
  ]);
});

describe('4. thin spaces, sets, logarithm bases, square roots', () => {
  describe('sympy lexes one token per digit and drops \\, \\! and spaces between them', () => {
    check([
      ['10\\,000', '10000', true],
      ['1\\,000\\,000', '1000000', true],
      ['10\\!000', '10000', true],
      ['10\\,000.5', '10000.5', true],
      ['5 6', '56', true],
      ['1 , 000', '1000', true],
      // {,} is a group, not a separator: parse_latex stops after 10
      ['10{,}000', '10000', false],
      ['10\\,000', '1000', false],
    ]);
  });
  describe('sets in braces: parse_expr reads a Python set, and sets compare without order', () => {
    const normalised = (cases: Case[]) =>
      it.each(cases)('%j vs %j -> %j (after strip_string)', (pred, gt, harness) => {
        expect(isEquivalent(pred, gt).equal).toBe(harness);
      });
    normalised([
      ['\\{1,2,3\\}', '\\{3,2,1\\}', true],
      ['\\{-1, 2\\}', '\\{2, -1\\}', true],
      ['\\{x, y\\}', '\\{y, x\\}', true],
      ['\\{1,1,2\\}', '\\{2,1\\}', true],
      ['\\{1,2\\}', '\\{1,3\\}', false],
      // backslashes keep parse_expr out; latex2sympy gives lists, which keep their order
      ['\\{\\frac12, 3\\}', '\\{3,\\frac12\\}', false],
    ]);
    check([
      ['{1,2,3}', '{3,2,1}', true],
      ['{1,2}', '{1,2,3}', false],
    ]);
  });
  describe('logarithms with a base: log(8, 2) is 3; the subscript number leaves a digit for the argument', () => {
    check([
      ['\\log_2 8', '3', true],
      ['\\log_{2} 8', '3', true],
      ['\\log_28', '3', true],
      ['\\log_42', '\\frac{1}{2}', true],
      ['\\log_2 8', '4', false],
      // the spaced digits of "5 125" are one number to sympy: base 512, argument 5
      ['\\log_5 125', '3', false],
      // \ln e is log(e, E) with e a plain symbol in parse_latex, not 1
      ['\\ln e', '1', false],
    ]);
  });
  describe('sympy symbols are complex: \\sqrt{x^2} is not x', () => {
    check([
      ['\\sqrt{x^2}', 'x', false],
      ['\\sqrt{x^2}', '|x|', false],
      ['\\sqrt{4x^2}', '2x', false],
      ['(x^2)^{1/2}', 'x', false],
      ['|x|', 'x', false],
      ['\\sqrt{xy}', '\\sqrt{x}\\sqrt{y}', false],
      ['\\ln(xy)', '\\ln x+\\ln y', false],
      ['\\log x^2', '2\\log x', false],
      ['x^{2/3}', '\\sqrt[3]{x^2}', false],
      // root(-8, 3) is the principal root 1 + sqrt(3) i
      ['\\sqrt[3]{-8}', '-2', false],
      // identities that hold for every complex value stay equal
      ['\\sqrt{x}^2', 'x', true],
      ['\\sqrt{x}\\sqrt{x}', 'x', true],
      ['e^{x}e^{y}', 'e^{x+y}', true],
      ['\\sin^2 x+\\cos^2 x', '1', true],
      ['(x+1)^2', 'x^2+2x+1', true],
      ['\\frac{1}{x}+\\frac{1}{y}', '\\frac{x+y}{xy}', true],
      ['\\sqrt{8}', '2\\sqrt{2}', true],
    ]);
  });
});

describe('the sample-point evaluator', () => {
  // Pairs that agree for positive reals but differ at some complex (or negative) value: none may
  // be judged equal.
  it.each([
    ['\\sqrt{x^2}', 'x'],
    ['|x|', 'x'],
    ['|x|^2', 'x^2'],
    ['\\overline{x}', 'x'],
    ['\\sqrt{x}\\sqrt{y}', '\\sqrt{xy}'],
    ['\\ln x + \\ln y', '\\ln(xy)'],
    ['\\frac{\\sqrt{x}}{\\sqrt{y}}', '\\sqrt{\\frac{x}{y}}'],
    ['(xy)^{1/3}', 'x^{1/3}y^{1/3}'],
    ['\\arcsin(\\sin x)', 'x'],
  ])('%j differs from %j somewhere', (a, b) => {
    expect(symbolicEqual(a, b)).toBe(false);
    expect(symbolicEqual(b, a)).toBe(false);
  });
});
