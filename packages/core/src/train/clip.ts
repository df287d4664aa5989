import * as tf from '@tensorflow/tfjs-core';

/**
 * Scale gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_:
 * coefficient maxNorm/(norm+1e-6), never above 1). Returns new tensors (the caller disposes the
 * inputs) and the norm before clipping. maxNorm ≤ 0 or Infinity only measures.
 */
export function clipByGlobalNorm(grads: ReadonlyMap<string, tf.Tensor>, maxNorm: number): { grads: Map<string, tf.Tensor>; norm: number } {
  const norm = globalNorm(grads);
  const coef = maxNorm > 0 && Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) out.set(name, coef === 1 ? tf.clone(g) : tf.tidy(() => tf.mul(g, coef)));
  return { grads: out, norm };
}

export function globalNorm(grads: ReadonlyMap<string, tf.Tensor>): number {
  if (grads.size === 0) return 0;
  const sq = tf.tidy(() => tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))));
  const v = sq.dataSync()[0]!;
  sq.dispose();
  return Math.sqrt(v);
}
