import * as tf from '@tensorflow/tfjs-core';

/** What masked attention scores get: large enough that exp() is exactly 0, finite so an all-masked row stays finite. */
export const MASKED = -1e9;

/**
 * Additive attention bias [B,1,T,S] ([1,1,T,S] without a mask) for T queries at cache offset `past` over S = past + T keys:
 * 0 where key j is at or before the query, real, and (given a sliding `window` w) at most w positions
 * back, MASKED elsewhere. `keyMask` [B,S] is 1 for real tokens, 0 for padding (left or right).
 *
 * The window counts positions, not slots: under a mask a row's real tokens are at positions
 * 0..n-1 whatever padding precedes them (as `positionsFromMask` gives the model), so a left-padded
 * row sees the same keys as the unpadded sequence. Query position i attends to j with i − w ≤ j ≤ i,
 * the rule of transformers ≥ 4.40 and mistral-src.
 */
export function attentionBias(batch: number, t: number, past: number, keyMask?: tf.Tensor2D, window?: number | null): tf.Tensor4D {
  return tf.tidy(() => {
    const s = past + t;
    const causal = new Float32Array(t * s);
    for (let i = 0; i < t; i++) for (let j = 0; j <= past + i; j++) causal[i * s + j] = 1;
    let allowed = tf.tensor4d(causal, [1, 1, t, s]);
    if (keyMask) allowed = tf.mul(allowed, tf.reshape(tf.cast(keyMask, 'float32'), [batch, 1, 1, s]));
    if (window !== undefined && window !== null) {
      const keyPos = keyMask ? positionsFromMask(keyMask) : arangePositions(1, s); // [B|1, S]
      const rows = keyPos.shape[0];
      const queryPos = tf.slice(keyPos, [0, past], [rows, t]);
      const back = tf.sub(tf.reshape(queryPos, [rows, 1, t, 1]), tf.reshape(keyPos, [rows, 1, 1, s])); // i − j
      allowed = tf.mul(allowed, tf.cast(tf.lessEqual(back, window), 'float32'));
    }
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
