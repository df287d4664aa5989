import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../safetensors/index.ts';
import { trainLoop, windowBatches } from './loop.ts';
import { nextUint32 } from './rng.ts';
import { OPTIMIZER_FILE, parseTrainConfig, readTrainerState, TRAINER_STATE_FILE, trainerStateFiles } from './state.ts';
import { createTrainerState, meanTokenLoss, type TrainConfig } from './step.ts';
import { BigramLM } from './testing/bigram-lm.ts';

const config: TrainConfig = { schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 1, totalSteps: 7 }, maxGradNorm: 1, adamw: { weightDecay: 0.1, beta2: 0.99 } };
const tokens = Int32Array.from({ length: 60 }, (_, i) => (i * 5 + (i >> 3)) % 8);
const window = { seqLen: 6, batchSize: 2, seed: 1, shuffle: true };

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'rho-state-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freshDir(name: string): string {
  const d = join(dir, name);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
}

describe('trainer state files', () => {
  it('saves on the checkpoint cadence and restores every part of the state', async () => {
    const model = new BigramLM(8, 4, 2);
    const state = createTrainerState(config, { seed: 4 });
    const saves: Array<{ step: number; files: Record<string, Uint8Array | string> }> = [];
    await trainLoop(model, state, {
      untilStep: 7,
      nextBatch: windowBatches(tokens, window),
      lossFn: meanTokenLoss,
      checkpoint: { every: 3, save: async (s) => void saves.push({ step: s.step, files: trainerStateFiles(s) }) },
    });
    expect(saves.map((s) => s.step)).toEqual([3, 6, 7]);
    nextUint32(state.rng); // a caller's draw shows up in the saved state
    const d = freshDir('ok');
    for (const [f, c] of Object.entries(trainerStateFiles(state))) writeFileSync(join(d, f), c);
    const moments = readSafetensors(join(d, OPTIMIZER_FILE));
    expect(moments.get('exp_avg.lm_head.weight')!.shape).toEqual([8, 4]);
    const back = readTrainerState(d, model);
    try {
      expect(back.step).toBe(7);
      expect(back.rng).toEqual(state.rng);
      expect(back.data).toEqual(state.data);
      expect(back.config).toEqual(config);
      expect(back.optimizer.cfg.beta2).toBe(0.99);
      const a = state.optimizer.exportState();
      const b = back.optimizer.exportState();
      expect(b.t).toBe(7);
      for (const [k, v] of a.expAvgSq) expect(b.expAvgSq.get(k), k).toEqual(v);
    } finally {
      back.optimizer.dispose();
      state.optimizer.dispose();
      model.dispose();
    }
  });

  it('names what is wrong with a damaged state file', () => {
    const model = new BigramLM(8, 4, 2);
    const state = createTrainerState(config, { seed: 4 });
    const files = trainerStateFiles(state);
    const json = JSON.parse(files[TRAINER_STATE_FILE] as string);
    const d = freshDir('bad');
    writeFileSync(join(d, OPTIMIZER_FILE), files[OPTIMIZER_FILE]!);
    const attempt = (content: string) => {
      writeFileSync(join(d, TRAINER_STATE_FILE), content);
      return () => readTrainerState(d, model);
    };
    try {
      expect(attempt('{not json')).toThrow(/not valid JSON/);
      expect(attempt(JSON.stringify({ ...json, extra: 1 }))).toThrow(/invalid trainer state/);
      expect(attempt(JSON.stringify({ ...json, rng: { s: [0, 0, 0, 0] } }))).toThrow(/rng/);
      expect(attempt(JSON.stringify({ ...json, global_step: -1 }))).toThrow(/invalid trainer state/);
      // moments of a parameter this model lacks
      const other = new BigramLM(9, 4, 2);
      const g = new Map([...other.weights].map(([k, v]) => [k, tf.onesLike(v)]));
      state.optimizer.apply(other.weights, g, 0.1);
      tf.dispose([...g.values()]);
      writeFileSync(join(d, OPTIMIZER_FILE), trainerStateFiles(state)[OPTIMIZER_FILE]!);
      expect(attempt(JSON.stringify(json))).toThrow(/wrong size/);
      other.dispose();
    } finally {
      state.optimizer.dispose();
      model.dispose();
    }
    expect(JSON.parse(readFileSync(join(d, TRAINER_STATE_FILE), 'utf8')).format).toBe('rho-trainer-state');
  });

  it('validates a training config, unknown keys included', () => {
    expect(parseTrainConfig(config)).toEqual(config);
    expect(() => parseTrainConfig({ ...config, lr: 1 })).toThrow(/invalid training config/);
    expect(() => parseTrainConfig({ ...config, schedule: { ...config.schedule, warmupSteps: 1.5 } })).toThrow(/schedule.warmupSteps|invalid/);
  });
});
