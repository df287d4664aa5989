import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_SELECT, selectedCount, validateRatio, type SelectOptions } from './select.ts';

/**
 * The same tensor under a new id that the gradient tape has never seen: ops on it are not on any
 * path from the trained variables, so selection (comparisons, top-k, which have no gradients)
 * can run inside `tf.variableGrads` without being differentiated. Shares memory, copies nothing.
 */
export function detach<T extends tf.Tensor>(t: T): T {
  const engine = tf.engine();
  const out = engine.makeTensorFromDataId(t.dataId, t.shape, t.dtype) as T;
  // makeTensorFromDataId only tracks the new tensor; the backend must also count the extra
  // reference, or disposing the copy frees the original's memory.
  engine.backend.incRef(t.dataId);
  return out;
}

/**
 * Device-side twin of `selectTokens` (select.ts): per-token weights [B, T] for the top `ratio` of
 * the valid tokens by score, ties broken by flat position (earlier first), padding never selected.
 * `valid` is 1/0 and `nValid` its sum (known on the host, where the batch was built), so the only
 * data-dependent quantity, k, needs no device read.
 */
export function selectWeightsTf(
  current: tf.Tensor2D,
  reference: tf.Tensor2D | null,
  valid: tf.Tensor2D,
  nValid: number,
  opts: SelectOptions,
  random?: Float32Array,
): tf.Tensor2D {
  validateRatio(opts.ratio);
  const k = selectedCount(nValid, opts.ratio);
  const shape = current.shape;
  if (k === 0) return tf.zeros(shape);
  return tf.tidy(() => {
    const cur = detach(current);
    const raw =
      opts.selectBy === 'excess'
        ? tf.sub(cur, reference!)
        : opts.selectBy === 'current'
          ? cur
          : opts.selectBy === 'random'
            ? tf.tensor2d(random!, shape)
            : tf.neg(reference!);
    const isValid = tf.greater(valid, 0);
    const score = tf.reshape(tf.where(isValid, raw, tf.fill(shape, -Infinity)), [-1]);
    const kth = tf.slice(tf.topk(score, k, true).values, [k - 1], [1]);
    if (opts.reweight) {
      const t = opts.temperature ?? DEFAULT_SELECT.temperature!;
      return tf.reshape(tf.mul(tf.sigmoid(tf.div(tf.sub(score, kth), t)), tf.cast(tf.reshape(isValid, [-1]), 'float32')), shape) as tf.Tensor2D;
    }
    const above = tf.greater(score, kth);
    const tie = tf.equal(score, kth);
    // Of the tokens tied at the k-th score, keep the first (k − #above) in position order.
    const need = tf.sub(tf.scalar(k, 'int32'), tf.sum(tf.cast(above, 'int32')));
    const tieRank = tf.cumsum(tf.cast(tie, 'int32'));
    const keepTie = tf.logicalAnd(tie, tf.lessEqual(tieRank, need));
    return tf.reshape(tf.cast(tf.logicalOr(above, keepTie), 'float32'), shape) as tf.Tensor2D;
  });
}

/** Σ w·loss / Σ w as a scalar tensor (differentiable in `losses`; weights are constants). */
export function weightedLossTf(losses: tf.Tensor, weights: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(losses, weights)), tf.maximum(tf.sum(weights), 1e-12)) as tf.Scalar);
}
