import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sparseCrossEntropy } from './cross-entropy.ts';
import { XENT, XENT_GRAD } from './cross-entropy-kernel.ts';
import { installBackendKernels, loadNativeKernels, registerAllGradients } from './index.ts';

// In CI the addon must have been built; elsewhere the native variant is skipped.
const withNative = loadNativeKernels().ok || Boolean(process.env.CI);

/** the textbook composition autodiff differentiates: log-sum-exp minus the target logit */
function reference(x: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor1D {
  const v = x.shape[1];
  return tf.sub(tf.logSumExp(x, 1), tf.sum(tf.mul(x, tf.oneHot(t, v, 1, 0, 'float32')), 1)) as tf.Tensor1D;
}

const variants = withNative ? (['native', 'composed'] as const) : (['composed'] as const);
for (const backend of ['cpu', 'wasm'] as const)
  for (const variant of variants) {
    describe(`sparseCrossEntropy on ${backend}, ${variant}`, () => {
      const removed: tf.KernelConfig[] = [];
      beforeAll(async () => {
        await registerAllGradients();
        expect(await tf.setBackend(backend)).toBe(true);
        installBackendKernels(backend);
        expect(tf.getKernel(XENT, backend) !== undefined).toBe(withNative);
        if (variant === 'composed') {
          for (const name of [XENT, XENT_GRAD]) {
            const k = tf.getKernel(name, backend);
            if (k) {
              removed.push(k);
              tf.unregisterKernel(name, backend);
            }
          }
        }
        return () => removed.forEach((k) => tf.registerKernel(k));
      }, 60_000);

      it('losses and gradients equal the reference composition', () => {
        const x = tf.mul(tf.randomNormal([37, 50], 0, 1, 'float32', 3), 4) as tf.Tensor2D;
        const t = tf.tensor1d(
          Array.from({ length: 37 }, (_, i) => (i * 13) % 50),
          'int32',
        );
        const w = tf.randomUniform([37], 0, 1, 'float32', 4);
        const ours = sparseCrossEntropy(x, t);
        const ref = reference(x, t);
        expect(tf.max(tf.abs(tf.sub(ours, ref))).dataSync()[0]).toBeLessThan(1e-5);
        const gOurs = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(sparseCrossEntropy(a as tf.Tensor2D, t), w)))(x);
        const gRef = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(reference(a as tf.Tensor2D, t), w)))(x);
        expect(tf.max(tf.abs(tf.sub(gOurs, gRef))).dataSync()[0]).toBeLessThan(1e-5);
        expect(tf.max(tf.abs(gRef)).dataSync()[0]).toBeGreaterThan(0.1);
      });

      it('is stable for large logits and rejects a length mismatch', () => {
        const x = tf.tensor2d([
          [1000, 0, -1000],
          [0, 0, 0],
        ]);
        const l = sparseCrossEntropy(x, tf.tensor1d([0, 2], 'int32')).dataSync();
        expect(l[0]).toBeCloseTo(0, 5);
        expect(l[1]).toBeCloseTo(Math.log(3), 5);
        expect(() => sparseCrossEntropy(x, tf.tensor1d([0], 'int32'))).toThrow(/2 rows of logits but 1 targets/);
      });

      it('a wide vocabulary and very negative logits (exp underflow) stay exact', () => {
        const v = 5000;
        const x = tf.tidy(() => tf.concat([tf.mul(tf.randomNormal([6, v - 2], 0, 1, 'float32', 5), 10), tf.fill([6, 2], -500)], 1)) as tf.Tensor2D;
        const t = tf.tensor1d([0, 17, 4999, 2500, 4998, 3], 'int32');
        expect(tf.max(tf.abs(tf.sub(sparseCrossEntropy(x, t), reference(x, t)))).dataSync()[0]).toBeLessThan(2e-5);
        const gOurs = tf.grad((a: tf.Tensor) => tf.sum(sparseCrossEntropy(a as tf.Tensor2D, t)))(x);
        const gRef = tf.grad((a: tf.Tensor) => tf.sum(reference(a as tf.Tensor2D, t)))(x);
        expect(tf.max(tf.abs(tf.sub(gOurs, gRef))).dataSync()[0]).toBeLessThan(1e-5);
      });
    });
  }
