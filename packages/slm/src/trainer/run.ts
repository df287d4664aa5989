import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  activePrecision,
  createTrainerState,
  loadCheckpoint,
  resumeTraining,
  RhoError,
  saveTrainingCheckpoint,
  trainLoop,
  writeJsonAtomic,
  type LlamaModel,
  type StepMetrics,
  type TrainerState,
} from '@rho/core';
import { validateRatio, type SelectOptions } from '../select/select.ts';
import { Corpus } from '../shards/corpus.ts';
import { checkAlignment, readScoresMeta, ScoreReader } from '../score/store.ts';
import { makeBatch, trainingBatch, type SlmBatch } from './batches.ts';
import { checkpointTokenizer } from './checkpoint-tokenizer.ts';
import { makeLossFn, meanLoss, type Mode } from './loss.ts';
import { appendMetrics, readMetrics, truncateMetrics, type StepRow } from './metrics.ts';

export interface TrainOptions {
  mode: Mode;
  /** Checkpoint the run starts from (ignored when `out` already holds a checkpoint: then it resumes). */
  init: string;
  corpus: string;
  out: string;
  refScores?: string | null;
  select: SelectOptions;
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  seed: number;
  checkpointEvery: number;
  evalEvery: number;
  /** Validation windows evaluated (the first ones of the split, the same every time). */
  evalWindows: number;
  /** Stop after this step even if `steps` is larger (tests stand for a killed run with it). */
  stopAfter?: number;
  /** Remove a checkpoint that fails its checksums (with a warning) and resume from the one before, instead of stopping. */
  repair?: boolean;
  warn?: (line: string) => void;
  onStep?: (row: StepRow) => void;
}

export const CHECKPOINTS_DIR = 'checkpoints';
export const stepDirName = (step: number) => `step-${String(step).padStart(8, '0')}`;

/** Checkpoint directories of a run, oldest first. */
export function listCheckpoints(runDir: string): Array<{ step: number; dir: string }> {
  const d = join(runDir, CHECKPOINTS_DIR);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(d, m[0]) }))
    .sort((a, b) => a.step - b.step);
}

/**
 * Everything checked before the first step: ratio, scores aligned with this corpus and window
 * length, vocabulary fits the model. Fails with a clear error instead of training on garbage.
 */
function openInputs(o: TrainOptions, vocabSize: number): { corpus: Corpus; scores: ScoreReader | null } {
  validateRatio(o.select.ratio);
  const corpus = Corpus.open(o.corpus);
  try {
    if (corpus.meta.vocabSize > vocabSize) {
      throw new RhoError('BAD_INPUT', `corpus tokenizer has ${corpus.meta.vocabSize} ids but the model's vocabulary is ${vocabSize}`, {
        file: join(o.corpus, 'meta.json'),
        expected: `≤ ${vocabSize}`,
        got: corpus.meta.vocabSize,
      });
    }
    if (corpus.split('train').windows(o.seqLen) === 0)
      throw new RhoError('BAD_INPUT', 'training split is shorter than one window', { file: o.corpus, field: 'seqLen', got: o.seqLen });
    let scores: ScoreReader | null = null;
    const needsRef = o.mode === 'slm' && o.select.selectBy !== 'current' && o.select.selectBy !== 'random';
    if (needsRef && !o.refScores) throw new RhoError('BAD_CONFIG', `--mode slm --select-by ${o.select.selectBy} needs --ref-scores`, { field: 'refScores' });
    if (o.mode === 'slm' && o.refScores) {
      const meta = readScoresMeta(o.refScores);
      checkAlignment(meta, corpus.meta, 'train', o.seqLen, o.refScores);
      scores = new ScoreReader(o.refScores, meta);
    }
    return { corpus, scores };
  } catch (e) {
    corpus.dispose();
    throw e;
  }
}

/** Fixed validation batches: the first `evalWindows` windows of the val split. */
function validationBatches(corpus: Corpus, o: TrainOptions): SlmBatch[] {
  const val = corpus.split('val');
  const n = Math.min(val.windows(o.seqLen), o.evalWindows);
  const out: SlmBatch[] = [];
  for (let w = 0; w < n; w += o.batchSize) {
    const ws = Array.from({ length: Math.min(o.batchSize, n - w) }, (_, i) => w + i);
    out.push(makeBatch(val, ws, ws.length, o.seqLen, null));
  }
  return out;
}

/** The metrics row of a step. */
function stepRow(mode: Mode, m: StepMetrics, batch: SlmBatch, tokensSeen: number, seconds: number): StepRow {
  const x = m.metrics;
  const row: StepRow = {
    step: m.step,
    mode,
    loss: m.loss,
    loss_all: x.loss_all!,
    loss_selected: x.loss_selected!,
    selected_frac: x.selected_frac!,
    excess_mean: Number.isFinite(x.excess_mean) ? x.excess_mean! : null,
    lr: m.lr,
    grad_norm: m.gradNorm,
    tokens: batch.nValid,
    tokens_seen: tokensSeen,
    tokens_per_s: batch.nValid / seconds,
  };
  if (x.noise !== undefined) Object.assign(row, { rejected: x.rejected, rejected_noise: x.rejected_noise, noise: x.noise });
  return row;
}

