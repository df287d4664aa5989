import { describe, expect, it } from 'vitest';
import { pyStrip } from '../normalize/python.ts';
import { parsePyStringList, pyCapitalizeFirst, pyRepr, pyReprStr } from './pytext.ts';

// Expected values are what CPython 3.11 prints for the same inputs.
describe('pyStrip', () => {
  it('strips Python whitespace, not JS whitespace', () => {
    expect(pyStrip(' \t\x1c a b \x85\n')).toBe('a b');
    expect(pyStrip('\ufeffx\ufeff')).toBe('\ufeffx\ufeff');
    expect(pyStrip('\u3000x\u00a0')).toBe('x');
  });
});

describe('pyReprStr', () => {
  it.each([
    ['abc', "'abc'"],
    ["men's", `"men's"`],
    [`a'b"c`, `'a\\'b"c'`],
    ['a\\b', "'a\\\\b'"],
    ['line\nnext\t', "'line\\nnext\\t'"],
    ['\x07', "'\\x07'"],
    ['cm ²', "'cm ²'"],
    ['\u200b', "'\\u200b'"],
    ['x\u00a0y', "'x\\xa0y'"],
  ])('%j -> %s', (input, expected) => {
    expect(pyReprStr(input)).toBe(expected);
  });

  it('formats lists and None like Python', () => {
    expect(pyRepr(['yes', 'no'])).toBe("['yes', 'no']");
    expect(pyRepr([])).toBe('[]');
    expect(pyRepr(null)).toBe('None');
    expect(pyRepr([1, 2.5, true])).toBe('[1, 2.5, True]');
  });
});

describe('parsePyStringList', () => {
  it('reads list literals with either quote and escapes', () => {
    expect(parsePyStringList(`['a ) 1', "b ) it's", 'c \\'q\\'', 'd\\u00b2', 'e\\\\f']`)).toEqual(['a ) 1', "b ) it's", "c 'q'", 'd²', 'e\\f']);
    expect(parsePyStringList('[ ]')).toEqual([]);
    expect(parsePyStringList("['x',]")).toEqual(['x']);
  });

  it('refuses anything that is not a list of strings', () => {
    expect(() => parsePyStringList("['a', 1]")).toThrow(/not a Python list/);
    expect(() => parsePyStringList("__import__('os')")).toThrow(/not a Python list/);
    expect(() => parsePyStringList("['a'")).toThrow(/not a Python list/);
    expect(() => parsePyStringList("['a'] + ['b']")).toThrow(/trailing/);
  });
});

describe('pyCapitalizeFirst', () => {
  it('uppercases the first code point only', () => {
    expect(pyCapitalizeFirst('if x')).toBe('If x');
    expect(pyCapitalizeFirst('ßa')).toBe('SSa');
    expect(pyCapitalizeFirst('')).toBe('');
  });
});
