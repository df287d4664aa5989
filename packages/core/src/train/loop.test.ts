import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { trainLoop, windowBatches, type LoopStep } from './loop.ts';
import { createTrainerState, meanTokenLoss, type TokenBatch, type TrainConfig } from './step.ts';
import { BigramLM } from './testing/bigram-lm.ts';

const config: TrainConfig = { schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 1, totalSteps: 7 }, maxGradNorm: 1, adamw: { weightDecay: 0.1 } };
const tokens = Int32Array.from({ length: 60 }, (_, i) => (i * 5 + (i >> 3)) % 8);
const window = { seqLen: 6, batchSize: 2, seed: 1, shuffle: true };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('trainLoop', () => {
  it('hands each step its batch, timing and whether it is the last, before that step is saved', async () => {
    const model = new BigramLM(8, 4, 2);
    const state = createTrainerState(config, { seed: 4 });
    const seen: Array<{ step: number; last: boolean; rows: number; saved: boolean }> = [];
    const saved: number[] = [];
    const out = await trainLoop(model, state, {
      untilStep: 7,
      nextBatch: windowBatches(tokens, window),
      lossFn: meanTokenLoss,
      onStep: (m, s, step: LoopStep<TokenBatch[]>) => {
        expect(s.step).toBe(m.step);
        expect(step.seconds).toBeGreaterThan(0);
        seen.push({ step: m.step, last: step.last, rows: step.batch.reduce((n, b) => n + b.batchSize, 0), saved: saved.includes(m.step) });
      },
      checkpoint: { every: 3, save: async (s) => void saved.push(s.step) },
    });
    state.optimizer.dispose();
    expect(out.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.map((s) => s.last)).toEqual([false, false, false, false, false, false, true]);
    expect(seen.every((s) => s.rows === 2 && !s.saved)).toBe(true);
    expect(saved).toEqual([3, 6, 7]);
  });

  it('stopAfter ends early like a killed run: the schedule keeps untilStep, no final checkpoint is forced', async () => {
    const run = async (opts: { stopAfter?: number }) => {
      const model = new BigramLM(8, 4, 2);
      const state = createTrainerState(config, { seed: 4 });
      const saved: number[] = [];
      const lasts: boolean[] = [];
      const out = await trainLoop(model, state, {
        untilStep: 7,
        ...opts,
        nextBatch: windowBatches(tokens, window),
        lossFn: meanTokenLoss,
        onStep: (_m, _s, { last }) => void lasts.push(last),
        checkpoint: { every: 3, save: async (s) => void saved.push(s.step) },
      });
      state.optimizer.dispose();
      return { out, saved, lasts, step: state.step };
    };
    const full = await run({});
    const cut = await run({ stopAfter: 5 });
    expect(cut.step).toBe(5);
    expect(cut.saved).toEqual([3]);
    expect(cut.lasts.some(Boolean)).toBe(false);
    expect(cut.out.map((m) => [m.loss, m.lr])).toEqual(full.out.slice(0, 5).map((m) => [m.loss, m.lr]));
    // past the end it changes nothing
    expect((await run({ stopAfter: 100 })).saved).toEqual([3, 6, 7]);
  });

  it('rejects a checkpoint interval that is not a positive integer', async () => {
    const model = new BigramLM(8, 4, 2);
    const state = createTrainerState(config, { seed: 4 });
    await expect(
      trainLoop(model, state, {
        untilStep: 2,
        nextBatch: windowBatches(tokens, window),
        lossFn: meanTokenLoss,
        checkpoint: { every: 0, save: async () => {} },
      }),
    ).rejects.toThrow(RhoError);
    expect(state.step).toBe(0);
    state.optimizer.dispose();
  });
});
