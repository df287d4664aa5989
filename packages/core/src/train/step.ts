import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { AdamW, type AdamWConfig } from './adamw.ts';
import { clipByGlobalNorm } from './clip.ts';
import { rngFromSeed, type RngState } from './rng.ts';
import { lrAt, type ScheduleConfig } from './schedule.ts';

/** What training needs of a model: named variables and per-token losses (LlamaModel has both). */
export interface TrainableModel {
  readonly weights: ReadonlyMap<string, tf.Variable>;
  /** [B,T-1]: cross-entropy of ids[:,t+1] given the prefix; 0 where the target is padding. */
  tokenLosses(ids: tf.Tensor2D, mask?: tf.Tensor2D, opts?: { inference?: boolean }): tf.Tensor2D;
}

/** Row-major token ids [batchSize, seqLen]; mask 1 = real token, 0 = padding. */
export interface TokenBatch {
  ids: Int32Array;
  batchSize: number;
  seqLen: number;
  mask?: Int32Array;
}

export type LossResult = tf.Scalar | { loss: tf.Scalar; metrics?: Record<string, number> };

/**
 * Turns per-token losses [B,T-1] into the scalar that is minimised. Runs inside the gradient tape:
 * anything derived from `losses` is differentiated through, so weights that must not carry
 * gradient (a token selection, say) should be built from `losses.dataSync()` values.
 */
export type LossFn<B extends TokenBatch = TokenBatch> = (losses: tf.Tensor2D, batch: B) => LossResult;

export interface TrainConfig {
  schedule: ScheduleConfig;
  /** Global gradient-norm bound; 0 or Infinity disables clipping. */
  maxGradNorm: number;
  adamw: Partial<Omit<AdamWConfig, 'decays'>>;
}

/** Everything a run carries from step to step; all of it is saved for an exact resume. */
export interface TrainerState {
  config: TrainConfig;
  /** Optimizer updates done; the next one uses lrAt(step). */
  step: number;
  optimizer: AdamW;
  /** For the caller's own random choices; saved and restored with the rest. */
  rng: RngState;
  /** Where the data stream is (JSON-serialisable, owned by the data source). */
  data: unknown;
}

export interface StepMetrics {
  /** The step just completed (1-based: the count of updates after it). */
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  /** Tokens that had a (non-padding) target. */
  tokens: number;
  /** Numbers the loss function reported, averaged over micro-batches. */
  metrics: Record<string, number>;
}

export function createTrainerState(config: TrainConfig, opts: { seed: number; data?: unknown; decays?: AdamWConfig['decays'] }): TrainerState {
  return {
    config,
    step: 0,
    optimizer: new AdamW({ ...config.adamw, ...(opts.decays ? { decays: opts.decays } : {}) }),
    rng: rngFromSeed(opts.seed),
    data: opts.data ?? null,
  };
}

/** Mean cross-entropy over every real target token of the batch: causal LM training. */
export function meanTokenLoss(losses: tf.Tensor2D, batch: TokenBatch): tf.Scalar {
  const n = targetCount(batch);
  return tf.div(tf.sum(losses), Math.max(n, 1));
}

/** Targets are ids[:,1:]; with a mask, only the real ones count. */
export function targetCount(batch: TokenBatch): number {
  const { batchSize: B, seqLen: T, mask } = batch;
  if (!mask) return B * (T - 1);
  let n = 0;
  for (let b = 0; b < B; b++) for (let t = 1; t < T; t++) n += mask[b * T + t]!;
  return n;
}

/**
 * One optimizer update: forward + backward over each micro-batch (gradients summed, each
 * micro-batch loss weighted 1/n, so n micro-batches equal one batch of their union when the loss
 * is a per-batch mean of equal-sized parts), global-norm clipping, AdamW at lrAt(step).
 * Leaves no tensors behind.
 */
