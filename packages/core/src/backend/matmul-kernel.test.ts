import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installBackendKernels, registerAllGradients } from './index.ts';
import { DEFAULT_THRESHOLDS, gemmCaps, nativeMatmulKernels, routeGemm, type GemmRoute } from './matmul-kernel.ts';
import { loadNativeKernels } from './native.ts';
import { resetPrecision, setPrecision } from './precision.ts';

const native = loadNativeKernels();
// In CI the addon must have been built (libopenblas-dev installed); elsewhere its absence skips.
const run = native.ok || process.env.CI ? describe : describe.skip;
const caps = native.ok ? gemmCaps(native.kernels) : { onednn: false, bf16: false };
if (native.ok && !caps.bf16) console.warn(`matmul-kernel.test: BF16 products skipped: oneDNN ${native.kernels.dnnlInfo().isa}`);

describe('routeGemm', () => {
  const all = { onednn: true, bf16: true };
  it('sends large products to oneDNN, in BF16 only when asked and where it pays', () => {
    expect(routeGemm(2048, 1024, 384, 'bf16', all)).toBe('onednn-bf16');
    expect(routeGemm(2048, 1024, 384, 'fp32', all)).toBe('onednn-f32');
    expect(routeGemm(2048, 1024, 384, 'bf16', { onednn: true, bf16: false })).toBe('onednn-f32');
    // decoding: a few rows against a whole weight converts more than it multiplies
    expect(routeGemm(16, 1024, 384, 'bf16', all)).toBe('onednn-f32');
    expect(routeGemm(256, 256, 64, 'bf16', all)).toBe('onednn-bf16');
  });
  it('keeps small products, and every product without oneDNN, on OpenBLAS', () => {
    expect(routeGemm(1, 100, 64, 'bf16', all)).toBe('openblas');
    expect(routeGemm(64, 64, 63, 'bf16', all)).toBe('openblas');
    expect(routeGemm(64, 64, 64, 'fp32', all)).toBe('onednn-f32');
    expect(routeGemm(2048, 1024, 384, 'bf16', { onednn: false, bf16: false })).toBe('openblas');
  });
  it('the BF16 threshold is the products per converted element', () => {
    const t = { ...DEFAULT_THRESHOLDS, onednnMinMacs: 0 };
    expect(routeGemm(128, 128, 8, 'bf16', all, t)).toBe('onednn-bf16'); // 128·128 = 64·256
    expect(routeGemm(128, 127, 8, 'bf16', all, t)).toBe('onednn-f32');
  });
});

/** matmul without BatchMatMul: broadcast multiply and sum over k, so it cannot share a bug with the kernel. */
function referenceMatmul(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  return tf.tidy(() => {
    const r = a.rank;
    const perm = (t: tf.Tensor) => [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2];
    const A = ta ? tf.transpose(a, perm(a)) : a; // [..., m, k]
    const B = tb ? tf.transpose(b, perm(b)) : b; // [..., k, n]
    return tf.sum(tf.mul(tf.expandDims(A, r), tf.expandDims(B, B.rank - 2)), -2);
  });
}

const CASES: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [
  { a: [5, 7], b: [7, 3], ta: false, tb: false },
  { a: [7, 5], b: [7, 3], ta: true, tb: false },
  { a: [5, 7], b: [3, 7], ta: false, tb: true },
  { a: [7, 5], b: [3, 7], ta: true, tb: true },
  { a: [4, 6, 8], b: [4, 8, 2], ta: false, tb: false },
  { a: [2, 3, 6, 8], b: [2, 3, 5, 8], ta: false, tb: true }, // attention scores: q·kᵀ
  { a: [2, 3, 9, 6], b: [2, 3, 9, 4], ta: true, tb: false }, // a gradient shape
  { a: [3, 6, 8], b: [8, 5], ta: false, tb: false }, // rank-2 b broadcast over the batch
  { a: [2, 1, 4, 3], b: [1, 5, 3, 2], ta: false, tb: false }, // both sides broadcast
  { a: [1, 4], b: [4, 1], ta: false, tb: false },
];

