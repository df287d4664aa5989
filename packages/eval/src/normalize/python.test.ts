/** Python built-ins re-implemented for fidelity: expected values are what CPython prints. */
import { describe, expect, it } from 'vitest';
import { pyFloat, pyFloatRepr, pyStrip } from './python.ts';
import { convertWordNumber } from './word-number.ts';

describe('pyFloat (float(str))', () => {
  it.each([
    ['5', 5],
    [' 5 ', 5],
    ['-2.5', -2.5],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['1e3', 1000],
    ['1E-2', 0.01],
    ['1_000', 1000],
    ['inf', Infinity],
    ['-Infinity', -Infinity],
  ] as [string, number][])('accepts %j', (s, v) => {
    expect(pyFloat(s)).toBe(v);
  });
  it.each(['', '1,000', '0x10', '1__0', '_1', '1.2.3', 'abc', '5%', '--5', '.'])('rejects %j', (s) => {
    expect(pyFloat(s)).toBeNull();
  });
});

describe('pyFloatRepr (repr(float))', () => {
  it.each([
    [1e16, '1e+16'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [43, '43.0'],
    [1.5, '1.5'],
    // biome-ignore lint/correctness/noPrecisionLoss: repr of the double a long literal rounds to is the case
    [123456789012345678901, '1.2345678901234568e+20'],
    [1 / 3, '0.3333333333333333'],
    [-0, '-0.0'],
    [2.5e-7, '2.5e-07'],
    [9999999999999998, '9999999999999998.0'],
    [1e22, '1e+22'],
    [100, '100.0'],
  ] as [number, string][])('%d -> %s', (x, s) => {
    expect(pyFloatRepr(x)).toBe(s);
  });
});

describe('pyStrip', () => {
  it('strips given characters from both ends only', () => {
    expect(pyStrip('[(1,2)]', '[]()')).toBe('1,2');
    expect(pyStrip('\u00a0 x \t')).toBe('x');
  });
});

describe('convertWordNumber (word2number)', () => {
  it.each([
    ['one', '1'],
    ['twenty one', '21'],
    ['one hundred and five', '105'],
    ['two million three thousand nine hundred and eighty four', '2003984'],
    ['three point one four', '3.14'],
    ['point', '0'],
    ['hundred', '100'],
    ['nine hundred ninety nine', '999'],
    ['one two', '3'],
    ['12', '12'],
    ['007', '7'],
    ['one thousand one hundred', '1100'],
  ])('%j -> %j', (s, out) => {
    expect(convertWordNumber(s)).toBe(out);
  });
  it.each(['thousand thousand', 'five million four billion', 'x', '\\frac{1}{2}', '-5'])('leaves %j unchanged', (s) => {
    expect(convertWordNumber(s)).toBe(s);
  });
});

describe('long inputs', () => {
  it('normalises a long answer with many \\text{ groups without a quadratic scan', async () => {
    const { stripString } = await import('./strip-string.ts');
    const long = `${'\\text{a'.repeat(20000)}}`;
    expect(typeof stripString(long)).toBe('string');
    expect(stripString('5\\text{ cm}\\text{ long}')).toBe('5');
  });
});
