import * as tf from '@tensorflow/tfjs-core';
import type { TrainableModel } from '../step.ts';

/**
 * A stand-in language model for the trainer's unit tests: embedding → scale (a "norm") → linear
 * head, i.e. a learnable bigram model with Hugging Face-style names. Not used outside tests.
 */
export class BigramLM implements TrainableModel {
  readonly weights: Map<string, tf.Variable>;

  constructor(
    readonly vocab: number,
    readonly dim: number,
    seed: number,
  ) {
    const v = (init: () => tf.Tensor) => tf.tidy(() => tf.variable(init()));
    this.weights = new Map([
      ['model.embed_tokens.weight', v(() => tf.randomNormal([vocab, dim], 0, 0.5, 'float32', seed))],
      ['model.norm.weight', v(() => tf.ones([dim]))],
      ['lm_head.weight', v(() => tf.randomNormal([vocab, dim], 0, 0.5, 'float32', seed + 1))],
    ]);
  }

  tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const inputs = tf.slice(ids, [0, 0], [B, T - 1]);
      const targets = tf.slice(ids, [0, 1], [B, T - 1]);
      const h = tf.mul(tf.gather(this.w('model.embed_tokens.weight'), tf.reshape(inputs, [-1])), this.w('model.norm.weight'));
      const logits = tf.matMul(h, this.w('lm_head.weight'), false, true);
      const logp = tf.logSoftmax(logits);
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(tf.reshape(targets, [-1]), this.vocab), logp), -1));
      const losses = tf.reshape(nll, [B, T - 1]);
      return (mask ? tf.mul(losses, tf.cast(tf.slice(mask, [0, 1], [B, T - 1]), 'float32')) : losses) as tf.Tensor2D;
    });
  }

  dispose(): void {
    for (const v of this.weights.values()) v.dispose();
  }

  private w(name: string): tf.Variable {
    return this.weights.get(name)!;
  }
}
