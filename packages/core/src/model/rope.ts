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

/** cos and sin for `positions` [B,T] int32, shaped [B,1,T,headDim] to broadcast over heads. */
export function ropeCosSin(positions: tf.Tensor2D, invFreq: tf.Tensor1D): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, t] = positions.shape;
    const half = invFreq.shape[0];
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, 1, t, 1]), tf.reshape(invFreq, [1, 1, 1, half]));
    const emb = tf.concat([angles, angles], 3);
    return { cos: tf.cos(emb) as tf.Tensor4D, sin: tf.sin(emb) as tf.Tensor4D };
  });
}

/** x·cos + rotate_half(x)·sin, with rotate_half(x) = [-x2, x1]; x is [B,heads,T,headDim]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3) as [tf.Tensor4D, tf.Tensor4D];
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}
