import { describe, expect, it } from 'vitest';
import { exprKey } from '../grader/expr.ts';
import { readStrictLatex } from './latex-reader.ts';
import { tokenizeStrict } from './latex-lexer.ts';

const read = (s: string) => {
  const e = readStrictLatex(s);
  return e ? exprKey(e) : null;
};

describe('readStrictLatex', () => {
  it.each([
    // intervals keep their ends; an empty one is a pair; three items are a tuple
    ['[0,1)', '(interval [ 0 1 ))'],
    ['(0,9)', '(interval ( 0 9 ))'],
    ['(3,1)', '(tuple 3 1)'],
    ['(1,2,3)', '(tuple 1 2 3)'],
    // lists are sets, in either separator; a grouped number is a number
    ['1,2,3', '(set 1 2 3)'],
    ['-12;-11;-10', '(set -10 -11 -12)'],
    ['10,455', '10455'],
    ['10, 455', '(set 10 455)'],
    ['\\{1\\pm\\sqrt{5},-2\\}', '(set (+ (- (sqrt 5)) 1) (+ (sqrt 5) 1) -2)'],
    ['\\{-1\\} \\cup [0,7)', '(union (set -1) (interval [ 0 7 )))'],
    // relations chain; x \in S and x = ... are equations of their symbol
    ['-2 \\le x \\le 7', '(and (<= -2 x) (<= x 7))'],
    ['x \\in [-2,7]', '(= x (interval [ -2 7 ]))'],
    ['(p,q)=(3,2)', '(= (tuple p q) (tuple 3 2))'],
    ['a=4,-8,-10', '(= a (set -10 -8 4))'],
    ['x = 5+5+1 = 11', '(and (= x (+ 1 5 5)) (= (+ 1 5 5) 11))'],
    ['x \\approx 1.3', '1.3'],
    // numbers: mixed fractions, percentages, a base subscript ignored, leading zeros dropped
    ['2\\frac{1}{2}', '(+ (/ 1 2) 2)'],
    ['28\\%', '(pct 28)'],
    ['204_5', '204'],
    ['004', '4'],
    ['90^\\circ', '90'],
    // symbols: \text is its content, lower-cased; e is Euler's number; f(x) a function
    ['\\text{Evelyn}', 'evelyn'],
    ['odd', '(* dd o)'],
    ['e^{2}', '(^ E 2)'],
    ['f(x)', '(?f x)'],
    ['\\log x', '(log x 10)'],
    ['\\begin{pmatrix}1 & 0 \\\\ 0 & 1\\end{pmatrix}', '(matrix [1 0] [0 1])'],
    ['\\begin{array}{cc}1 & 2 \\\\3 & 4\\end{array}', '(matrix [1 2] [3 4])'],
    // a chain that cannot be read is read from its last side
    ['x = \\cdots = 5', '5'],
  ])('%j -> %s', (s, want) => {
    expect(read(s)).toBe(want);
  });

  it('fails where latex2sympy2_extended raises', () => {
    for (const s of ['\\cdots', '1 +', '\\frac{1}{', '\\int_0^1 x dx', 'x \\notin [0,1]']) expect(readStrictLatex(s)).toBeNull();
  });

  it('lexes the longest command it knows, and refuses the others', () => {
    expect(tokenizeStrict('\\quadx')).toEqual([{ t: 'letter', v: 'x' }]);
    expect(tokenizeStrict('\\pix')).toEqual([
      { t: 'name', v: 'pi' },
      { t: 'letter', v: 'x' },
    ]);
    expect(tokenizeStrict('\\foo')[0]).toMatchObject({ t: 'err' });
  });
});