for (const backend of ['cpu', 'wasm'] as const) {
  run(`native matmul on ${backend}`, () => {
    beforeAll(async () => {
      await registerAllGradients();
      expect(await tf.setBackend(backend)).toBe(true);
      setPrecision('fp32');
      const installed = installBackendKernels(backend, {});
      expect(installed.matmul).toBe(caps.onednn ? 'onednn' : 'openblas');
    }, 60_000);
    afterAll(() => {
      tf.disposeVariables();
      resetPrecision();
    });

    it.each(CASES)('a $a (T=$ta) x b $b (T=$tb) matches the broadcast-sum reference', ({ a, b, ta, tb }) => {
      const x = tf.randomUniform(a, -1, 1, 'float32', a.length * 7 + 1);
      const y = tf.randomUniform(b, -1, 1, 'float32', b.length * 11 + 2);
      const got = tf.matMul(x, y, ta, tb);
      const want = referenceMatmul(x, y, ta, tb);
      expect(got.shape).toEqual(want.shape);
      const g = got.dataSync();
      const w = want.dataSync();
      let maxErr = 0;
      for (let i = 0; i < w.length; i++) maxErr = Math.max(maxErr, Math.abs(g[i]! - w[i]!));
      expect(maxErr).toBeLessThan(1e-5);
      tf.dispose([x, y, got, want]);
    });

    it('gradients flow through the native kernel and match the reference', () => {
      const x = tf.randomUniform([2, 3, 4, 6], -1, 1, 'float32', 5);
      const y = tf.randomUniform([2, 3, 5, 6], -1, 1, 'float32', 6);
      const w = tf.randomUniform([2, 3, 4, 5], -1, 1, 'float32', 7);
      const loss = (f: typeof tf.matMul | typeof referenceMatmul) => (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(p, q, false, true), w));
      const [gx, gy] = tf.grads(loss(tf.matMul as typeof referenceMatmul))([x, y]);
      const [rx, ry] = tf.grads(loss(referenceMatmul))([x, y]);
      for (const [g, r] of [
        [gx!, rx!],
        [gy!, ry!],
      ] as const) {
        expect(g.shape).toEqual(r.shape);
        expect(tf.max(tf.abs(tf.sub(g, r))).dataSync()[0]).toBeLessThan(1e-5);
        expect(tf.max(tf.abs(r)).dataSync()[0]).toBeGreaterThan(0.1);
      }
      tf.dispose([x, y, w, gx!, gy!, rx!, ry!]);
    });

    it('empty operands: an empty product, and zeros when k = 0', () => {
      const e = tf.matMul(tf.zeros([0, 4]), tf.ones([4, 3]));
      expect(e.shape).toEqual([0, 3]);
      const z = tf.matMul(tf.ones([3, 0]), tf.ones([0, 2]));
      expect(z.shape).toEqual([3, 2]);
      expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    });

    it.runIf(backend === 'cpu')('int32 matmul falls back to the backend kernel', () => {
      const x = tf.tensor2d(
        [
          [1, 2],
          [3, 4],
        ],
        [2, 2],
        'int32',
      );
      const y = tf.tensor2d(
        [
          [5, 6],
          [7, 8],
        ],
        [2, 2],
        'int32',
      );
      expect(Array.from(tf.matMul(x, y).dataSync())).toEqual([19, 22, 43, 50]);
    });

    it('fused matmul with bias and relu still works (backend fallback)', () => {
      const x = tf.tensor2d([
        [1, -2],
        [3, 4],
      ]);
      const y = tf.tensor2d([
        [1, 0],
        [0, 1],
      ]);
      const out = tf.fused.matMul({ a: x, b: y, bias: tf.tensor1d([1, 1]), activation: 'relu' });
      expect(Array.from(out.dataSync())).toEqual([2, 0, 4, 5]);
      const plain = tf.fused.matMul({ a: x, b: y, transposeB: true });
      expect(Array.from(plain.dataSync())).toEqual([1, -2, 3, 4]);
    });
  });
}

/**
 * The error of each entry relative to Σ|a||b| over its dot product, the scale rounding the inputs
 * can move it by (cancellation makes the result itself a poor scale); the largest of them.
 */
function roundingErr(got: tf.Tensor, want: tf.Tensor, scale: tf.Tensor): number {
  const g = got.dataSync();
  const w = want.dataSync();
  const s = scale.dataSync();
  let worst = 0;
  for (let i = 0; i < w.length; i++) worst = Math.max(worst, Math.abs(g[i]! - w[i]!) / Math.max(s[i]!, 1e-30));
  return worst;
}

