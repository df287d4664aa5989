import * as tf from '@tensorflow/tfjs-core';

/** What masked attention scores get: large enough that exp() is exactly 0, finite so an all-masked row stays finite. */
export const MASKED = -1e9;

/**
 * Additive attention bias [B,1,T,S] ([1,1,T,S] without a mask) for T queries at cache offset `past` over S = past + T keys:
 * 0 where key j is at or before the query and real, MASKED elsewhere. `keyMask` [B,S] is 1 for real
 * tokens, 0 for padding (left or right).
 */
export function attentionBias(batch: number, t: number, past: number, keyMask?: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const s = past + t;
    const causal = new Float32Array(t * s);
    for (let i = 0; i < t; i++) for (let j = 0; j <= past + i; j++) causal[i * s + j] = 1;
    let allowed = tf.tensor4d(causal, [1, 1, t, s]);
    if (keyMask) allowed = tf.mul(allowed, tf.reshape(tf.cast(keyMask, 'float32'), [batch, 1, 1, s]));
    return tf.mul(tf.sub(allowed, 1), -MASKED) as tf.Tensor4D;
  });
}

/**
 * Positions of tokens under a padding mask: the count of real tokens before each one, so a
 * left-padded row gets the same positions as the unpadded sequence (what HF `generate` does).
 */
export function positionsFromMask(mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.relu(tf.sub(tf.cumsum(tf.cast(mask, 'int32'), 1), 1)) as tf.Tensor2D);
}

export function arangePositions(batch: number, t: number, offset = 0): tf.Tensor2D {
  return tf.tidy(() => tf.tile(tf.reshape(tf.range(offset, offset + t, 1, 'int32'), [1, t]), [batch, 1]) as tf.Tensor2D);
}
