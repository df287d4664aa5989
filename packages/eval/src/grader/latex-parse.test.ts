/**
 * What sympy's parse_latex (sympy 1.14 grammar, run locally) makes of awkward inputs: null where
 * it raises, else the value of the constant it returns.
 */
import { describe, expect, it } from 'vitest';
import { evaluate } from './evaluate.ts';
import { freeSymbols } from './expr.ts';
import { parseLatex, parseLatex2Sympy } from './latex-parse.ts';

function value(s: string): number | null | 'symbolic' {
  const e = parseLatex(s);
  if (!e) return null;
  if (freeSymbols(e).size > 0) return 'symbolic';
  return evaluate(e, new Map()).re;
}

describe('parseLatex (sympy stand-in)', () => {
  it.each([
    ['2,3', 2],
    ['1,000', 1000],
    ['12,000.', 12],
    ['12.', 1],
    ['1.25.', 1.2],
    ['1.253.', 1.25],
    ['1.3.', 1.3],
    ['2 3.', 2],
    ['\\frac{1}{2}.', 0.5],
    ['\\frac12', 0.5],
    ['2x3', 6],
    ['2^{10}', 1024],
    ['3!', 6],
    ['\\binom{5}{2}', 10],
    ['\\sqrt[3]{8}', 2],
    ['|-3|', 3],
    ['\\lfloor 2.5 \\rfloor', 2],
    ['(2.)', null],
    ['2.', null],
    ['x+2.', null],
    ['2\\cdot 3.', null],
    ['2^3.', null],
    ['5.x', null],
    ['(1,2)', null],
    ['\\sqrt2', null],
    ['2 \\% 3', null],
    ['\\$5', null],
    ['1\\\\2', null],
    ['Evelyn.Ihopeitiscorrect', 'symbolic'],
    ['\\displaystyle\\frac{3}{4}', 'symbolic'],
    ['\\text{yes}', 'symbolic'],
    ['x^-1', 'symbolic'],
    ['\\frac{\\pi}{2}', 'symbolic'],
    ['x(x+1)', 'symbolic'],
    ['dx', 'symbolic'],
  ] as [string, number | null | 'symbolic'][])('%j -> %j', (s, expected) => {
    const v = value(s);
    if (typeof expected === 'number' && typeof v === 'number') expect(v).toBeCloseTo(expected, 12);
    else expect(v).toBe(expected);
  });

  it('reads "Evelyn." as the product of its letters, like "Evelyn"', () => {
    expect(parseLatex('Evelyn.Ihopeitiscorrect')).toEqual(parseLatex('Evelyn'));
  });
});

describe('parseLatex2Sympy (the last fallback)', () => {
  it('reads matrices and a constant pi', () => {
    expect(parseLatex2Sympy('\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}')?.k).toBe('matrix');
    const pi = parseLatex2Sympy('\\pi');
    expect(pi && evaluate(pi, new Map()).re).toBeCloseTo(Math.PI, 12);
  });
  it('ignores trailing text as latex2sympy2 does (its start rule has no EOF), but not a lexer error', () => {
    expect(parseLatex2Sympy('x.')).toEqual({ k: 'sym', name: 'x' });
    expect(parseLatex2Sympy('x}')).toEqual({ k: 'sym', name: 'x' });
    expect(parseLatex2Sympy('x?')).toBeNull();
  });
});