/**
 * The newest checkpoint that passes its checksums and schema, loaded; null when there is none. A
 * damaged one stops the run naming its file, or with `repair` is removed with a warning and the
 * one before it is tried.
 */
async function resumeNewest(o: TrainOptions): Promise<Awaited<ReturnType<typeof resumeTraining>> | null> {
  for (const c of listCheckpoints(o.out).reverse()) {
    try {
      return await resumeTraining(c.dir);
    } catch (e) {
      if (!(e instanceof RhoError) || e.code !== 'BAD_INPUT' || !o.repair) {
        if (e instanceof RhoError && e.code === 'BAD_INPUT') e.context.hint ??= 'rerun with --repair to drop this checkpoint and resume from the one before';
        throw e;
      }
      o.warn?.(`warning: ${c.dir}: ${e.describe()}; removed, resuming from the checkpoint before`);
      rmSync(c.dir, { recursive: true, force: true });
    }
  }
  return null;
}

/**
 * Both modes, driven by core's trainLoop. Writes <out>/run.json (the resolved options),
 * metrics.jsonl (one row per step) and checkpoints/step-N (Hugging Face checkpoint with its
 * tokenizer.json, + trainer state). When <out> has a checkpoint the run resumes from the newest
 * one and continues exactly: the batch of a step is a function of the step number, and the
 * optimizer state is restored bit for bit.
 */
export async function runTraining(o: TrainOptions): Promise<{ rows: StepRow[]; model: LlamaModel; resumedFrom: number }> {
  mkdirSync(o.out, { recursive: true });
  const metricsFile = join(o.out, 'metrics.jsonl');
  let model: LlamaModel;
  let state: TrainerState;
  let tokenizerPath: string | undefined;
  const r = await resumeNewest(o);
  if (r) {
    model = r.model;
    state = r.state;
    tokenizerPath = r.tokenizerPath;
    truncateMetrics(metricsFile, state.step);
  } else {
    const init = await loadCheckpoint(o.init);
    model = init.model;
    tokenizerPath = init.tokenizerPath;
    state = createTrainerState(
      {
        schedule: { maxLr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, totalSteps: o.steps },
        maxGradNorm: o.maxGradNorm,
        adamw: { weightDecay: o.weightDecay },
      },
      { seed: o.seed, data: { step: 0 } },
    );
    truncateMetrics(metricsFile, 0);
    // the products' precision (bf16 or fp32) beside the options: what this run's losses were computed in
    writeJsonAtomic(join(o.out, 'run.json'), {
      ...o,
      onStep: undefined,
      precision: activePrecision(),
      corpusMeta: JSON.parse(readFileSync(join(o.corpus, 'meta.json'), 'utf8')),
    });
  }
  const resumedFrom = state.step;
  let inputs: ReturnType<typeof openInputs>;
  try {
    inputs = openInputs(o, model.config.vocabSize);
  } catch (e) {
    model.dispose();
    state.optimizer.dispose();
    throw e;
  }
  const { corpus, scores } = inputs;
  try {
    const split = corpus.split('train');
    const val = validationBatches(corpus, o);
    let tokensSeen = readMetrics(metricsFile).at(-1)?.tokens_seen ?? 0;
    // found (or written) at the first checkpoint, so a run with nothing left to do writes nothing
    let tokenizerJsonPath: string | null | undefined;
    await trainLoop(model, state, {
      untilStep: o.steps,
      stopAfter: o.stopAfter,
      lossFn: makeLossFn(o.mode, o.select),
      nextBatch: (s) => {
        // the batch is a function of the step, so the data position is the step it leaves off at
        const batch = trainingBatch(split, s.step, o.batchSize, o.seqLen, o.seed, scores);
        s.data = { step: s.step + 1 };
        return batch;
      },
      onStep: (m, s, { batch, seconds, last }) => {
        tokensSeen += batch.nValid;
        const row = stepRow(o.mode, m, batch, tokensSeen, seconds);
        if (val.length && (s.step % o.evalEvery === 0 || last)) row.val_loss = meanLoss(model, val);
        appendMetrics(metricsFile, row);
        o.onStep?.(row);
      },
      checkpoint: {
        every: o.checkpointEvery,
        save: (s) => {
          if (tokenizerJsonPath === undefined) tokenizerJsonPath = checkpointTokenizer(tokenizerPath, o.out, corpus);
          return saveTrainingCheckpoint(join(o.out, CHECKPOINTS_DIR, stepDirName(s.step)), model, s, tokenizerJsonPath ? { tokenizerJsonPath } : {});
        },
      },
    });
  } finally {
    scores?.dispose();
    corpus.dispose();
    state.optimizer.dispose();
  }
  return { rows: readMetrics(metricsFile), model, resumedFrom };
}