// Each route forced on every shape (thresholds 0), on the cpu backend, after the suites above
// (registrations are global to tfjs).
const ROUTES: Array<{ route: GemmRoute; needs: boolean; tol: number }> = [
  { route: 'openblas', needs: native.ok, tol: 1e-6 },
  { route: 'onednn-f32', needs: caps.onednn, tol: 1e-6 },
  // BF16 carries 8 significant bits (unit roundoff 2^-8); both factors rounded: up to 2^-7
  { route: 'onednn-bf16', needs: caps.bf16, tol: 2 ** -7 },
];
for (const { route, needs, tol } of ROUTES) {
  (needs || (process.env.CI && route === 'openblas') ? describe : describe.skip)(`the ${route} route`, () => {
    const taken: GemmRoute[] = [];
    beforeAll(async () => {
      await registerAllGradients();
      expect(await tf.setBackend('cpu')).toBe(true);
      if (!native.ok) throw new Error(native.reason);
      const original = (kernel: string) => tf.getKernel(kernel, 'cpu');
      const forced = { onednn: route !== 'openblas', bf16: route === 'onednn-bf16' };
      const configs = nativeMatmulKernels(
        'cpu',
        native.kernels,
        { batchMatMul: original(tf.BatchMatMul), fusedMatMul: original(tf._FusedMatMul) },
        {
          caps: forced,
          precision: () => (route === 'onednn-bf16' ? 'bf16' : 'fp32'),
          thresholds: { bf16MinReuse: 0, onednnMinMacs: 0 },
          onRoute: (r) => taken.push(r),
        },
      );
      for (const config of configs) {
        tf.unregisterKernel(config.kernelName, 'cpu');
        tf.registerKernel(config);
      }
    }, 60_000);

    it.each(CASES)('a $a (T=$ta) x b $b (T=$tb) within rounding of the reference', ({ a, b, ta, tb }) => {
      taken.length = 0;
      const x = tf.randomUniform(a, -1, 1, 'float32', a.length * 7 + 1);
      const y = tf.randomUniform(b, -1, 1, 'float32', b.length * 11 + 2);
      const got = tf.matMul(x, y, ta, tb);
      const want = referenceMatmul(x, y, ta, tb);
      const scale = referenceMatmul(tf.abs(x), tf.abs(y), ta, tb);
      expect(taken).toEqual([route]);
      expect(got.shape).toEqual(want.shape);
      expect(roundingErr(got, want, scale)).toBeLessThan(tol);
      tf.dispose([x, y, got, want, scale]);
    });

    it('a batched product of transposed operands at training size, and its gradients', () => {
      // attention-like: [2, 3, 64, 48] · [2, 3, 40, 48]ᵀ, then both gradients (transposed products)
      const x = tf.randomUniform([2, 3, 64, 48], -1, 1, 'float32', 3);
      const y = tf.randomUniform([2, 3, 40, 48], -1, 1, 'float32', 4);
      const w = tf.randomUniform([2, 3, 64, 40], -1, 1, 'float32', 5);
      const loss = (f: typeof referenceMatmul) => (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(f(p, q, false, true), w));
      taken.length = 0;
      const [gx, gy] = tf.grads(loss(tf.matMul as typeof referenceMatmul))([x, y]);
      expect(new Set(taken)).toEqual(new Set([route]));
      expect(taken.length).toBe(3); // forward and both backward products
      const [rx, ry] = tf.grads(loss(referenceMatmul))([x, y]);
      // dx = w·y, dy = wᵀ·x: their scales are the same products of absolute values
      const [sx, sy] = [referenceMatmul(tf.abs(w), tf.abs(y), false, false), referenceMatmul(tf.abs(w), tf.abs(x), true, false)];
      expect(roundingErr(gx!, rx!, sx)).toBeLessThan(tol);
      expect(roundingErr(gy!, ry!, sy)).toBeLessThan(tol);
      const got = tf.matMul(x, y, false, true);
      const want = referenceMatmul(x, y, false, true);
      const err = roundingErr(got, want, referenceMatmul(tf.abs(x), tf.abs(y), false, true));
      expect(err).toBeLessThan(tol);
      // BF16 must actually have rounded: an exact result would mean the FP32 path ran
      if (route === 'onednn-bf16') expect(err).toBeGreaterThan(1e-5);
      tf.dispose([x, y, w, gx!, gy!, rx!, ry!, sx, sy, got, want]);
    });
  });
}
