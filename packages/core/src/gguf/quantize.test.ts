import { describe, expect, it } from 'vitest';
import { f16BitsToF32 } from '../safetensors/dtype.ts';
import { q8_0Bytes, q8_0ToF32, Q8_0_BLOCK_BYTES } from './quantize.ts';

describe('Q8_0', () => {
  it('stores each block of 32 as an F16 scale amax/127 and int8 values, halves rounded away from zero', () => {
    const x = new Float32Array(32);
    x[0] = 127;
    x[1] = -0.5;
    x[2] = 0.5;
    x[3] = 1.49;
    x[4] = -127;
    const q = q8_0Bytes(x);
    expect(q.length).toBe(Q8_0_BLOCK_BYTES);
    const view = new DataView(q.buffer);
    expect(f16BitsToF32(Uint16Array.of(view.getUint16(0, true)))[0]).toBe(1);
    expect([0, 1, 2, 3, 4].map((j) => view.getInt8(2 + j))).toEqual([127, -1, 1, 1, -127]);
  });

  it('reads back within half a step of each block (plus the F16 rounding of its scale), and an all-zero block as zeros', () => {
    const x = Float32Array.from({ length: 96 }, (_, i) => (i < 32 ? 0 : Math.sin(i * 1.7) * (i < 64 ? 0.01 : 3)));
    const y = q8_0ToF32(q8_0Bytes(x), x.length);
    for (let b = 0; b < 3; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      for (let j = 0; j < 32; j++) expect(Math.abs(y[b * 32 + j]! - x[b * 32 + j]!)).toBeLessThanOrEqual((amax / 127) * 0.5 + amax * 2 ** -11 + 1e-12);
    }
    expect([...y.subarray(0, 32)].every((v) => v === 0)).toBe(true);
  });

  it('refuses a length that is not a whole number of blocks', () => {
    expect(() => q8_0Bytes(new Float32Array(40))).toThrow(/multiple of 32/);
  });
});
