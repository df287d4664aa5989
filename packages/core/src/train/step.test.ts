import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// vitest resolves tfjs-core's ESM sources; plain Node gets them through initBackend().
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTrainerState, evalLoss, meanTokenLoss, targetCount, tokenLossValues, trainStep, type TokenBatch, type TrainConfig } from './step.ts';
import { BigramLM } from './testing/bigram-lm.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const config: TrainConfig = {
  schedule: { maxLr: 3e-2, minLr: 3e-3, warmupSteps: 2, totalSteps: 50 },
  maxGradNorm: 1,
  adamw: { weightDecay: 0.1 },
};

function batchOf(rows: number[][]): TokenBatch {
  return { ids: Int32Array.from(rows.flat()), batchSize: rows.length, seqLen: rows[0]!.length };
}

const rows = [
  [1, 2, 3, 4, 5, 6],
  [6, 5, 4, 3, 2, 1],
  [1, 3, 5, 7, 1, 3],
  [2, 4, 6, 2, 4, 6],
];

const disposers: Array<{ dispose(): void }> = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d.dispose();
});

function setup(seed = 1) {
  const model = new BigramLM(8, 4, seed);
  const state = createTrainerState(config, { seed: 0 });
  disposers.push(model, state.optimizer);
  return { model, state };
}

const snapshot = (m: BigramLM) => new Map([...m.weights].map(([k, v]) => [k, Array.from(v.dataSync())]));

describe('trainStep', () => {
  it('two micro-batches update the weights as one batch of both', () => {
    const a = setup();
    const b = setup();
    const ra = trainStep(a.model, batchOf(rows), meanTokenLoss, a.state);
    const rb = trainStep(b.model, [batchOf(rows.slice(0, 2)), batchOf(rows.slice(2))], meanTokenLoss, b.state);
    expect(rb.loss).toBeCloseTo(ra.loss, 5);
    expect(rb.gradNorm).toBeCloseTo(ra.gradNorm, 5);
    expect(rb.tokens).toBe(20);
    const sa = snapshot(a.model);
    for (const [k, v] of snapshot(b.model)) v.forEach((x, i) => expect(x).toBeCloseTo(sa.get(k)![i]!, 5));
    expect(a.state.step).toBe(1);
    expect(ra.lr).toBeCloseTo(1.5e-2, 12);
  });

  it('keeps the tensor count fixed across steps and lowers the loss', () => {
    const { model, state } = setup();
    const b = batchOf(rows);
    const first = trainStep(model, b, meanTokenLoss, state);
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 30; i++) {
      last = trainStep(model, b, meanTokenLoss, state);
      expect(tf.memory().numTensors).toBe(count);
    }
    expect(last.loss).toBeLessThan(first.loss * 0.7);
    expect(evalLoss(model, b, meanTokenLoss)).toBeLessThan(last.loss);
  });

  it('a custom per-token weighting trains only the tokens it selects', () => {
    const { model, state } = setup();
    const b = batchOf(rows);
    // select positions whose input token is 1: built from plain numbers, so no gradient flows through the choice
    const weights = tf.tensor2d(
      rows.map((r) => r.slice(0, -1).map((t) => (t === 1 ? 1 : 0))),
      [4, 5],
    );
    disposers.push(weights);
    const before = snapshot(model).get('model.embed_tokens.weight')!;
    const r = trainStep(
      model,
      b,
      (losses) => {
        const seen = losses.dataSync().length;
        return { loss: tf.div(tf.sum(tf.mul(losses, weights)), tf.sum(weights)) as tf.Scalar, metrics: { seen } };
      },
      state,
    );
    expect(r.metrics).toEqual({ seen: 20 });
    const after = snapshot(model).get('model.embed_tokens.weight')!;
    // embedding rows (dim 4) change only for token 1; embeddings are not decayed
    for (let tok = 0; tok < 8; tok++) {
      const changed = [0, 1, 2, 3].some((d) => after[tok * 4 + d] !== before[tok * 4 + d]);
      expect(changed).toBe(tok === 1);
    }
  });

  it('scores per-token losses whose mean is the evaluation loss, leaving no tensors', () => {
    const { model } = setup();
    const b = batchOf(rows);
    const count = tf.memory().numTensors;
    const v = tokenLossValues(model, b);
    expect(tf.memory().numTensors).toBe(count);
    expect(v.length).toBe(4 * 5);
    expect(v.every((x) => x > 0)).toBe(true);
    expect(v.reduce((s, x) => s + x, 0) / v.length).toBeCloseTo(evalLoss(model, b, meanTokenLoss), 5);
  });

  it('counts only real targets under a padding mask', () => {
    const b: TokenBatch = { ...batchOf(rows.slice(0, 2)), mask: Int32Array.from([1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1]) };
    // row 0 targets t=1..5 are 1,1,1,0,0; row 1 all real
    expect(targetCount(b)).toBe(3 + 5);
  });

  it('rejects malformed batches and stops on a non-finite loss', () => {
    const { model, state } = setup();
    expect(() => trainStep(model, { ids: new Int32Array(5), batchSize: 2, seqLen: 3 }, meanTokenLoss, state)).toThrow(/batchSize·seqLen/);
    const count = tf.memory().numTensors;
    expect(() => trainStep(model, [batchOf(rows), { ids: new Int32Array(5), batchSize: 1, seqLen: 1 }], meanTokenLoss, state)).toThrow(/at least 2 tokens/);
    expect(() => trainStep(model, batchOf(rows), (l) => tf.div(tf.sum(l), 0) as tf.Scalar, state)).toThrow(/training loss is Infinity/);
    expect(tf.memory().numTensors).toBe(count);
    expect(state.step).toBe(0);
  });
});
