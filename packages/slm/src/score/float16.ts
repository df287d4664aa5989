/**
 * IEEE 754 half precision, for score files half the size of float32 (Node 20 has no
 * Float16Array). Round to nearest even; NaN and ±Infinity survive. The conversions are core's
 * (safetensors F16); these wrap them for single values and score files.
 */
import { f16BitsToF32, f32ToF16Bits } from '@rho/core';

export function toHalfBits(x: number): number {
  return f32ToF16Bits(Float32Array.of(x))[0]!;
}

export function fromHalfBits(h: number): number {
  return f16BitsToF32(Uint16Array.of(h))[0]!;
}

export function encodeScores(values: Float32Array, dtype: 'float16' | 'float32'): Buffer {
  if (dtype === 'float32') return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  const bits = f32ToF16Bits(values);
  return Buffer.from(bits.buffer, bits.byteOffset, bits.byteLength);
}

export function decodeScores(buf: Buffer, dtype: 'float16' | 'float32'): Float32Array {
  if (dtype === 'float32') {
    const out = new Float32Array(buf.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
    return out;
  }
  const bits = new Uint16Array(buf.length / 2);
  for (let i = 0; i < bits.length; i++) bits[i] = buf.readUInt16LE(i * 2);
  return f16BitsToF32(bits);
}
