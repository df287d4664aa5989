import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../datadir.ts';
import { loadCheckpoint } from '../checkpoint/load.ts';
import { generate } from '../generate/generate.ts';
import type { LlamaModel } from './llama.ts';
import { arangePositions, attentionBias, MASKED } from './mask.ts';

const FIXTURES = resolve(process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures'));
const MISTRAL = join(FIXTURES, 'tiny-mistral');

interface Expected {
  input_ids: number[][];
  logits: number[][][];
  token_losses: number[][];
  greedy: { prompt: number[]; max_new_tokens: number; output: number[] };
  bf16_logits: number[][][];
  tolerance: { logits_abs: number; bf16_logits_abs: number };
}
const expected = JSON.parse(readFileSync(join(MISTRAL, 'expected.json'), 'utf8')) as Expected;
const bf16Greedy = JSON.parse(readFileSync(join(MISTRAL, 'bf16/greedy.json'), 'utf8')) as { prompt: number[]; output: number[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Which keys each query may see: true where the bias is 0, per [row][query][key]. */
function allowedOf(bias: tf.Tensor4D): boolean[][][] {
  return (bias.arraySync() as number[][][][]).map((r) => r[0]!.map((q) => q.map((x) => x === 0)));
}

/** Largest |a − b| over positions from..to (exclusive) of every row. */
function maxDiff(a: number[][][], b: number[][][], from = 0, to = Infinity): number {
  let m = 0;
  a.forEach((row, r) =>
    row.forEach((v, t) => {
      if (t < from || t >= to) return;
      v.forEach((x, i) => (m = Math.max(m, Math.abs(x - b[r]![t]![i]!))));
    }),
  );
  return m;
}

describe('attentionBias with a sliding window', () => {
  it('lets query position i see keys j with i − w ≤ j ≤ i, and MASKED is the only other value', () => {
    const w = 2;
    const bias = attentionBias(1, 6, 0, undefined, w);
    const allowed = allowedOf(bias)[0]!;
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) expect(allowed[i]![j], `${i},${j}`).toBe(j <= i && j >= i - w);
    expect(new Set(bias.dataSync())).toEqual(new Set([0, MASKED]));
    // no window, or one longer than the sequence: plain causal
    expect(allowedOf(attentionBias(1, 6, 0, undefined, null))).toEqual(allowedOf(attentionBias(1, 6, 0, undefined, 100)));
    tf.dispose(bias);
  });

  it('counts positions, not slots: a left-padded row sees what the unpadded one sees, in the prompt and in decoding', () => {
    const w = 3;
    // row 0: 2 padding slots then 6 tokens; row 1: 8 tokens
    const mask = tf.tensor2d(
      [
        [0, 0, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1],
      ],
      undefined,
      'int32',
    );
    const got = allowedOf(attentionBias(2, 8, 0, mask, w));
    const plain = allowedOf(attentionBias(1, 8, 0, undefined, w))[0]!;
    expect(got[1]).toEqual(plain);
    for (let i = 2; i < 8; i++) {
      expect(got[0]![i]!.slice(0, 2)).toEqual([false, false]);
      expect(got[0]![i]!.slice(2)).toEqual(plain[i - 2]!.slice(0, 6));
    }
    // one decoding step at slot 8: position 6 in row 0, 8 in row 1
    const mask9 = tf.tensor2d(
      [
        [0, 0, 1, 1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 1, 1, 1, 1, 1],
      ],
      undefined,
      'int32',
    );
    const step = allowedOf(attentionBias(2, 1, 8, mask9, w));
    expect(step[0]![0]).toEqual([false, false, false, false, false, true, true, true, true]); // positions 3..6
    expect(step[1]![0]).toEqual([false, false, false, false, false, true, true, true, true]); // positions 5..8
    tf.dispose([mask, mask9]);
  });
});

describe('tiny-mistral fixture (sliding_window 5)', () => {
  let model: LlamaModel;
  let bf16: LlamaModel;
  beforeAll(async () => {
    model = (await loadCheckpoint(MISTRAL)).model;
    bf16 = (await loadCheckpoint(join(MISTRAL, 'bf16'))).model;
    expect(model.config).toMatchObject({ modelType: 'mistral', slidingWindow: 5, numKeyValueHeads: 1 });
  });
  afterAll(() => {
    model?.dispose();
    bf16?.dispose();
  });

  const logitsOf = (m: LlamaModel, inference = false) =>
    tf.tidy(() => m.logits(tf.tensor2d(expected.input_ids, undefined, 'int32'), { inference })).arraySync();

  it('reproduces PyTorch logits (both weight layouts) and token losses', () => {
    const tol = expected.tolerance.logits_abs;
    expect(maxDiff(logitsOf(model), expected.logits)).toBeLessThanOrEqual(tol);
    expect(maxDiff(logitsOf(model, true), expected.logits)).toBeLessThanOrEqual(tol);
    const losses = tf.tidy(() => model.tokenLosses(tf.tensor2d(expected.input_ids, undefined, 'int32'))).arraySync();
    expect(maxDiff([losses], [expected.token_losses])).toBeLessThanOrEqual(2 * tol);
  });

  it('without the window, logits agree up to position 5 and differ from position 6 on', () => {
    const [b, t] = [expected.input_ids.length, expected.input_ids[0]!.length];
    const full = tf
      .tidy(() => {
        const ids = tf.tensor2d(expected.input_ids, undefined, 'int32');
        return model.forward({ ids, positions: arangePositions(b, t), bias: attentionBias(b, t, 0) }).logits;
      })
      .arraySync();
    const tol = expected.tolerance.logits_abs;
    expect(maxDiff(full, expected.logits, 0, 6)).toBeLessThanOrEqual(tol);
    expect(maxDiff(full, expected.logits, 6)).toBeGreaterThan(100 * tol);
  });

  it('greedy decoding with the KV cache past the window reproduces the continuation (tfjs decoder, the auto choice, and without the cache)', () => {
    const g = expected.greedy;
    expect(g.prompt.length + g.max_new_tokens).toBeGreaterThan(model.config.slidingWindow! + 1);
    const want = g.output.slice(g.prompt.length);
    expect(generate(model, [g.prompt], { maxNewTokens: g.max_new_tokens, eosId: null, decoder: 'tfjs' }).tokens[0]).toEqual(want);
    expect(generate(model, [g.prompt], { maxNewTokens: g.max_new_tokens, eosId: null, decoder: 'auto' }).tokens[0]).toEqual(want);
    expect(generate(model, [g.prompt], { maxNewTokens: g.max_new_tokens, eosId: null, useCache: false }).tokens[0]).toEqual(want);
  });

  it('a left-padded batch decodes each row as it decodes alone', () => {
    const g = expected.greedy;
    const prompts = [g.prompt, g.prompt.slice(0, 3), [...g.prompt, ...g.prompt.slice(0, 4)]];
    const alone = prompts.map((p) => generate(model, [p], { maxNewTokens: 9, eosId: null, decoder: 'tfjs' }).tokens[0]);
    expect(generate(model, prompts, { maxNewTokens: 9, eosId: null, decoder: 'tfjs' }).tokens).toEqual(alone);
    expect(alone[0]).toEqual(g.output.slice(g.prompt.length, g.prompt.length + 9));
  });

  it('the BF16 weights reproduce bf16_logits and bf16/greedy.json', () => {
    expect(maxDiff(logitsOf(bf16), expected.bf16_logits)).toBeLessThanOrEqual(expected.tolerance.bf16_logits_abs);
    const want = bf16Greedy.output.slice(bf16Greedy.prompt.length);
    expect(generate(bf16, [bf16Greedy.prompt], { maxNewTokens: want.length, eosId: null, decoder: 'tfjs' }).tokens[0]).toEqual(want);
  });
});
