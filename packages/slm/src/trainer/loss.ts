import * as tf from '@tensorflow/tfjs-core';
import { selectWeightsTf, weightedLossTf } from '../select/tf.ts';
import { randomScores, type SelectOptions } from '../select/select.ts';
import type { SlmBatch } from './batches.ts';

export type Mode = 'clm' | 'slm';

/**
 * The objective of both modes over per-token losses [B, T−1]: clm weighs every real target 1,
 * slm weighs the selected ones (select/tf.ts). Also reports the step's bookkeeping numbers
 * (read from the losses' values, which does not touch the gradient).
 */
export function makeLossFn(mode: Mode, select: SelectOptions) {
  return (losses: tf.Tensor2D, batch: SlmBatch): { loss: tf.Scalar; metrics: Record<string, number> } => {
    const shape: [number, number] = [batch.batchSize, batch.seqLen - 1];
    const valid = tf.tensor2d(batch.valid, shape);
    const ref = batch.reference ? tf.tensor2d(batch.reference, shape) : null;
    const random = select.selectBy === 'random' ? randomScores(batch.ids, shape[0] * shape[1]) : undefined;
    const weights = mode === 'clm' ? valid : selectWeightsTf(losses, ref, valid, batch.nValid, select, random);
    const loss = weightedLossTf(losses, weights);
    return { loss, metrics: stepNumbers(losses.dataSync() as Float32Array, weights.dataSync() as Float32Array, batch) };
  };
}

function stepNumbers(l: Float32Array, w: Float32Array, b: SlmBatch): Record<string, number> {
  let all = 0;
  let sel = 0;
  let wsum = 0;
  let excess = 0;
  let rejected = 0;
  let rejectedNoise = 0;
  let noise = 0;
  for (let i = 0; i < l.length; i++) {
    if (!b.valid[i]) continue;
    all += l[i]!;
    sel += w[i]! * l[i]!;
    wsum += w[i]!;
    if (b.reference) excess += l[i]! - b.reference[i]!;
    if (b.noise) {
      // With soft weights a token counts as rejected below one half.
      const isRejected = w[i]! < 0.5;
      const isNoise = b.noise[i] === 1;
      if (isRejected) rejected++;
      if (isNoise) noise++;
      if (isRejected && isNoise) rejectedNoise++;
    }
  }
  const n = Math.max(b.nValid, 1);
  const out: Record<string, number> = {
    loss_all: all / n,
    loss_selected: wsum ? sel / wsum : 0,
    selected_frac: wsum / n,
    excess_mean: b.reference ? excess / n : Number.NaN,
  };
  if (b.noise) Object.assign(out, { rejected, rejected_noise: rejectedNoise, noise });
  return out;
}

/** Mean loss over the real targets of fixed batches (validation), without gradients. */
export function meanLoss(model: { tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D }, batches: readonly SlmBatch[]): number {
  let sum = 0;
  let n = 0;
  for (const b of batches) {
    const s = tf.tidy(() => {
      const ids = tf.tensor2d(b.ids, [b.batchSize, b.seqLen], 'int32');
      const mask = tf.tensor2d(b.mask, [b.batchSize, b.seqLen], 'int32');
      return tf.sum(tf.mul(model.tokenLosses(ids, mask), tf.tensor2d(b.valid, [b.batchSize, b.seqLen - 1])));
    });
    sum += s.dataSync()[0]!;
    s.dispose();
    n += b.nValid;
  }
  return n ? sum / n : Number.NaN;
}
