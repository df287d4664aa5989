import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadCheckpoint, RhoError } from '@rho/core';
import { Corpus } from '../shards/corpus.ts';
import { checkAlignment, readScoresMeta, ScoreReader } from '../score/store.ts';
import { makeBatch, type SlmBatch } from '../trainer/batches.ts';
import { readMetrics, type StepRow } from '../trainer/metrics.ts';
import { listCheckpoints, type TrainOptions } from '../trainer/run.ts';

export interface RunData {
  dir: string;
  name: string;
  options: TrainOptions;
  rows: StepRow[];
  checkpoints: Array<{ step: number; dir: string }>;
}

export function loadRun(dir: string): RunData {
  const runFile = join(dir, 'run.json');
  if (!existsSync(runFile))
    throw new RhoError('NOT_FOUND', 'not a training run directory (no run.json)', { file: runFile, hint: 'pass the --out directories of `pnpm slm train`' });
  const options = JSON.parse(readFileSync(runFile, 'utf8')) as TrainOptions;
  return { dir, name: basename(resolve(dir)), options, rows: readMetrics(join(dir, 'metrics.jsonl'), { readOnly: true }), checkpoints: listCheckpoints(dir) };
}

/** The first `n` windows of a run's training split, with reference scores and noise flags when available. */
export function sampleBatches(run: RunData, n: number): { batches: SlmBatch[]; corpus: Corpus } {
  const o = run.options;
  const corpus = Corpus.open(o.corpus);
  const split = corpus.split('train');
  let scores: ScoreReader | null = null;
  if (o.refScores) {
    const meta = readScoresMeta(o.refScores);
    checkAlignment(meta, corpus.meta, 'train', o.seqLen, o.refScores);
    scores = new ScoreReader(o.refScores, meta);
  }
  const total = Math.min(n, split.windows(o.seqLen));
  const batches: SlmBatch[] = [];
  for (let w = 0; w < total; w += o.batchSize) {
    const ws = Array.from({ length: Math.min(o.batchSize, total - w) }, (_, i) => w + i);
    batches.push(makeBatch(split, ws, ws.length, o.seqLen, scores));
  }
  scores?.dispose();
  return { batches, corpus };
}

/** Per-target losses of a checkpoint over the batches, flattened; NaN where the target is not valid. */
export async function checkpointLosses(dir: string, batches: readonly SlmBatch[]): Promise<Float32Array> {
  const { model } = await loadCheckpoint(dir);
  try {
    const parts = batches.map((b) => {
      const t = tf.tidy(() => model.tokenLosses(tf.tensor2d(b.ids, [b.batchSize, b.seqLen], 'int32'), tf.tensor2d(b.mask, [b.batchSize, b.seqLen], 'int32')));
      const d = Float32Array.from(t.dataSync() as Float32Array);
      t.dispose();
      for (let i = 0; i < d.length; i++) if (!b.valid[i]) d[i] = Number.NaN;
      return d;
    });
    return concat(parts);
  } finally {
    model.dispose();
  }
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Up to `k` checkpoints spread evenly over the run, always including the last. */
export function spreadCheckpoints<T>(xs: readonly T[], k: number): T[] {
  if (xs.length <= k) return [...xs];
  return Array.from({ length: k }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (k - 1))]!);
}
