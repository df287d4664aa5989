import { describe, expect, it } from 'vitest';
import { pyRstrip, pyStrip } from '../normalize/python.ts';
import { truncate } from './truncate.ts';

describe('harness post-processing', () => {
  it('keeps 200 + "..." + 200 characters of anything longer than 400', () => {
    const s = 'a'.repeat(200) + 'b'.repeat(100) + 'c'.repeat(200);
    expect(truncate(s)).toBe(`${'a'.repeat(200)}...${'c'.repeat(200)}`);
    expect(truncate('x'.repeat(400))).toBe('x'.repeat(400));
  });
  it('strips whitespace as Python does', () => {
    expect(pyStrip(' \n\t x y \r\n\x0b\x0c')).toBe('x y');
    expect(pyRstrip('  x \n')).toBe('  x');
    // a program's output keeps a byte-order mark at its ends, as Python's str.strip() keeps it
    expect(pyStrip('\ufeff42\ufeff\n')).toBe('\ufeff42\ufeff');
  });
});
