import * as tf from '@tensorflow/tfjs-core';
import { matmulPeakGflops } from './peak.ts';

export interface MlpBlockTiming {
  ms: number;
  gflops: number;
}

/**
 * One forward+backward of a SwiGLU MLP block (gate, up, down projections), `tokens` rows of width
 * `d`: the matmul-bound part of a Llama layer. Times the mean of `iters` runs after one warm-up.
 */
export function timeMlpBlock(tokens = 8 * 256, d = 384, ffn = 1024, iters = 3): MlpBlockTiming {
  const x = tf.randomNormal([tokens, d], 0, 1, 'float32', 3);
  const ws = [
    [d, ffn],
    [d, ffn],
    [ffn, d],
  ].map((s, i) => tf.variable(tf.randomNormal(s, 0, 0.02, 'float32', 4 + i)));
  const [wGate, wUp, wDown] = ws as [tf.Variable, tf.Variable, tf.Variable];
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const g = tf.matMul(x, wGate);
      const h = tf.mul(tf.mul(g, tf.sigmoid(g)), tf.matMul(x, wUp));
      return tf.mean(tf.square(tf.matMul(h, wDown)));
    }, ws);
    const outs = [value, ...Object.values(grads)];
    for (const t of outs) t.dataSync();
    tf.dispose(outs);
  };
  try {
    step();
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) step();
    const ms = (performance.now() - t0) / iters;
    // 3 products forward, 6 backward (two per product), 2·tokens·d·ffn FLOPs each
    return { ms, gflops: (9 * 2 * tokens * d * ffn) / (ms / 1000) / 1e9 };
  } finally {
    tf.dispose([x, ...ws]);
  }
}

export { matmulPeakGflops };
