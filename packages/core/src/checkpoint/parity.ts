import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { RhoError } from '../errors.ts';
import { resolveDecoder, type DecoderChoice } from '../generate/decoder-choice.ts';
import { argmax } from '../generate/sampling.ts';
import { TfjsLm } from '../engine/tfjs-lm.ts';
import type { CausalLm, EngineName, WeightDtype } from '../engine/types.ts';

const num3 = z.array(z.array(z.array(z.number())));
const num2 = z.array(z.array(z.number()));
const GreedySchema = z.strictObject({
  prompt: z.array(z.number().int()).nonempty(),
  max_new_tokens: z.number().int().nonnegative(),
  output: z.array(z.number().int()),
});

/** A reference dump in the format of ../shared/fixtures/tiny-llama/expected.json. */
const ExpectedSchema = z.strictObject({
  input_ids: z.array(z.array(z.number().int().nonnegative())).nonempty(),
  logits: num3,
  token_losses: num2,
  mean_loss: z.number(),
  greedy: GreedySchema.optional(),
  bf16_logits: num3.optional(),
  tolerance: z.strictObject({
    logits_abs: z.number().positive(),
    bf16_logits_abs: z.number().positive().optional(),
    losses_abs: z.number().positive().optional(),
  }),
});
export type ExpectedDump = z.infer<typeof ExpectedSchema>;

