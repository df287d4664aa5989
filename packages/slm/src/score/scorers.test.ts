import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, LlamaModel, makeConfig, TfjsLm } from '@rho/core';
import { causalLmScorer, localScorer } from './local-scorers.ts';
import { windowRows, type WindowBatch } from './window-scorer.ts';

/** Two full windows, one cut short (right padding), one of a single token, one empty. */
const T = 6;
const rows = [[5, 9, 2, 7, 1, 3], [4, 4, 8, 6, 2, 9], [7, 3, 5], [6], []];
const batch: WindowBatch = {
  ids: Int32Array.from(rows.flatMap((r) => [...r, ...Array<number>(T - r.length).fill(0)])),
  mask: rows.flatMap((r) => Array.from({ length: T }, (_, t) => (t < r.length ? 1 : 0))),
  batchSize: rows.length,
  seqLen: T,
};

describe('windowRows', () => {
  it('gives each window its real tokens, padding left out', () => {
    expect(windowRows(batch)).toEqual(rows);
  });
});

describe('causalLmScorer', () => {
  it('sends unpadded rows and lays the losses out as [B, T-1] with 0 on padding', async () => {
    const seen: number[][][] = [];
    // the loss of target t+1 encodes the target and its predecessor, so any shift shows
    const lm = {
      tokenLosses: (rs: readonly (readonly number[])[]) => {
        seen.push(rs.map((r) => [...r]));
        return rs.map((r) => Float32Array.from(r.slice(1), (x, t) => x + 0.001 * r[t]!));
      },
    };
    const out = await causalLmScorer(lm).lossesOf(batch);
    expect(seen).toEqual([rows]);
    const want = rows.flatMap((r) => Array.from({ length: T - 1 }, (_, t) => (t + 1 < r.length ? r[t + 1]! + 0.001 * r[t]! : 0)));
    expect(Array.from(out)).toEqual(Array.from(Float32Array.from(want)));
  });

  describe('over the tfjs engine', () => {
    let model: LlamaModel;
    beforeAll(async () => {
      // FP32 products: the comparison is of layouts and masking, not of arithmetic
      await initBackend({ precision: 'fp32' });
      model = LlamaModel.init(
        makeConfig({
          vocab_size: 16,
          hidden_size: 16,
          intermediate_size: 32,
          num_hidden_layers: 1,
          num_attention_heads: 2,
          num_key_value_heads: 1,
          max_position_embeddings: 32,
          tie_word_embeddings: false,
        }),
        4,
      );
    });
    afterAll(() => model.dispose());

    it('agrees with the padded-batch scorer the trainer uses', async () => {
      const viaLm = await causalLmScorer(new TfjsLm(model, 'test')).lossesOf(batch);
      const viaModel = await localScorer(model).lossesOf(batch);
      expect(viaLm.length).toBe(viaModel.length);
      let err = 0;
      for (let i = 0; i < viaLm.length; i++) err = Math.max(err, Math.abs(viaLm[i]! - viaModel[i]!));
      expect(err).toBeLessThan(1e-4);
      // real targets got a loss, padding none
      expect(viaLm[0]).toBeGreaterThan(0);
      expect(viaLm[2 * (T - 1) + 2]).toBe(0);
    });
  });
});
