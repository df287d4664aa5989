import { describe, expect, it } from 'vitest';
import { parseJsonl } from './jsonl.ts';

describe('parseJsonl', () => {
  it('skips blank lines and parses objects', () => {
    expect(parseJsonl('{"a":1}\n\n{"a":2}\n', 'x.jsonl')).toEqual([{ a: 1 }, { a: 2 }]);
  });
  it('names file and line of a malformed line', () => {
    expect(() => parseJsonl('{"a":1}\n{oops\n', 'x.jsonl')).toThrow(/line 2/);
    try {
      parseJsonl('{"a":1}\n{oops\n', 'x.jsonl');
    } catch (e) {
      expect((e as { context: { file: string; line: number } }).context).toMatchObject({ file: 'x.jsonl', line: 2 });
    }
  });
  it('drops a torn last line only when asked', () => {
    expect(parseJsonl('{"a":1}\n{"a":', 'x.jsonl', { allowTornTail: true })).toEqual([{ a: 1 }]);
    expect(() => parseJsonl('{"a":1}\n{"a":', 'x.jsonl')).toThrow(/line 2/);
  });
});
