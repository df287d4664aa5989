import * as tf from '@tensorflow/tfjs-core';
import type { CausalLm } from '@rho/core';
import { windowRows, type WindowScorer } from './window-scorer.ts';

/** What scoring needs of a model (LlamaModel has it): per-token losses of a padded batch. */
export interface TokenScorer {
  tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D;
}

/** Per-target losses [B, T−1] of one padded batch, read back to the host. */
export function batchLosses(model: TokenScorer, ids: Int32Array, mask: ArrayLike<number>, batchSize: number, seqLen: number): Float32Array {
  const losses = tf.tidy(() =>
    model.tokenLosses(tf.tensor2d(ids, [batchSize, seqLen], 'int32'), tf.tensor2d(Int32Array.from(mask), [batchSize, seqLen], 'int32')),
  );
  const data = losses.dataSync() as Float32Array;
  losses.dispose();
  return data;
}

/** A model in this process being trained (tfjs tensors in, tensors out). */
export function localScorer(model: TokenScorer): WindowScorer {
  return { lossesOf: async (b) => batchLosses(model, b.ids, b.mask, b.batchSize, b.seqLen) };
}

/**
 * A reference checkpoint opened on any engine (`pnpm slm score --ref <ckpt>`): each window's real
 * tokens go through `lm.tokenLosses` unpadded, so padding never reaches the model.
 */
export function causalLmScorer(lm: Pick<CausalLm, 'tokenLosses'>): WindowScorer {
  return {
    lossesOf: async (b) => {
      const T1 = b.seqLen - 1;
      const out = new Float32Array(b.batchSize * T1);
      lm.tokenLosses(windowRows(b)).forEach((losses, r) => out.set(losses.subarray(0, T1), r * T1));
      return out;
    },
  };
}
