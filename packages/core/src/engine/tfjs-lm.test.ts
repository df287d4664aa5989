import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../datadir.ts';
import { RhoError } from '../errors.ts';
import { byLength, openTfjsLm, type TfjsLm } from './tfjs-lm.ts';

const FIXTURES = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
const TINY = join(FIXTURES, 'tiny-llama');

interface Expected {
  input_ids: number[][];
  logits: number[][][];
  token_losses: number[][];
  greedy: { prompt: number[]; max_new_tokens: number; output: number[] };
  tolerance: { logits_abs: number };
}
const exp = JSON.parse(readFileSync(join(TINY, 'expected.json'), 'utf8')) as Expected;

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('byLength', () => {
  it('runs each length once, keeps the rows in order, and gives short rows an empty result', () => {
    const calls: number[][] = [];
    const rows = [[1, 2, 3], [4], [5, 6], [7, 8, 9], []];
    const out = byLength(rows, 2, (ids) => {
      calls.push(ids.shape);
      return tf.mul(tf.cast(ids, 'float32'), 10);
    });
    expect(calls.sort()).toEqual([
      [1, 2],
      [2, 3],
    ]);
    expect(out.map((r) => Array.from(r))).toEqual([[10, 20, 30], [], [50, 60], [70, 80, 90], []]);
  });
});

describe('TfjsLm on the tiny-llama fixture', () => {
  let lm: TfjsLm;
  beforeAll(async () => {
    // fp32: the fixture's tolerances are for FP32 arithmetic
    lm = (await openTfjsLm(TINY, { precision: 'fp32' })).lm as TfjsLm;
  });
  afterAll(() => lm.dispose());

  it('reproduces the PyTorch logits and losses, row-major [T, V] and [T-1]', () => {
    const v = lm.config.vocabSize;
    const logits = lm.logits(exp.input_ids);
    const losses = lm.tokenLosses(exp.input_ids);
    exp.input_ids.forEach((ids, b) => {
      expect(logits[b]!.length).toBe(ids.length * v);
      expect(maxAbs(logits[b]!, exp.logits[b]!.flat())).toBeLessThanOrEqual(exp.tolerance.logits_abs);
      expect(maxAbs(losses[b]!, exp.token_losses[b]!)).toBeLessThanOrEqual(2 * exp.tolerance.logits_abs);
    });
  });

  it("rows of different lengths each get what they get alone (a prefix's logits are the longer row's first ones)", () => {
    const v = lm.config.vocabSize;
    const full = exp.input_ids[0]!;
    const rows = [full.slice(0, 5), full, full.slice(0, 1), exp.input_ids[1]!.slice(0, 9)];
    const together = lm.logits(rows);
    rows.forEach((r, i) => expect(maxAbs(together[i]!, lm.logits([r])[0]!)).toBeLessThanOrEqual(1e-5));
    expect(maxAbs(together[0]!, together[1]!.subarray(0, 5 * v))).toBeLessThanOrEqual(1e-5);
    const losses = lm.tokenLosses(rows);
    expect(losses.map((l) => l.length)).toEqual([4, full.length - 1, 0, 8]);
    expect(maxAbs(losses[0]!, losses[1]!.subarray(0, 4))).toBeLessThanOrEqual(1e-5);
  });

  it("generates the fixture's greedy continuation", () => {
    const g = exp.greedy;
    const res = lm.generate([g.prompt], { maxNewTokens: g.max_new_tokens, eosId: null });
    expect(res.tokens[0]).toEqual(g.output.slice(g.prompt.length));
  });

  it('refuses an id outside the vocabulary, naming it', () => {
    const v = lm.config.vocabSize;
    for (const call of [
      () => lm.logits([[1, v]]),
      () =>
        lm.tokenLosses([
          [1, 2],
          [v + 3, 1],
        ]),
      () => lm.checkIds([[-1]]),
    ]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RhoError);
      expect((err as RhoError).code).toBe('BAD_INPUT');
      expect((err as RhoError).message).toMatch(/token id -?\d+ is outside the vocabulary/);
    }
  });

  it('reports itself as the tfjs engine in fp32', () => {
    expect(lm.engine).toBe('tfjs');
    expect(lm.precision).toBe('fp32');
    expect(lm.description).toMatch(/^tfjs engine, fp32, backend \w+ \(.* matmul\)$/);
  });
});
