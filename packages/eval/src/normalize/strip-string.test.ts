/**
 * strip_string cases by category. Expected values are what the Python harness's strip_string
 * returns for each input (quirks included: word numbers, unit words, "and" removal).
 */
import { describe, expect, it } from 'vitest';
import { stripString } from './strip-string.ts';

const CASES: Record<string, [string, string][]> = {
  'whitespace and periods': [
    [' 42 ', '42'],
    ['42.', '42'],
    ['42...', '42'],
    ['\n7\n', '7'],
    ['3.14.', '3.14'],
  ],
  fractions: [
    ['\\dfrac{1}{2}', '\\frac{1}{2}'],
    ['\\tfrac{3}{4}', '\\frac{3}{4}'],
    ['\\frac12', '\\frac{1}{2}'],
    ['\\frac1{72}', '\\frac{1}{72}'],
    ['\\frac{1}{2}', '\\frac{1}{2}'],
    ['\\frac a b', '\\frac'],
    ['\\frac', '\\frac'],
    ['\\frac 3', '\\frac3'],
    ['2/3', '\\frac{2}{3}'],
    ['-2/3', '\\frac{-2}{3}'],
    ['02/3', '02/3'],
    ['1/2/3', '1/2/3'],
    ['\\sqrt{2}/2', '\\frac{\\sqrt{2}}{2}'],
    ['a/b', '/b'],
    ['1.5/2', '1.5/2'],
  ],
  sqrt: [
    ['\\sqrt3', '\\sqrt{3}'],
    ['\\sqrt{3}', '\\sqrt{3}'],
    ['2\\sqrt2', '2\\sqrt{2}'],
    ['\\sqrtx+1', '\\sqrt{x}+1'],
    ['\\sqrt[3]{8}', '\\sqrt[3]{8}'],
  ],
  'left right braces': [
    ['\\left(1,2\\right)', '(1,2)'],
    ['\\left[0,1\\right)', '[0,1)'],
    ['\\{1,2\\}', '{1,2}'],
    ['\\left\\{3\\right\\}', '{3}'],
  ],
  'units in text': [
    ['5\\text{ cm}', '5'],
    ['10 \\text{ dollars}', '10'],
    ['\\text{Evelyn}', 'Evelyn'],
    ['3\\text{ apples} + 2', '3+2'],
    ['\\text{(A)}', '(A)'],
    ['12\\mbox{ inches}', '12'],
    ['4\\text{ m}^2', '4^2'],
  ],
  'unit words': [
    ['5 cm', '5'],
    ['7 feet', '7'],
    ['3 hours', '3'],
    ['20 mph', '20'],
    ['9 sq m', '9'],
    ['6 apples', '6'],
    ['10 rs', '10'],
    ['100 meters', '100'],
    ['2 kg', '2'],
    ['12 inches', '12'],
    ['a 5', '5'],
    ['cost 5', 'cost5'],
  ],
  'degrees and dollars': [
    ['90^\\circ', '90'],
    ['45^{\\circ}', '45'],
    ['\\$5', '5'],
    ['$10$', '10'],
    ['\\$1,000', '1,000'],
  ],
  'word numbers': [
    ['one', '1'],
    ['twelve', '12'],
    ['twenty-one', '21'],
    ['one hundred', '100'],
    ['two thousand and five', '2005'],
    ['three point five', '3.5'],
    ['zero', '0'],
    ['point five', '0.5'],
    ['seven', '7'],
    ['One', '1'],
    ['million million', 'millionmillion'],
    ['x plus one', '1'],
    ['007', '7'],
    ['five and six', '11'],
    ['four hundred twenty', '420'],
  ],
  'text wrappers': [
    ['\\text{yes}', 'yes'],
    ['\\text{No}', 'No'],
    ['\\textbf{8}', '\\textbf{8}'],
    ['\\mbox{cm}5', '5'],
  ],
  'variable prefixes': [
    ['x=3', '3'],
    ['y = 4', '4'],
    ['k=5', '5'],
    ['x\\in[0,1]', '[0,1]'],
    ['ab=7', '7'],
    ['abc=8', 'abc=8'],
    ['x=1,y=2', '1,2'],
    ['a=b=c', '=b='],
  ],
  'sets and intervals': [
    ['\\emptyset', '{}'],
    ['(-\\infty,\\infty)', '\\mathbb{R}'],
    ['(-\\infty, 5]', '(-\\infty,5]'],
    ['[2, \\infty)', '[2,\\infty)'],
    ['(-inf, 3)', '(-\\infty,3)'],
    ['infinity', '\\infty'],
  ],
  percent: [
    ['50\\%', '50'],
    ['50%', '50'],
    ['12.5 \\%', '12.5'],
    ['100 percent', '100'],
  ],
  'leading dot': [
    ['.5', '0.5'],
    [' .5', '0.5'],
    ['{.5}', '{0.5}'],
    ['x .25', 'x0.25'],
  ],
  'trailing zeros': [
    ['2.0', '2'],
    ['2.50', '2.50'],
    ['3.000x', '3x'],
    ['10.00', '10'],
    ['1.05', '1.05'],
    ['100', '100'],
    ['2.0.0', '2'],
  ],
  'and and j': [
    ['2 and 3', '23'],
    ['band', 'b'],
    ['3j', '3i'],
    ['2i+3j', '2i+3j'],
    ['j', 'i'],
  ],
  matrices: [
    ['\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}'],
    ['\\begin{array}{cc}1&2\\\\3&4\\end{array}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}'],
    ['\\begin{pmatrix}1\\\\2\\end{pmatrix}', '\\begin{pmatrix}1\\\\2\\end{pmatrix}'],
  ],
  spaces: [
    ['1 000', '1000'],
    ['a + b', 'b'],
    ['\\frac {1} {2}', '\\frac{1}{2}'],
    ['\\! 5', '5'],
  ],
  misc: [
    ['', ''],
    ['None', 'None'],
    ['-', '-'],
    ['(3)', '(3)'],
    ['{5}', '{5}'],
    ['[7]', '[7]'],
    ['\\mathbf{v}', '{v}'],
    ['mean=5', 'mean=5'],
    ['5.', '5'],
    ['\\infty', '\\infty'],
    ['e^{i\\pi}', 'e^{i\\pi}'],
  ],
};

describe('stripString', () => {
  for (const [category, rows] of Object.entries(CASES)) {
    describe(category, () => {
      it.each(rows)('%j -> %j', (input, expected) => {
        expect(stripString(input)).toBe(expected);
      });
    });
  }
});
