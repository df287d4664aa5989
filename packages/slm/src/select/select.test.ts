import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { RhoError } from '@rho/core';
import { randomScores, selectTokens, selectedCount, weightedMeanLoss } from './select.ts';
import { selectWeightsTf, weightedLossTf } from './tf.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const hard = { ratio: 0.5, selectBy: 'excess' } as const;

describe('selectTokens (pure)', () => {
  it('takes the exact top-k by excess loss, ties to the earlier position', () => {
    // excess = [1, 3, 2, 3, 3, 0]; top 3 of 6 => the three 3s; top 2 => positions 1 and 3.
    const cur = [2, 4, 3, 5, 6, 1];
    const ref = [1, 1, 1, 2, 3, 1];
    const valid = [1, 1, 1, 1, 1, 1];
    expect(Array.from(selectTokens(cur, ref, valid, { ...hard, ratio: 0.5 }).weights)).toEqual([0, 1, 0, 1, 1, 0]);
    expect(Array.from(selectTokens(cur, ref, valid, { ...hard, ratio: 2 / 6 }).weights)).toEqual([0, 1, 0, 1, 0, 0]);
    expect(Array.from(selectTokens(cur, ref, valid, { ...hard, ratio: 4 / 6 }).weights)).toEqual([0, 1, 1, 1, 1, 0]);
  });

  it('never selects padding or unscored tokens, and counts k over valid tokens only', () => {
    const cur = [9, 1, 2, 9, 3, Number.NaN];
    const ref = [0, 0, 0, 0, 0, 0];
    const valid = [0, 1, 1, 0, 1, 1];
    const s = selectTokens(cur, ref, valid, { ...hard, ratio: 0.6 });
    expect(s.valid).toBe(3);
    expect(s.selected).toBe(2);
    expect(Array.from(s.weights)).toEqual([0, 0, 1, 0, 1, 0]);
    const all = selectTokens(cur, ref, valid, { ...hard, ratio: 1 });
    expect(Array.from(all.weights)).toEqual([0, 1, 1, 0, 1, 0]);
  });

  it('select-by current and reference pick by their own score', () => {
    const cur = [1, 5, 3];
    const ref = [4, 0, 2];
    expect(Array.from(selectTokens(cur, ref, [1, 1, 1], { ratio: 1 / 3, selectBy: 'current' }).weights)).toEqual([0, 1, 0]);
    expect(Array.from(selectTokens(cur, ref, [1, 1, 1], { ratio: 1 / 3, selectBy: 'reference' }).weights)).toEqual([0, 1, 0]);
    expect(Array.from(selectTokens(cur, ref, [1, 1, 1], { ratio: 1 / 3, selectBy: 'excess' }).weights)).toEqual([0, 1, 0]);
    expect(Array.from(selectTokens(cur, [0, 9, 0], [1, 1, 1], { ratio: 1 / 3, selectBy: 'excess' }).weights)).toEqual([0, 0, 1]);
  });

  it('select-by random draws the same share blind to the losses, the same draw for the same batch', () => {
    const ids = [5, 9, 2, 7, 7, 1, 3, 8, 4, 6];
    const valid = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    const r = randomScores(ids, ids.length);
    expect(randomScores(ids, ids.length)).toEqual(r);
    expect(randomScores([...ids.slice(0, 9), 0], ids.length)).not.toEqual(r);
    const opts = { ratio: 0.5, selectBy: 'random' } as const;
    const a = selectTokens([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], null, valid, opts, r);
    const b = selectTokens([9, 8, 7, 6, 5, 4, 3, 2, 1, 1], null, valid, opts, r);
    expect(a.selected).toBe(4);
    expect([...a.weights]).toEqual([...b.weights]); // the losses play no part
    expect(a.weights[8]! + a.weights[9]!).toBe(0);
    const tfw = tf.tidy(() => selectWeightsTf(tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], [2, 5]), null, tf.tensor2d(valid, [2, 5]), 8, opts, r).dataSync());
    expect([...tfw]).toEqual([...a.weights]);
  });

  it('ratio 1.0 is the CLM loss: the mean over all valid tokens', () => {
    const cur = [0.5, 2, 1.5, 4, 3];
    const valid = [1, 1, 1, 1, 0];
    const s = selectTokens(cur, [1, 1, 1, 1, 1], valid, { ratio: 1, selectBy: 'excess' });
    expect(weightedMeanLoss(cur, s.weights)).toBeCloseTo((0.5 + 2 + 1.5 + 4) / 4, 12);
  });

  it('reweight gives weights in (0,1) ordered by score, 0.5 at the cut, 0 on padding', () => {
    const s = selectTokens([1, 2, 3, 4, 9], [0, 0, 0, 0, 0], [1, 1, 1, 1, 0], { ratio: 0.5, selectBy: 'current', reweight: true, temperature: 1 });
    const w = Array.from(s.weights);
    expect(w[4]).toBe(0);
    expect(w[2]).toBeCloseTo(0.5, 6);
    for (let i = 1; i < 4; i++) expect(w[i]!).toBeGreaterThan(w[i - 1]!);
    expect(w[0]!).toBeGreaterThan(0);
  });

  it('rejects ratios outside (0, 1] and missing reference scores', () => {
    for (const ratio of [0, -0.1, 1.01, Number.NaN]) expect(() => selectTokens([1], [1], [1], { ratio, selectBy: 'excess' })).toThrow(RhoError);
    expect(() => selectTokens([1], null, [1], { ratio: 0.5, selectBy: 'excess' })).toThrow(/reference/);
    expect(selectedCount(0, 0.5)).toBe(0);
    expect(selectedCount(3, 0.01)).toBe(1);
  });
});

