import * as tf from '@tensorflow/tfjs-core';

/**
 * Measured single-matmul throughput of the active backend, in GFLOPS (2·n³ per n×n product):
 * the denominator of model FLOPs utilisation. Best of `iters` timed runs after one warm-up.
 */
export async function matmulPeakGflops(n = 1024, iters = 5): Promise<number> {
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  try {
    let best = Infinity;
    for (let i = 0; i <= iters; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      await c.data();
      const dt = performance.now() - t0;
      c.dispose();
      if (i > 0) best = Math.min(best, dt);
    }
    return (2 * n ** 3) / (best / 1000) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}