export function readExpected(path: string): ExpectedDump {
  if (!existsSync(path)) throw new RhoError('NOT_FOUND', 'no expected file', { file: path });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `expected file is not JSON: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  const r = ExpectedSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new RhoError('BAD_INPUT', `expected file: ${issue.message}`, { file: path, field: issue.path.join('.') });
  }
  return r.data;
}

export interface ParityRow {
  /** The engine the row was computed on. */
  engine: EngineName;
  quantity: string;
  /** Largest absolute error (for the greedy continuation: the number of differing tokens). */
  maxAbsError: number;
  tolerance: number;
  ok: boolean;
  note?: string;
}

/** Largest |a - b| over two equally shaped nested arrays; a shape mismatch is an error. */
export function maxAbsDiff(a: unknown, b: unknown, what: string): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new RhoError('BAD_INPUT', `${what}: length ${a.length} differs from expected ${b.length}`, { field: what });
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, maxAbsDiff(a[i], b[i], what));
    return m;
  }
  const d = Math.abs((a as number) - (b as number));
  return Number.isNaN(d) ? Infinity : d;
}

/** Cross-entropy of each next token from given logits, in float64: the reference for BF16 weights. */
export function lossesFromLogits(logits: number[][][], ids: number[][]): number[][] {
  return logits.map((row, b) =>
    row.slice(0, -1).map((l, t) => {
      const max = Math.max(...l);
      const lse = max + Math.log(l.reduce((s, x) => s + Math.exp(x - max), 0));
      return lse - l[ids[b]![t + 1]!]!;
    }),
  );
}

/** A greedy continuation to compare with, and where it came from (for the report). */
export interface GreedyReference {
  prompt: number[];
  max_new_tokens: number;
  output: number[];
  source: string;
}

/** File name, inside a BF16 checkpoint directory, of PyTorch's greedy continuation with those weights. */
export const BF16_GREEDY_FILE = 'greedy.json';

/**
 * The greedy continuation a checkpoint must reproduce. With BF16/F16 weights a near-tie can resolve
 * differently from the F32 run the dump's `greedy` came from, so `greedy.json` in the checkpoint
 * directory (PyTorch's run with those weights) takes precedence when there is one.
 */
export function greedyReference(ckptDir: string, exp: ExpectedDump, weightDtype: WeightDtype, expectedPath = 'expected.json'): GreedyReference | undefined {
  const own = join(ckptDir, BF16_GREEDY_FILE);
  if (weightDtype !== 'F32' && existsSync(own)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(own, 'utf8'));
    } catch (e) {
      throw new RhoError('BAD_INPUT', `greedy file is not JSON: ${(e as Error).message}`, { file: own }, { cause: e });
    }
    const r = GreedySchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new RhoError('BAD_INPUT', `greedy file: ${issue.message}`, { file: own, field: issue.path.join('.') });
    }
    return { ...r.data, source: own };
  }
  return exp.greedy ? { ...exp.greedy, source: `${expectedPath} (greedy)` } : undefined;
}

export interface ParityOptions {
  greedy?: GreedyReference;
  /**
   * The longest sequence the engine runs as the checkpoint defines it (llama.cpp on a Mistral
   * checkpoint: up to its sliding window). Longer dump rows are compared on their first positions;
   * a greedy continuation that would pass it is replaced by the next-token choices along the dump's
   * rows, within it.
   */
  maxLength?: number;
}

/** The dump cut to its first `n` positions (losses and mean recomputed over what is left). */
function cutDump(exp: ExpectedDump, n: number): ExpectedDump {
  const cut = <T>(x: T[][]): T[][] => x.map((r) => r.slice(0, n));
  const losses = exp.token_losses.map((r) => r.slice(0, Math.max(0, n - 1)));
  return {
    ...exp,
    input_ids: cut(exp.input_ids),
    logits: cut(exp.logits),
    bf16_logits: exp.bf16_logits && cut(exp.bf16_logits),
    token_losses: losses,
    mean_loss: mean(losses),
  };
}

function argmaxOf(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

/**
 * Compute what the expected dump holds with `lm` and compare. For BF16 weights the logits are
 * checked against `bf16_logits`, and the losses against those that follow from them, since the
 * dump's losses belong to the float32 weights. A loss moves at most twice the largest logit
 * error, so losses get twice the logits tolerance unless the dump states `losses_abs`.
 * On the tfjs engine the training formula's logits and the greedy continuation through each
 * decoder that can run are checked too: training, tfjs's own decoding and the native engine's
 * over a copy of the model's weights are separate code over the same weights. With BF16
 * arithmetic the tolerances are widened (see bf16ArithmeticSlack).
 */
export function checkParity(lm: CausalLm, full: ExpectedDump, weightDtype: WeightDtype, opts: ParityOptions = {}): ParityRow[] {
  const rows: ParityRow[] = [];
  const limit = opts.maxLength ?? Infinity;
  const longest = Math.max(...full.input_ids.map((r) => r.length));
  const exp = longest > limit ? cutDump(full, limit) : full;
  const limitNote = longest > limit ? `; positions 0..${limit - 1} only (the engine does not apply the sliding window past them)` : '';
  const bf16 = weightDtype !== 'F32';
  if (bf16 && !exp.bf16_logits)
    throw new RhoError('BAD_INPUT', 'the checkpoint is not float32 and the expected file has no bf16_logits', { field: 'bf16_logits' });
  const refLogits = bf16 ? exp.bf16_logits! : exp.logits;
  const dumpTol = bf16 ? (exp.tolerance.bf16_logits_abs ?? exp.tolerance.logits_abs) : exp.tolerance.logits_abs;
  const logitTol = lm.precision === 'bf16' ? dumpTol + bf16ArithmeticSlack(refLogits) : dumpTol;
  const refLosses = bf16 ? lossesFromLogits(exp.bf16_logits!, exp.input_ids) : exp.token_losses;
  const refMean = bf16 ? mean(refLosses) : exp.mean_loss;
  const lossTol = lm.precision === 'bf16' || exp.tolerance.losses_abs === undefined ? 2 * logitTol : exp.tolerance.losses_abs;
  const engine = lm.engine;
  const push = (quantity: string, err: number, tol: number, note?: string) =>
    rows.push({ engine, quantity, maxAbsError: err, tolerance: tol, ok: err <= tol, note });
  const v = lm.config.vocabSize;
  const nested = (flat: Float32Array[], width: number) =>
    flat.map((row) => Array.from({ length: row.length / width }, (_, t) => Array.from(row.subarray(t * width, (t + 1) * width))));

  const logits = nested(lm.logits(exp.input_ids), v);
  const arith = lm.precision === 'bf16' ? `; bf16 arithmetic: dump tolerance + ${bf16ArithmeticSlack(refLogits).toExponential(1)}` : '';
  push(bf16 ? 'bf16_logits' : 'logits', maxAbsDiff(logits, refLogits, 'logits'), logitTol, `generation/scoring path${arith}${limitNote}`);
  const model = lm instanceof TfjsLm ? lm.model : undefined;
  if (model) {
    // the training formula (HF-layout weights, no folding) that the optimizer differentiates
    const ids = tf.tensor2d(exp.input_ids, undefined, 'int32');
    try {
      const t = model.logits(ids);
      const training = t.arraySync();
      t.dispose();
      push(bf16 ? 'bf16_logits_training' : 'logits_training', maxAbsDiff(training, refLogits, 'logits'), logitTol, 'training path');
    } finally {
      ids.dispose();
    }
  }
  const losses = lm.tokenLosses(exp.input_ids).map((r) => Array.from(r));
  push('token_losses', maxAbsDiff(losses, refLosses, 'token_losses'), lossTol, bf16 ? 'reference: from bf16_logits' : undefined);
  push('mean_loss', Math.abs(mean(losses) - refMean), lossTol);
  const g = opts.greedy ?? (exp.greedy ? { ...exp.greedy, source: 'expected.json (greedy)' } : undefined);
  if (g && g.prompt.length + g.max_new_tokens > limit) {
    // the continuation would pass the window: each next-token choice along the dump's rows instead,
    // skipping the reference's near-ties (top-2 margin under the logit tolerance)
    let wrong = 0;
    let steps = 0;
    logits.forEach((row, b) =>
      row.forEach((l, t) => {
        const ref = refLogits[b]![t]!;
        const sorted = [...ref].sort((x, y) => y - x);
        if (sorted[0]! - sorted[1]! < logitTol) return;
        steps++;
        if (argmaxOf(l) !== argmaxOf(ref)) wrong++;
      }),
    );
    push(
      'greedy_steps_differing',
      wrong,
      0,
      `${steps} next-token choices along the dump's rows within ${limit} positions; the ${g.prompt.length}+${g.max_new_tokens}-token greedy continuation (${g.source}) passes the sliding window and is not run`,
    );
  } else if (g) {
    const want = g.output.slice(g.prompt.length);
    // HF greedy stops at EOS; the reference's continuation tells us how far it went, so no EOS stop here.
    const decoders: (DecoderChoice | undefined)[] = model ? (resolveDecoder('auto') === 'native' ? ['tfjs', 'native'] : ['tfjs']) : [undefined];
    // BF16 arithmetic: the logits along the reference continuation, for its near-ties and the steps between
    const along = lm.precision === 'bf16' && want.length ? lm.logits([[...g.prompt, ...want.slice(0, -1)]])[0]! : null;
    const stepLogits = (k: number) => along!.subarray((g.prompt.length - 1 + k) * v, (g.prompt.length + k) * v);
    const ties = along ? want.flatMap((_, k) => (topMargin(stepLogits(k)) < logitTol ? [k] : [])) : [];
    // after a near-tie resolved the other way the continuations part: compare up to the first
    const cut = ties.length ? ties[0]! : want.length;
    for (const decoder of decoders) {
      const got = lm.generate([g.prompt], { maxNewTokens: g.max_new_tokens, eosId: null, decoder }).tokens[0]!.slice(0, want.length);
      const wrong = want.slice(0, cut).reduce((n, t, i) => n + (got[i] === t ? 0 : 1), 0) + (ties.length ? 0 : Math.abs(want.length - got.length));
      const via = decoder ? `${decoder} decoder` : `${engine} engine`;
      const tieNote = ties.length
        ? `; bf16 arithmetic: near-ties (top-2 margin < ${logitTol.toExponential(1)}) at steps ${ties.join(', ')}, compared up to step ${cut}`
        : '';
      push(
        'greedy_tokens_differing',
        wrong,
        0,
        `${want.length} tokens, ${via}, reference ${g.source}${tieNote}${wrong ? `; got ${JSON.stringify(got)}, want ${JSON.stringify(want)}` : ''}`,
      );
    }
    if (ties.length) {
      // every step that is no near-tie, along the reference continuation, must choose its token
      const wrong = want.reduce((n, t, k) => (ties.includes(k) ? n : n + (argmax(stepLogits(k)) === t ? 0 : 1)), 0);
      push('greedy_steps_differing', wrong, 0, `${want.length - ties.length} steps that are no near-tie, along the reference continuation`);
    }
  }
  return rows;
}

/**
 * What BF16 arithmetic adds to the logits' error: every matmul input is rounded to 8 significant
 * bits (relative 2^-8), and through a few layers that moves a logit by up to about twice that
 * relative to the logits' scale. The dump's tolerances are for FP32 arithmetic, so with BF16
 * products they are widened by 2^-7 of the largest reference logit. This catches a wrong formula
 * or weight layout (errors of the logits' own size), not a single slightly-off weight.
 */
export function bf16ArithmeticSlack(refLogits: number[][][]): number {
  let max = 0;
  for (const row of refLogits) for (const l of row) for (const x of l) max = Math.max(max, Math.abs(x));
  return max / 128;
}

/** Largest minus second-largest logit: under the logit tolerance, a step may resolve either way. */
function topMargin(row: Float32Array): number {
  let a = -Infinity;
  let b = -Infinity;
  for (const x of row) {
    if (x > a) [a, b] = [x, a];
    else if (x > b) b = x;
  }
  return a - b;
}

function mean(rows: number[][]): number {
  const all = rows.flat();
  return all.reduce((a, b) => a + b, 0) / all.length;
}
