import { appendFileSync } from 'node:fs';
import { encodeCheckedLine, readCheckedJournal, writeFileAtomic } from '@rho/core/base';
import { z } from 'zod';

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

const finite = z.number().finite();
const count = z.number().int().nonnegative();
const StepRowSchema: z.ZodType<StepRow> = z.object({
  step: z.number().int().positive(),
  mode: z.enum(['clm', 'slm']),
  loss: finite,
  loss_all: finite,
  loss_selected: finite,
  selected_frac: z.number().min(0).max(1),
  excess_mean: finite.nullable(),
  lr: finite,
  grad_norm: finite,
  tokens: count,
  tokens_seen: count,
  tokens_per_s: finite,
  rejected: count.optional(),
  rejected_noise: count.optional(),
  noise: count.optional(),
  val_loss: finite.optional(),
});

/**
 * The rows of a run's metrics.jsonl. Each line carries a checksum and is checked against the row
 * schema; a last line torn by a kill is dropped (its step is trained again on resume), any other
 * bad line is an error naming the file and line, since a report or a gate would otherwise read it.
 */
export function readMetrics(file: string, opts: { readOnly?: boolean } = {}): StepRow[] {
  return readCheckedJournal(file, StepRowSchema, {
    ...opts,
    hint: 'the rows after the newest checkpoint are recomputed on resume: delete the bad line and the ones after it, or start the run again in a new --out',
    check: (row, i) => (row.step === i + 1 ? undefined : `step ${row.step} where step ${i + 1} belongs`),
  });
}

export function appendMetrics(file: string, row: StepRow): void {
  appendFileSync(file, encodeCheckedLine({ ...row }));
}

/** On resume: keep the rows up to the checkpoint's step (later ones are recomputed). */
export function truncateMetrics(file: string, step: number): void {
  writeFileAtomic(
    file,
    readMetrics(file)
      .filter((r) => r.step <= step)
      .map((r) => encodeCheckedLine({ ...r }))
      .join(''),
  );
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
