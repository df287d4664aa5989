/**
 * Resumption: a run stopped at step N and resumed from its checkpoint directory on
 * disk gives the same losses from N on as the uninterrupted run, bit for bit. Real parts: the Llama
 * model, checkpoint files (config.json, model.safetensors, trainer_state.json,
 * optimizer.safetensors), the backend, shuffled data crossing epochs, gradient accumulation.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTrainerState,
  initBackend,
  LlamaModel,
  makeConfig,
  meanTokenLoss,
  OPTIMIZER_FILE,
  readSafetensors,
  readTrainerState,
  REPO_ROOT,
  resumeTraining,
  RhoError,
  saveTrainingCheckpoint,
  type TrainConfig,
  TRAINER_STATE_FILE,
  trainLoop,
  windowBatches,
} from '@rho/core';

const dataDir = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');
const line = readFileSync(resolve(dataDir, 'corpus/gsm8k-train.jsonl'), 'utf8').split('\n')[0]!;
// ~330 bytes: 10 windows, so 8 steps of 4 windows cross three epochs
const tokens = new TextEncoder().encode(`${JSON.parse(line).question}\n${JSON.parse(line).answer}`);
const window = { seqLen: 33, batchSize: 2, seed: 5, shuffle: true, accumulate: 2 };
const trainConfig: TrainConfig = { schedule: { maxLr: 5e-3, minLr: 5e-4, warmupSteps: 2, totalSteps: 8 }, maxGradNorm: 1, adamw: { weightDecay: 0.1 } };
const modelConfig = makeConfig({
  vocab_size: 256,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
});

let tmp: string;
beforeAll(async () => {
  await initBackend();
  tmp = mkdtempSync(join(tmpdir(), 'rho-resume-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('exact resume', () => {
  it('a run resumed from its step-4 checkpoint repeats the uninterrupted losses and weights', async () => {
    const model = LlamaModel.init(modelConfig, 3);
    const state = createTrainerState(trainConfig, { seed: 9 });
    const full = await trainLoop(model, state, {
      untilStep: 8,
      nextBatch: windowBatches(tokens, window),
      lossFn: meanTokenLoss,
      checkpoint: { every: 4, save: (s) => saveTrainingCheckpoint(join(tmp, `step-${s.step}`), model, s) },
    });
    const finalWeights = new Map([...model.weights].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));
    const finalData = state.data;
    state.optimizer.dispose();
    model.dispose();
    expect(full.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect((finalData as { epoch: number }).epoch).toBeGreaterThanOrEqual(2);

    const ckpt = join(tmp, 'step-4');
    for (const f of ['config.json', 'model.safetensors', TRAINER_STATE_FILE, OPTIMIZER_FILE]) expect(existsSync(join(ckpt, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(ckpt, TRAINER_STATE_FILE), 'utf8')).global_step).toBe(4);

    const resumed = await resumeTraining(ckpt);
    try {
      expect(resumed.state.step).toBe(4);
      const rest = await trainLoop(resumed.model, resumed.state, { untilStep: 8, nextBatch: windowBatches(tokens, window), lossFn: meanTokenLoss });
      expect(rest.map((m) => m.loss)).toEqual(full.slice(4).map((m) => m.loss));
      expect(rest.map((m) => m.gradNorm)).toEqual(full.slice(4).map((m) => m.gradNorm));
      expect(resumed.state.data).toEqual(finalData);
      for (const [name, v] of resumed.model.weights) expect(v.dataSync(), name).toEqual(finalWeights.get(name));
      // and the step-8 checkpoint on disk holds those same weights
      const saved = readSafetensors(join(tmp, 'step-8', 'model.safetensors'));
      for (const [name, w] of finalWeights) expect(saved.get(name)!.data, name).toEqual(w);
    } finally {
      resumed.state.optimizer.dispose();
      resumed.model.dispose();
    }
  });

  it('without the optimizer moments the continuation differs (so the check above can fail)', async () => {
    const ckpt = join(tmp, 'step-4');
    const a = await resumeTraining(ckpt);
    const b = await resumeTraining(ckpt);
    try {
      b.state.optimizer.importState({ t: 0, expAvg: new Map(), expAvgSq: new Map() }, b.model.weights);
      const opts = { untilStep: 6, nextBatch: windowBatches(tokens, window), lossFn: meanTokenLoss };
      const la = (await trainLoop(a.model, a.state, opts)).map((m) => m.loss);
      const lb = (await trainLoop(b.model, b.state, opts)).map((m) => m.loss);
      // step 5 is measured before its update, from the same weights; step 6 after an update that used the moments
      expect(lb[0]).toBe(la[0]);
      expect(lb[1]).not.toBe(la[1]);
    } finally {
      for (const r of [a, b]) {
        r.state.optimizer.dispose();
        r.model.dispose();
      }
    }
  });

  it('reports a checkpoint without trainer state or with missing moments', async () => {
    const model = LlamaModel.init(modelConfig, 4);
    try {
      expect(() => readTrainerState(join(tmp, 'nowhere'), model)).toThrow(RhoError);
      const dir = join(tmp, 'step-4');
      rmSync(join(dir, OPTIMIZER_FILE));
      expect(() => readTrainerState(dir, model)).toThrow(/optimizer moments/);
    } finally {
      model.dispose();
    }
  });
});
