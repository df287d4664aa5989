import { describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { bytes, int, nonNegativeInt, num, oneOf, positiveInt } from './options.ts';

/** The RhoError a parser throws on `text`. */
function refusal(parse: (t: string) => unknown, text: string): RhoError {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(RhoError);
    return e as RhoError;
  }
  throw new Error(`accepted ${text}`);
}

describe('option parsers', () => {
  it('read integers in their range and name the flag and the text otherwise', () => {
    expect(positiveInt('--steps')('12')).toBe(12);
    expect(nonNegativeInt('--seed')('0')).toBe(0);
    expect(int('--strict-precision', { min: 0, max: 20 })('20')).toBe(20);
    for (const bad of ['0', '-3', '1.5', '', ' ', 'x', '1e400'])
      expect(refusal(positiveInt('--steps'), bad).message).toBe(`--steps must be an integer >= 1, got ${bad}`);
    expect(refusal(nonNegativeInt('--seed'), '-1').message).toBe('--seed must be an integer >= 0, got -1');
    const e = refusal(int('--strict-precision', { min: 0, max: 20 }), '21');
    expect(e.code).toBe('BAD_CONFIG');
    expect(e.message).toBe('--strict-precision must be an integer in [0, 20], got 21');
    expect(e.context).toMatchObject({ flag: '--strict-precision', got: '21' });
    expect(e.describe()).toBe(e.message);
  });

  it('read numbers in open and closed ranges', () => {
    expect(num('--top-p', { min: 0, max: 1 })('0.95')).toBe(0.95);
    expect(num('--ratio')('-2.5')).toBe(-2.5);
    expect(refusal(num('--top-p', { min: 0, max: 1 }), '1.5').message).toBe('--top-p must be a number in [0, 1], got 1.5');
    expect(refusal(num('--timeout', { gt: 0, max: 600 }, 'seconds'), '0').message).toBe('--timeout must be a number of seconds in (0, 600], got 0');
    expect(refusal(num('--t', { gt: 0, lt: 10 }), 'NaN').message).toBe('--t must be a number in (0, 10), got NaN');
    expect(refusal(num('--t', { gt: 0 }), '').message).toBe('--t must be a number > 0, got ');
  });

  it('read sizes with binary units', () => {
    const kv = bytes('--kv-mem');
    expect(kv('8G')).toBe(8 * 2 ** 30);
    expect(kv('512M')).toBe(512 * 2 ** 20);
    expect(kv('1.5GiB')).toBe(1.5 * 2 ** 30);
    expect(kv('4MiB')).toBe(4 * 2 ** 20);
    expect(kv('4096')).toBe(4096);
    for (const bad of ['', 'lots', '-1G', '0', '3X']) expect(() => kv(bad)).toThrow(`--kv-mem must be a size such as 8G or 512M, got '${bad}'`);
  });

  it('read one of a set of choices', () => {
    const grader = oneOf('--grader', ['harness', 'strict', 'both']);
    expect(grader('strict')).toBe('strict');
    expect(refusal(grader, 'sympy').message).toBe('--grader must be one of harness, strict, both, got sympy');
  });
});
