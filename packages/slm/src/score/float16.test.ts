import { describe, expect, it } from 'vitest';
import { decodeScores, encodeScores, fromHalfBits, toHalfBits } from './float16.ts';

describe('float16', () => {
  it('encodes known half-precision bit patterns', () => {
    // Reference bit patterns from the IEEE 754 binary16 definition.
    const table: Array<[number, number]> = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [2 ** -14, 0x0400],
      [2 ** -24, 0x0001],
      [1 / 3, 0x3555],
      [Infinity, 0x7c00],
      [1e6, 0x7c00],
      [1 + 2 ** -11, 0x3c00],
      [1 + 3 * 2 ** -11, 0x3c02],
    ];
    for (const [x, bits] of table) expect([x, toHalfBits(x)]).toEqual([x, bits]);
    expect(Number.isNaN(fromHalfBits(toHalfBits(Number.NaN)))).toBe(true);
  });

  it('round-trips losses within half precision', () => {
    const xs = Float32Array.from({ length: 1000 }, (_, i) => (i * 0.0137) % 12);
    const back = decodeScores(encodeScores(xs, 'float16'), 'float16');
    for (let i = 0; i < xs.length; i++) expect(Math.abs(back[i]! - xs[i]!)).toBeLessThanOrEqual(Math.max(xs[i]! * 2 ** -11, 2 ** -24));
    expect(decodeScores(encodeScores(xs, 'float32'), 'float32')).toEqual(xs);
    // Every finite half value decodes and re-encodes to itself.
    for (let h = 0; h < 0x7c00; h += 7) expect(toHalfBits(fromHalfBits(h))).toBe(h);
  });
});
