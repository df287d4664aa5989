import * as tf from '@tensorflow/tfjs-core';

/**
 * Rotary position embedding, Hugging Face convention (`rotate_half`: the first half of each head
 * pairs with the second half, not interleaved pairs). Angles are computed from the positions on the
 * fly, in float32 as transformers does, so no table bounds the sequence length.
 */
export function inverseFrequencies(headDim: number, theta: number): Float32Array {
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < out.length; i++) out[i] = 1 / theta ** ((2 * i) / headDim);
  return out;
}

/** cos and sin for `positions` [B,T] int32, shaped [B,T,1,headDim] to broadcast over heads. */
export function ropeCosSin(positions: tf.Tensor2D, invFreq: tf.Tensor1D): { cos: tf.Tensor4D; sin: tf.Tensor4D } {
  return tf.tidy(() => {
    const [b, t] = positions.shape;
    const half = invFreq.shape[0];
    const angles = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, t, 1, 1]), tf.reshape(invFreq, [1, 1, 1, half]));
    const emb = tf.tile(angles, [1, 1, 1, 2]);
    return { cos: tf.cos(emb) as tf.Tensor4D, sin: tf.sin(emb) as tf.Tensor4D };
  });
}

/**
 * rotate_half as a matrix: x·R = [-x2, x1]. One small matmul replaces split/neg/concat (or a
 * reverse), which are slow copies on the wasm backend, and its gradient is another matmul.
 */
export function rotateHalfMatrix(headDim: number): tf.Tensor2D {
  const half = headDim / 2;
  const r = new Float32Array(headDim * headDim);
  for (let j = 0; j < half; j++) {
    r[(j + half) * headDim + j] = -1; // out[j] = -x[j + half]
    r[j * headDim + j + half] = 1; // out[j + half] = x[j]
  }
  return tf.tensor2d(r, [headDim, headDim]);
}

/** x·cos + rotate_half(x)·sin (HF convention); x is [B,T,heads,headDim], `rotate` from rotateHalfMatrix. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor4D, sin: tf.Tensor4D, rotate: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t, n, hd] = x.shape;
    const rotated = tf.reshape(tf.matMul(tf.reshape(x, [b * t * n, hd]), rotate), [b, t, n, hd]);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
  });
}