describe('selectWeightsTf', () => {
  it('agrees with the pure selection on random batches full of ties and padding', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let trial = 0; trial < 20; trial++) {
      const B = 3;
      const T = 11;
      const n = B * T;
      // Quantised to quarters so many scores tie exactly.
      const cur = Array.from({ length: n }, () => Math.floor(rnd() * 8) / 4);
      const ref = Array.from({ length: n }, () => Math.floor(rnd() * 4) / 4);
      const valid = Array.from({ length: n }, () => (rnd() < 0.8 ? 1 : 0) as number);
      const nValid = valid.reduce((a: number, b) => a + b, 0);
      for (const selectBy of ['excess', 'current', 'reference'] as const) {
        const ratio = [0.1, 0.35, 0.6, 1][trial % 4]!;
        const want = selectTokens(cur, ref, valid, { ratio, selectBy });
        const got = tf.tidy(() =>
          selectWeightsTf(tf.tensor2d(cur, [B, T]), tf.tensor2d(ref, [B, T]), tf.tensor2d(valid, [B, T]), nValid, { ratio, selectBy }).dataSync(),
        );
        expect(Array.from(got)).toEqual(Array.from(want.weights));
      }
    }
  });

  it('reweight matches the pure soft weights', () => {
    const cur = [1, 2, 3, 4, 9, 0.5];
    const valid = [1, 1, 1, 1, 0, 1];
    const want = selectTokens(cur, null, valid, { ratio: 0.5, selectBy: 'current', reweight: true, temperature: 0.7 });
    const got = tf.tidy(() =>
      selectWeightsTf(tf.tensor2d(cur, [2, 3]), null, tf.tensor2d(valid, [2, 3]), 5, {
        ratio: 0.5,
        selectBy: 'current',
        reweight: true,
        temperature: 0.7,
      }).dataSync(),
    );
    for (let i = 0; i < cur.length; i++) expect(got[i]!).toBeCloseTo(want.weights[i]!, 6);
  });

  it('gradients flow only through the selected tokens', () => {
    // Per-token losses that depend on a trained variable: loss_i = (v_i − target_i)^2.
    const v = tf.variable(tf.tensor2d([0.1, -0.3, 0.7, 0.2, -0.9, 0.4, 0.05, 0.6], [2, 4]));
    const target = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 1], [2, 4]);
    const ref = tf.tensor2d([0.5, 0.5, 0.1, 2, 0.5, 0.5, 0.5, 0.5], [2, 4]);
    const valid = tf.tensor2d([1, 1, 1, 1, 1, 1, 1, 0], [2, 4]);
    let weights: Float32Array | undefined;
    const { grads, value } = tf.variableGrads(() => {
      const losses = tf.square(tf.sub(v, target)) as tf.Tensor2D;
      const w = selectWeightsTf(losses, ref, valid, 7, { ratio: 0.5, selectBy: 'excess' });
      weights = w.dataSync() as Float32Array;
      return weightedLossTf(losses, w);
    }, [v]);
    const g = grads[v.name]!.dataSync();
    const sel = Array.from(weights!);
    expect(sel.reduce((a, b) => a + b, 0)).toBe(4); // round(0.5 * 7)
    expect(sel[7]).toBe(0); // padding
    const vv = v.dataSync();
    for (let i = 0; i < 8; i++) {
      if (sel[i] === 0) expect(Math.abs(g[i]!)).toBe(0);
      // d/dv_i of mean over the 4 selected of (v − 1)^2 = 2(v_i − 1)/4.
      else expect(g[i]!).toBeCloseTo((2 * (vv[i]! - 1)) / 4, 6);
    }
    // The loss value is the mean over the selected tokens only.
    const losses = Array.from(vv, (x) => (x - 1) ** 2);
    expect(value.dataSync()[0]!).toBeCloseTo(weightedMeanLoss(losses, sel), 6);
    tf.dispose([v, target, ref, valid, value, ...Object.values(grads)]);
  });

  it('ratio 1.0 gives the same loss and gradient as the plain mean (CLM)', () => {
    const v = tf.variable(tf.tensor2d([0.3, 1.2, -0.5, 2.0, 0.0, 0.8], [2, 3]));
    const valid = tf.tensor2d([1, 1, 1, 1, 1, 0], [2, 3]);
    const ref = tf.zeros([2, 3]) as tf.Tensor2D;
    const slm = tf.variableGrads(() => {
      const losses = tf.square(v) as tf.Tensor2D;
      return weightedLossTf(losses, selectWeightsTf(losses, ref, valid, 5, { ratio: 1, selectBy: 'excess' }));
    }, [v]);
    const clm = tf.variableGrads(() => tf.div(tf.sum(tf.mul(tf.square(v), valid)), 5) as tf.Scalar, [v]);
    expect(slm.value.dataSync()[0]!).toBeCloseTo(clm.value.dataSync()[0]!, 6);
    const a = slm.grads[v.name]!.dataSync();
    const b = clm.grads[v.name]!.dataSync();
    for (let i = 0; i < 6; i++) expect(a[i]!).toBeCloseTo(b[i]!, 6);
  });
});
