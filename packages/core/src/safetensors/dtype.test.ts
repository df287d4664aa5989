import { describe, expect, it } from 'vitest';
import { bf16BitsToF32, f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from './dtype.ts';

const isNanBits16 = (h: number, expMask: number, fracMask: number) => (h & expMask) === expMask && (h & fracMask) !== 0;

describe('16-bit float conversions', () => {
  it('every F16 bit pattern survives F16 -> F32 -> F16', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToF16Bits(f16BitsToF32(all));
    const wrong = [...all].filter((i) => !isNanBits16(i, 0x7c00, 0x3ff) && back[i] !== i);
    expect(wrong).toEqual([]);
  });

  it('every BF16 bit pattern survives BF16 -> F32 -> BF16', () => {
    const all = new Uint16Array(65536).map((_, i) => i);
    const back = f32ToBf16Bits(bf16BitsToF32(all));
    const wrong = [...all].filter((i) => !isNanBits16(i, 0x7f80, 0x7f) && back[i] !== i);
    expect(wrong).toEqual([]);
  });

  it('known values and round-to-nearest-even', () => {
    expect([...f32ToF16Bits(new Float32Array([1, -2, 65504, 70000, 2 ** -24, 0.1]))]).toEqual([0x3c00, 0xc000, 0x7bff, 0x7c00, 0x0001, 0x2e66]);
    expect([...f32ToBf16Bits(new Float32Array([1, -2, 3.140625]))]).toEqual([0x3f80, 0xc000, 0x4049]);
    // 1 + 2^-8 is exactly halfway between bf16 neighbours 1 and 1+2^-7: ties go to the even one (1).
    expect(f32ToBf16Bits(new Float32Array([1 + 2 ** -8]))[0]).toBe(0x3f80);
    expect(f32ToBf16Bits(new Float32Array([1 + 3 * 2 ** -8]))[0]).toBe(0x3f82);
    // 1 + 2^-11 is halfway between f16 1 and 1+2^-10: even is 1.
    expect(f32ToF16Bits(new Float32Array([1 + 2 ** -11]))[0]).toBe(0x3c00);
    expect(f32ToF16Bits(new Float32Array([1 + 3 * 2 ** -11]))[0]).toBe(0x3c02);
    expect(Number.isNaN(f16BitsToF32(f32ToF16Bits(new Float32Array([NaN])))[0])).toBe(true);
    expect(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(new Float32Array([NaN])))[0])).toBe(true);
  });
});
