/**
 * Random tensor values produced straight into their stored encoding, fast enough to write a 7B
 * checkpoint in minutes on one core: a xorshift32 generator indexes a table of normal quantiles,
 * so a BF16/F16 value costs a table load and half a generator step. Sampling by inverse CDF from
 * 65536 levels is a discretised normal, indistinguishable from the real one for a random init.
 */
import { f32ToBf16Bits, f32ToF16Bits, type FloatDtype } from '../safetensors/dtype.ts';
import type { TensorFill } from '../safetensors/stream-writer.ts';

/** Inverse of the standard normal CDF, Acklam's rational approximation (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

const LEVELS = 1 << 16;

/** Standard normal quantiles at (k + 0.5) / n, k = 0..n-1: equally likely levels. */
function quantiles(n: number): Float64Array {
  const q = new Float64Array(n);
  for (let k = 0; k < n; k++) q[k] = normalQuantile((k + 0.5) / n);
  return q;
}

let standard16: Float64Array | null = null;
let standard17: Float64Array | null = null;
const tables16 = new Map<string, Uint16Array>();

/** The 65536 levels scaled by `std`, as BF16 or F16 bit patterns. */
function table16(dtype: 'BF16' | 'F16', std: number): Uint16Array {
  const key = `${dtype}:${std}`;
  let t = tables16.get(key);
  if (!t) {
    standard16 ??= quantiles(LEVELS);
    const values = Float32Array.from(standard16, (x) => x * std);
    t = dtype === 'BF16' ? f32ToBf16Bits(values) : f32ToF16Bits(values);
    tables16.set(key, t);
  }
  return t;
}

/** A non-zero xorshift32 state for tensor `index` of a run seeded `seed` (splitmix-style mixing). */
export function streamSeed(seed: number, index: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b9) + Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b) >>> 0;
  z = (z ^ (z >>> 16)) >>> 0;
  return z === 0 ? 0x6d2b79f5 : z;
}

/**
 * Values from N(0, std²), encoded as `dtype`, from the xorshift32 stream seeded `state` (see
 * streamSeed). The stream continues across calls, so the values do not depend on chunk sizes.
 */
export function normalFill(dtype: FloatDtype, std: number, state: number): TensorFill {
  let s = state | 0;
  if (dtype === 'F32') {
    // 16 bits pick a level, 16 more interpolate to the next one: a continuous piecewise-linear inverse CDF
    standard17 ??= quantiles(LEVELS + 1);
    const q = Float32Array.from(standard17, (x) => x * std);
    return (out) => {
      const f = new Float32Array(out.buffer, out.byteOffset, out.length >> 2);
      for (let i = 0; i < f.length; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        const k = s >>> 16;
        const lo = q[k]!;
        f[i] = lo + (q[k + 1]! - lo) * (s & 0xffff) * (1 / 65536);
      }
    };
  }
  const table = table16(dtype, std);
  return (out) => {
    const u = new Uint16Array(out.buffer, out.byteOffset, out.length >> 1);
    const even = u.length & ~1;
    for (let i = 0; i < even; i += 2) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      u[i] = table[s >>> 16]!;
      u[i + 1] = table[s & 0xffff]!;
    }
    if (even < u.length) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      u[even] = table[s >>> 16]!;
    }
  };
}

/** Every value `value` (norm weights: ones), encoded as `dtype`. */
export function constantFill(dtype: FloatDtype, value: number): TensorFill {
  const f = Float32Array.of(value);
  if (dtype === 'F32') return (out) => new Float32Array(out.buffer, out.byteOffset, out.length >> 2).fill(value);
  const bits = (dtype === 'BF16' ? f32ToBf16Bits(f) : f32ToF16Bits(f))[0]!;
  return (out) => new Uint16Array(out.buffer, out.byteOffset, out.length >> 1).fill(bits);
}
