/**
 * Float32 weights into the ggml storage types the converter writes. Q8_0 follows ggml's reference
 * quantizer (quantize_row_q8_0_ref): blocks of 32 values, one F16 scale amax/127 per block, each
 * value round(x / scale) with halves away from zero, so llama.cpp reads back what it would have made.
 */
import { f16BitsToF32, f32ToBf16Bits, f32ToF16Bits } from '../safetensors/dtype.ts';
import { RhoError } from '../errors.ts';

export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 34;

export function f32Bytes(x: Float32Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

export function f16Bytes(x: Float32Array): Uint8Array {
  const h = f32ToF16Bits(x);
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

export function bf16Bytes(x: Float32Array): Uint8Array {
  const h = f32ToBf16Bits(x);
  return new Uint8Array(h.buffer, h.byteOffset, h.byteLength);
}

/** Q8_0 blocks of a tensor whose rows (its last dimension) are a multiple of 32 long. */
export function q8_0Bytes(x: Float32Array): Uint8Array {
  if (x.length % Q8_0_BLOCK !== 0) throw new RhoError('BAD_INPUT', `Q8_0 needs a multiple of ${Q8_0_BLOCK} values, got ${x.length}`);
  const blocks = x.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const scale = new Float32Array(1);
  for (let b = 0; b < blocks; b++) {
    const base = b * Q8_0_BLOCK;
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(x[base + j]!));
    scale[0] = amax / 127;
    const d = scale[0]!;
    const id = d ? Math.fround(1 / d) : 0;
    const o = b * Q8_0_BLOCK_BYTES;
    view.setUint16(o, f32ToF16Bits(scale)[0]!, true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const v = Math.fround(x[base + j]! * id);
      view.setInt8(o + 2 + j, Math.sign(v) * Math.round(Math.abs(v)));
    }
  }
  return out;
}

/** Q8_0 blocks back to float32 (tests, and the agreement benchmark's reference). */
export function q8_0ToF32(bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let b = 0; b < n / Q8_0_BLOCK; b++) {
    const o = b * Q8_0_BLOCK_BYTES;
    const d = f16BitsToF32(Uint16Array.of(view.getUint16(o, true)))[0]!;
    for (let j = 0; j < Q8_0_BLOCK; j++) out[b * Q8_0_BLOCK + j] = d * view.getInt8(o + 2 + j);
  }
  return out;
}
