/**
 * Conversions between float32 and the 16-bit float formats safetensors holds. Rounding is
 * round-to-nearest-even, as PyTorch's `.to(torch.bfloat16)` / `.half()` do, so a tensor written here
 * equals one written by PyTorch from the same float32 values.
 */

export type FloatDtype = 'F32' | 'F16' | 'BF16';
export const FLOAT_DTYPES: readonly FloatDtype[] = ['F32', 'F16', 'BF16'];
export const DTYPE_BYTES: Record<FloatDtype, number> = { F32: 4, F16: 2, BF16: 2 };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function bf16BitsToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

export function f32ToBf16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) {
      out[i] = (x >>> 16) | 0x40; // keep NaN a (quiet) NaN
    } else {
      out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
    }
  }
  return out;
}

export function f16BitsToF32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfToFloat(src[i]!);
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function f32ToF16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = floatToHalf(src[i]!);
  return out;
}

function floatToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // subnormal half: shift the mantissa (with its implicit 1) into place, rounding to nearest even
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let r = mant >>> shift;
    if (rest > half || (rest === half && r & 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && r & 1)) r++; // may carry into the exponent: that is correct
  return sign | r;
}

/** Decode little-endian tensor bytes of a dtype to float32 (copies, so any alignment works). */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const n = bytes.length / DTYPE_BYTES[dtype];
  const aligned = new Uint8Array(bytes.length);
  aligned.set(bytes);
  if (dtype === 'F32') return new Float32Array(aligned.buffer, 0, n);
  const u16 = new Uint16Array(aligned.buffer, 0, n);
  return dtype === 'BF16' ? bf16BitsToF32(u16) : f16BitsToF32(u16);
}

/** Encode float32 values as little-endian bytes of a dtype. */
export function encodeFloats(data: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const u16 = dtype === 'BF16' ? f32ToBf16Bits(data) : f32ToF16Bits(data);
  return new Uint8Array(u16.buffer, u16.byteOffset, u16.byteLength);
}
