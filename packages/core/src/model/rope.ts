import * as tf from '@tensorflow/tfjs-core';

/**
 * Rotary position embedding, Hugging Face convention (`rotate_half`: the first half of each head
 * pairs with the second half, not interleaved pairs). Angles are computed from the positions on the
 * fly, in float32 as transformers does, so no table bounds the sequence length.
 */
export function inverseFrequencies(headDim: number, theta: number): Float32Array {
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < out.length; i++) out[i] = 1 / Math.pow(theta, (2 * i) / headDim);
  return out;
}

/**
 * cos and sign-folded sin for `positions` [B,T] int32, shaped [B,T,1,headDim] to broadcast over
 * heads: `sin` is [-sin, sin] over the two halves, so rotate_half becomes a swap of the halves.
 */
export function ropeCosSin(positions: tf.Tensor2D, invFreq: tf.Tensor1D): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, t] = positions.shape;
    const half = invFreq.shape[0];
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, t, 1, 1]), tf.reshape(invFreq, [1, 1, 1, half]));
    const sin = tf.sin(angles);
    return { cos: tf.tile(tf.cos(angles), [1, 1, 1, 2]) as tf.Tensor4D, sin: tf.concat([tf.neg(sin), sin], 3) as tf.Tensor4D };
  });
}

/**
 * x·cos + rotate_half(x)·sin with rotate_half(x) = [-x2, x1]; x is [B,T,heads,headDim]. The halves
 * are swapped by reversing a size-2 axis (one op), the minus sign lives in `sin`.
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t, n, hd] = x.shape;
    const swapped = tf.reshape(tf.reverse(tf.reshape(x, [b, t, n, 2, hd / 2]), 3), [b, t, n, hd]);
    return tf.add(tf.mul(x, cos), tf.mul(swapped, sin)) as tf.Tensor4D;
  });
}
