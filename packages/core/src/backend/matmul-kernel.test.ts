import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installBackendKernels, registerAllGradients } from './index.ts';
import { loadNativeBlas } from './native.ts';

const native = loadNativeBlas();
// In CI the addon must have been built (libopenblas-dev installed); elsewhere its absence skips.
const run = native.ok || process.env.CI ? describe : describe.skip;

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
      const installed = installBackendKernels(backend, {});
      expect(installed.matmul).toBe('openblas');
    }, 60_000);
    afterAll(() => {
      tf.disposeVariables();
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
      const loss = (f: typeof tf.matMul | typeof referenceMatmul) => (p: tf.Tensor, q: tf.Tensor) =>
        tf.sum(tf.mul(f(p, q, false, true), w));
      const [gx, gy] = tf.grads(loss(tf.matMul as typeof referenceMatmul))([x, y]);
      const [rx, ry] = tf.grads(loss(referenceMatmul))([x, y]);
      for (const [g, r] of [[gx!, rx!], [gy!, ry!]] as const) {
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
      const x = tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32');
      const y = tf.tensor2d([[5, 6], [7, 8]], [2, 2], 'int32');
      expect(Array.from(tf.matMul(x, y).dataSync())).toEqual([19, 22, 43, 50]);
    });

    it('fused matmul with bias and relu still works (backend fallback)', () => {
      const x = tf.tensor2d([[1, -2], [3, 4]]);
      const y = tf.tensor2d([[1, 0], [0, 1]]);
      const out = tf.fused.matMul({ a: x, b: y, bias: tf.tensor1d([1, 1]), activation: 'relu' });
      expect(Array.from(out.dataSync())).toEqual([2, 0, 4, 5]);
      const plain = tf.fused.matMul({ a: x, b: y, transposeB: true });
      expect(Array.from(plain.dataSync())).toEqual([1, -2, 3, 4]);
    });
  });
}
