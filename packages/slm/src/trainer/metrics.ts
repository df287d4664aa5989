import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { parseJsonl, writeJsonlAtomic } from '@rho/core';

/** One line of metrics.jsonl: written after every optimizer step. */
export interface StepRow {
  step: number;
  mode: 'clm' | 'slm';
  /** The minimised objective (= loss_all in clm mode). */
  loss: number;
  /** Mean loss over every real target token of the batch. */
  loss_all: number;
  /** Mean loss over the selected tokens (weighted with --reweight). */
  loss_selected: number;
  selected_frac: number;
  /** Mean current − reference loss over the batch's tokens (slm only; null in clm). */
  excess_mean: number | null;
  lr: number;
  grad_norm: number;
  tokens: number;
  tokens_seen: number;
  tokens_per_s: number;
  /** Noise bookkeeping when the corpus records noise tokens: tokens rejected (not selected), rejected ones that are noise, noise tokens. */
  rejected?: number;
  rejected_noise?: number;
  noise?: number;
  /** Validation loss (mean over the fixed validation windows), on evaluation steps. */
  val_loss?: number;
}

export function readMetrics(file: string): StepRow[] {
  if (!existsSync(file)) return [];
  return parseJsonl<StepRow>(readFileSync(file, 'utf8'), file, { allowTornTail: true });
}

export function appendMetrics(file: string, row: StepRow): void {
  appendFileSync(file, JSON.stringify(row) + '\n');
}

/** On resume: keep the rows up to the checkpoint's step (later ones are recomputed). */
export function truncateMetrics(file: string, step: number): void {
  writeJsonlAtomic(file, readMetrics(file).filter((r) => r.step <= step));
}

/** Precision and recall with which rejection (not selecting) picks out the recorded noise tokens. */
export function noiseRejection(rows: readonly StepRow[]): { precision: number; recall: number } | null {
  let rejected = 0;
  let hit = 0;
  let noise = 0;
  for (const r of rows) {
    if (r.noise === undefined) continue;
    rejected += r.rejected ?? 0;
    hit += r.rejected_noise ?? 0;
    noise += r.noise;
  }
  if (noise === 0) return null;
  return { precision: rejected ? hit / rejected : 0, recall: hit / noise };
}
