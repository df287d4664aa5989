import { describe, expect, it } from 'vitest';
import { pyJsonDumps } from './pyjson.ts';
import { getTransform } from './transforms.ts';

// Expected strings are CPython 3.11's json.dumps output for the same values.
describe('pyJsonDumps', () => {
  it('writes what json.dumps writes', () => {
    const value = {
      q: 'café – 😀',
      n: [1, 2.5, -0.001, 1e-5, 0.0001, 1.5e-7, 1e-100, 123.456],
      b: true,
      z: null,
      e: [],
      o: {},
      c: 'tab\there "q" back\\slash \x7f \x1f',
    };
    expect(pyJsonDumps(value)).toBe(
      '{"q": "caf\\u00e9 \\u2013 \\ud83d\\ude00", "n": [1, 2.5, -0.001, 1e-05, 0.0001, 1.5e-07, 1e-100, 123.456], "b": true, "z": null, "e": [], "o": {}, ' +
        '"c": "tab\\there \\"q\\" back\\\\slash \\u007f \\u001f"}',
    );
  });
});

describe('tabmwp-jsonl transform', () => {
  const convert = getTransform('tabmwp-jsonl');

  it('orders by numeric pid, drops table_for_pd, appends pid', () => {
    const source = JSON.stringify({
      '10': { question: 'Q10', choices: null, table: 't', table_for_pd: { a: ['1'] }, row_num: 2 },
      '9': { question: 'Is it?', choices: ['yes', 'no'], table: 'a | b', table_for_pd: {}, row_num: 2 },
    });
    expect(Buffer.from(convert(Buffer.from(source), 'src.json')).toString('utf8')).toBe(
      '{"question": "Is it?", "choices": ["yes", "no"], "table": "a | b", "row_num": 2, "pid": "9"}\n' +
        '{"question": "Q10", "choices": null, "table": "t", "row_num": 2, "pid": "10"}\n',
    );
  });

  it('names the source when it is not JSON', () => {
    expect(() => convert(Buffer.from('{"1": '), 'problems_test1k.json')).toThrow(/not JSON/);
    expect(() => convert(Buffer.from('[1]'), 'problems_test1k.json')).toThrow(/keyed by pid/);
  });

  it('unknown transforms are an error listing the known ones', () => {
    expect(() => getTransform('gunzip')).toThrow(/unknown transform "gunzip"; known: tabmwp-jsonl/);
  });
});
