import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RhoError } from '../errors.ts';
import { loadCheckpoint, saveCheckpoint, verifyChecksums, type LoadedCheckpoint, type SaveOptions } from '../checkpoint/index.ts';
import type { LlamaModel } from '../model/llama.ts';
import { encodeSafetensors, readSafetensors, type SafeTensor } from '../safetensors/index.ts';
import { AdamW, type AdamWConfig, type AdamWState } from './adamw.ts';
import { isRngState } from './rng.ts';
import type { TrainConfig, TrainerState, TrainableModel } from './step.ts';
import { trainableParams } from './step.ts';

/**
 * A training checkpoint is a Hugging Face checkpoint directory (loadable by anything that reads
 * one) plus two files: trainer_state.json (step, schedule, optimizer hyper-parameters, RNG, data
 * position) and optimizer.safetensors (AdamW's moments under exp_avg.<name>, exp_avg_sq.<name>).
 * Weights and moments are stored as F32 whatever the model's dtype, so a resumed run continues
 * bit for bit.
 */
export const TRAINER_STATE_FILE = 'trainer_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
const FORMAT = 'rho-trainer-state';

const TrainConfigSchema = z
  .object({
    schedule: z
      .object({
        maxLr: z.number().nonnegative(),
        minLr: z.number().nonnegative(),
        warmupSteps: z.number().int().nonnegative(),
        totalSteps: z.number().int().nonnegative(),
      })
      .strict(),
    maxGradNorm: z.number().nonnegative(),
    adamw: z
      .object({
        beta1: z.number().min(0).max(1).optional(),
        beta2: z.number().min(0).max(1).optional(),
        eps: z.number().positive().optional(),
        weightDecay: z.number().nonnegative().optional(),
      })
      .strict(),
  })
  .strict();

/** Validates a training configuration from a file or flags; unknown keys are an error. */
export function parseTrainConfig(x: unknown, file?: string): TrainConfig {
  const r = TrainConfigSchema.safeParse(x);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new RhoError('BAD_CONFIG', `invalid training config: ${issue.message}`, { file, field: issue.path.join('.') || undefined });
  }
  return r.data;
}

const StateFileSchema = z
  .object({
    format: z.literal(FORMAT),
    version: z.literal(1),
    global_step: z.number().int().nonnegative(),
    config: TrainConfigSchema,
    optimizer: z
      .object({
        type: z.literal('adamw'),
        t: z.number().int().nonnegative(),
        beta1: z.number(),
        beta2: z.number(),
        eps: z.number(),
        weightDecay: z.number(),
      })
      .strict(),
    rng: z.unknown().refine(isRngState, 'rng must be {"s": four 32-bit words, not all zero}'),
    data: z.unknown(),
  })
  .strict();

/** The two trainer files for a checkpoint directory, as bytes (for saveCheckpoint's extraFiles). */
export function trainerStateFiles(state: TrainerState): Record<string, Uint8Array | string> {
  const opt = state.optimizer.exportState();
  const { beta1, beta2, eps, weightDecay } = state.optimizer.cfg;
  const config: TrainConfig = { ...state.config, maxGradNorm: Number.isFinite(state.config.maxGradNorm) ? state.config.maxGradNorm : 0 };
  const json = {
    format: FORMAT,
    version: 1,
    global_step: state.step,
    config,
    optimizer: { type: 'adamw', t: opt.t, beta1, beta2, eps, weightDecay },
    rng: state.rng,
    data: state.data ?? null,
  };
  const tensors = new Map<string, SafeTensor>();
  for (const [prefix, moments] of [
    ['exp_avg', opt.expAvg],
    ['exp_avg_sq', opt.expAvgSq],
  ] as const) {
    for (const [name, data] of moments) tensors.set(`${prefix}.${name}`, { dtype: 'F32', shape: opt.shapes?.get(name) ?? [data.length], data });
  }
  return {
    [TRAINER_STATE_FILE]: `${JSON.stringify(json, null, 2)}\n`,
    [OPTIMIZER_FILE]: encodeSafetensors(tensors, { format: 'pt', t: String(opt.t) }),
  };
}

/** Save model + trainer state as one checkpoint directory, atomically (see saveCheckpoint). */
export async function saveTrainingCheckpoint(dir: string, model: LlamaModel, state: TrainerState, opts: Omit<SaveOptions, 'dtype'> = {}): Promise<void> {
  await saveCheckpoint(dir, model, { ...opts, dtype: 'F32', checksums: true, extraFiles: { ...opts.extraFiles, ...trainerStateFiles(state) } });
}

/**
 * Rebuild the trainer state saved in `dir` for the model whose parameters are `model.weights`.
 * `decays` must be the predicate the run used (it is code, so not stored).
 */
export function readTrainerState(dir: string, model: TrainableModel, opts: { decays?: AdamWConfig['decays'] } = {}): TrainerState {
  const file = join(dir, TRAINER_STATE_FILE);
  if (!existsSync(file))
    throw new RhoError('NOT_FOUND', 'no trainer state in checkpoint', {
      file,
      hint: 'this is a plain model checkpoint; start a new run from it instead of resuming',
    });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', 'trainer state is not valid JSON', { file }, { cause: e });
  }
  const r = StateFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new RhoError('BAD_INPUT', `invalid trainer state: ${issue.message}`, { file, field: issue.path.join('.') || undefined });
  }
  const s = r.data;
  const optFile = join(dir, OPTIMIZER_FILE);
  if (!existsSync(optFile)) throw new RhoError('NOT_FOUND', 'trainer state without its optimizer moments', { file: optFile });
  const moments = readSafetensors(optFile);
  const adam: AdamWState = { t: s.optimizer.t, expAvg: new Map(), expAvgSq: new Map() };
  for (const [key, t] of moments) {
    const m = /^(exp_avg|exp_avg_sq)\.(.+)$/.exec(key);
    if (!m)
      throw new RhoError('BAD_INPUT', `unexpected tensor in optimizer state: ${key}`, {
        file: optFile,
        field: key,
        expected: 'exp_avg.<param> or exp_avg_sq.<param>',
      });
    (m[1] === 'exp_avg' ? adam.expAvg : adam.expAvgSq).set(m[2]!, t.data);
  }
  const { type: _type, t: _t, ...hyper } = s.optimizer;
  const optimizer = new AdamW({ ...hyper, ...(opts.decays ? { decays: opts.decays } : {}) });
  try {
    optimizer.importState(adam, trainableParams(model));
  } catch (e) {
    optimizer.dispose();
    if (e instanceof RhoError) e.context.file ??= optFile;
    throw e;
  }
  return { config: s.config, step: s.global_step, optimizer, rng: s.rng as TrainerState['rng'], data: s.data };
}

/**
 * Load a training checkpoint: the model (through loadCheckpoint) and the trainer state. Its files
 * are checked against checksums.sha256 first, so a damaged checkpoint is named, not resumed from.
 */
export async function resumeTraining(dir: string, opts: { decays?: AdamWConfig['decays'] } = {}): Promise<LoadedCheckpoint & { state: TrainerState }> {
  verifyChecksums(dir);
  const loaded = await loadCheckpoint(dir);
  try {
    return { ...loaded, state: readTrainerState(dir, loaded.model, opts) };
  } catch (e) {
    loaded.model.dispose();
    throw e;
  }
}
