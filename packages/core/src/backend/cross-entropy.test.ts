import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { sparseCrossEntropy } from './cross-entropy.ts';
import { installBackendKernels, registerAllGradients } from './index.ts';

/** the textbook composition autodiff differentiates: log-sum-exp minus the target logit */
function reference(x: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor1D {
  const v = x.shape[1];
  return tf.sub(tf.logSumExp(x, 1), tf.sum(tf.mul(x, tf.oneHot(t, v, 1, 0, 'float32')), 1)) as tf.Tensor1D;
}

for (const backend of ['cpu', 'wasm']) {
  describe(`sparseCrossEntropy on ${backend}`, () => {
    beforeAll(async () => {
      await registerAllGradients();
      expect(await tf.setBackend(backend)).toBe(true);
      installBackendKernels(backend);
    }, 60_000);

    it('losses and gradients equal the reference composition', () => {
      const x = tf.mul(tf.randomNormal([37, 50], 0, 1, 'float32', 3), 4) as tf.Tensor2D;
      const t = tf.tensor1d(Array.from({ length: 37 }, (_, i) => (i * 13) % 50), 'int32');
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
      const x = tf.tensor2d([[1000, 0, -1000], [0, 0, 0]]);
      const l = sparseCrossEntropy(x, tf.tensor1d([0, 2], 'int32')).dataSync();
      expect(l[0]).toBeCloseTo(0, 5);
      expect(l[1]).toBeCloseTo(Math.log(3), 5);
      expect(() => sparseCrossEntropy(x, tf.tensor1d([0], 'int32'))).toThrow(/2 rows of logits but 1 targets/);
    });
  });
}