export function trainStep<B extends TokenBatch>(model: TrainableModel, batch: B | readonly B[], lossFn: LossFn<B>, state: TrainerState): StepMetrics {
  const micro = Array.isArray(batch) ? (batch as readonly B[]) : [batch as B];
  if (micro.length === 0) throw new RhoError('BAD_INPUT', 'trainStep needs at least one micro-batch');
  micro.forEach(checkBatch);
  const params = trainableParams(model);
  const byVarName = new Map([...params].map(([name, v]) => [v.name, name]));
  const varList = [...params.values()];
  let summed: Map<string, tf.Tensor> | null = null;
  let lossSum = 0;
  let tokens = 0;
  const metricSums: Record<string, number> = {};
  for (const mb of micro) {
    let metrics: Record<string, number> | undefined;
    const { ids, mask } = batchTensors(mb);
    let value: tf.Scalar;
    let grads: tf.NamedTensorMap;
    try {
      ({ value, grads } = tf.variableGrads(() => {
        const losses = model.tokenLosses(ids, mask);
        const r = lossFn(losses, mb);
        const loss = r instanceof tf.Tensor ? r : r.loss;
        if (!(r instanceof tf.Tensor)) metrics = r.metrics;
        return tf.div(loss, micro.length) as tf.Scalar;
      }, varList));
    } catch (e) {
      for (const g of summed?.values() ?? []) g.dispose();
      if (e instanceof Error && /gradient function not found/.test(e.message)) {
        throw new RhoError(
          'RUNTIME',
          e.message,
          { hint: "tfjs gradients are not registered: call initBackend() (or registerAllGradients()) from '@rho/core' before training" },
          { cause: e },
        );
      }
      throw e;
    } finally {
      ids.dispose();
      mask?.dispose();
    }
    lossSum += value.dataSync()[0]! * micro.length;
    value.dispose();
    tokens += targetCount(mb);
    for (const [k, x] of Object.entries(metrics ?? {})) metricSums[k] = (metricSums[k] ?? 0) + x;
    summed = accumulate(summed, grads, byVarName);
  }
  const loss = lossSum / micro.length;
  if (!Number.isFinite(loss)) {
    for (const g of summed!.values()) g.dispose();
    throw new RhoError('RUNTIME', `training loss is ${loss} at step ${state.step}`, {
      field: 'loss',
      got: loss,
      hint: 'lower the learning rate or check the data for out-of-vocabulary ids',
    });
  }
  const { grads, norm } = clipByGlobalNorm(summed!, state.config.maxGradNorm);
  for (const g of summed!.values()) g.dispose();
  const lr = lrAt(state.step, state.config.schedule);
  state.optimizer.apply(params, grads, lr);
  for (const g of grads.values()) g.dispose();
  state.step += 1;
  const metrics = Object.fromEntries(Object.entries(metricSums).map(([k, x]) => [k, x / micro.length]));
  return { step: state.step, loss, lr, gradNorm: norm, tokens, metrics };
}

/** The loss on a batch without updating anything (validation, or the resume check). */
export function evalLoss<B extends TokenBatch>(model: TrainableModel, batch: B, lossFn: LossFn<B>): number {
  checkBatch(batch);
  const { ids, mask } = batchTensors(batch);
  try {
    const t = tf.tidy(() => {
      const r = lossFn(model.tokenLosses(ids, mask), batch);
      return r instanceof tf.Tensor ? r : r.loss;
    });
    const v = t.dataSync()[0]!;
    t.dispose();
    return v;
  } finally {
    ids.dispose();
    mask?.dispose();
  }
}

/**
 * Per-token losses of a batch as numbers, row-major [B, T−1], without gradient (scoring).
 * `inference` lets a model use faster weight copies that are not differentiable.
 */
export function tokenLossValues(model: TrainableModel, batch: TokenBatch, opts: { inference?: boolean } = {}): Float32Array {
  checkBatch(batch);
  const { ids, mask } = batchTensors(batch);
  try {
    const l = model.tokenLosses(ids, mask, opts);
    const v = l.dataSync() as Float32Array;
    l.dispose();
    return v;
  } finally {
    ids.dispose();
    mask?.dispose();
  }
}

/** Parameters with gradients, by Hugging Face name. */
export function trainableParams(model: TrainableModel): Map<string, tf.Variable> {
  return new Map([...model.weights].filter(([, v]) => v.trainable));
}

function batchTensors(b: TokenBatch): { ids: tf.Tensor2D; mask?: tf.Tensor2D } {
  const ids = tf.tensor2d(b.ids, [b.batchSize, b.seqLen], 'int32');
  return b.mask ? { ids, mask: tf.tensor2d(b.mask, [b.batchSize, b.seqLen], 'int32') } : { ids };
}

function checkBatch(b: TokenBatch): void {
  const n = b.batchSize * b.seqLen;
  if (b.seqLen < 2) throw new RhoError('BAD_INPUT', 'a training row needs at least 2 tokens', { field: 'seqLen', got: b.seqLen });
  if (b.ids.length !== n) throw new RhoError('BAD_INPUT', 'batch ids length is not batchSize·seqLen', { field: 'ids', expected: n, got: b.ids.length });
  if (b.mask && b.mask.length !== n)
    throw new RhoError('BAD_INPUT', 'batch mask length is not batchSize·seqLen', { field: 'mask', expected: n, got: b.mask.length });
}

function accumulate(acc: Map<string, tf.Tensor> | null, grads: tf.NamedTensorMap, byVarName: Map<string, string>): Map<string, tf.Tensor> {
  const out = acc ?? new Map<string, tf.Tensor>();
  for (const [varName, g] of Object.entries(grads)) {
    const name = byVarName.get(varName)!;
    const prev = out.get(name);
    if (prev) {
      out.set(name, tf.add(prev, g));
      prev.dispose();
      g.dispose();
    } else out.set(name, g);
  }
  return out;
}

/** Live tfjs tensors: a training loop that leaks shows it growing step after step. */
export function liveTensorCount(): number {
  return tf.memory().numTensors;
}
