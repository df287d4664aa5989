import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { RhoError } from '../errors.ts';
import { generate } from '../generate/generate.ts';
import { resolveDecoder } from '../generate/native-decoder.ts';
import type { LlamaModel } from '../model/llama.ts';
import type { FloatDtype } from '../safetensors/dtype.ts';

const num3 = z.array(z.array(z.array(z.number())));
const num2 = z.array(z.array(z.number()));

/** A reference dump in the format of ../shared/fixtures/tiny-llama/expected.json. */
const ExpectedSchema = z.strictObject({
  input_ids: z.array(z.array(z.number().int().nonnegative())).nonempty(),
  logits: num3,
  token_losses: num2,
  mean_loss: z.number(),
  greedy: z.strictObject({ prompt: z.array(z.number().int()).nonempty(), max_new_tokens: z.number().int().nonnegative(), output: z.array(z.number().int()) }).optional(),
  bf16_logits: num3.optional(),
  tolerance: z.strictObject({ logits_abs: z.number().positive(), bf16_logits_abs: z.number().positive().optional(), losses_abs: z.number().positive().optional() }),
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

/**
 * Compute what the expected dump holds with `model` and compare. For BF16 weights the logits are
 * checked against `bf16_logits`, and the losses against those that follow from them, since the
 * dump's losses belong to the float32 weights. A loss moves at most twice the largest logit
 * error, so losses get twice the logits tolerance unless the dump states `losses_abs`.
 */
export function checkParity(model: LlamaModel, exp: ExpectedDump, weightDtype: FloatDtype): ParityRow[] {
  const rows: ParityRow[] = [];
  const bf16 = weightDtype !== 'F32';
  if (bf16 && !exp.bf16_logits) throw new RhoError('BAD_INPUT', 'the checkpoint is not float32 and the expected file has no bf16_logits', { field: 'bf16_logits' });
  const refLogits = bf16 ? exp.bf16_logits! : exp.logits;
  const logitTol = bf16 ? (exp.tolerance.bf16_logits_abs ?? exp.tolerance.logits_abs) : exp.tolerance.logits_abs;
  const refLosses = bf16 ? lossesFromLogits(exp.bf16_logits!, exp.input_ids) : exp.token_losses;
  const refMean = bf16 ? mean(refLosses) : exp.mean_loss;
  const lossTol = exp.tolerance.losses_abs ?? 2 * logitTol;

  const ids = tf.tensor2d(exp.input_ids, undefined, 'int32');
  try {
    const logitsT = model.logits(ids);
    const logits = logitsT.arraySync();
    logitsT.dispose();
    const lossesT = model.tokenLosses(ids);
    const losses = lossesT.arraySync();
    lossesT.dispose();
    const push = (quantity: string, err: number, tol: number, note?: string) => rows.push({ quantity, maxAbsError: err, tolerance: tol, ok: err <= tol, note });
    push(bf16 ? 'bf16_logits' : 'logits', maxAbsDiff(logits, refLogits, 'logits'), logitTol);
    // the inference weights (folded norms, [in,out] layout) that generation and scoring use
    const fastT = model.logits(ids, { inference: true });
    const fast = fastT.arraySync();
    fastT.dispose();
    push(bf16 ? 'bf16_logits_inference' : 'logits_inference', maxAbsDiff(fast, refLogits, 'logits'), logitTol, 'generation/scoring path');
    push('token_losses', maxAbsDiff(losses, refLosses, 'token_losses'), lossTol, bf16 ? 'reference: from bf16_logits' : undefined);
    push('mean_loss', Math.abs(mean(losses) - refMean), lossTol);
    if (exp.greedy) {
      const g = exp.greedy;
      const want = g.output.slice(g.prompt.length);
      // HF greedy stops at EOS; the dump's continuation tells us how far it went, so no EOS stop here.
      // Both decoders that can run here are checked: tfjs's, and the native fused step on cpu/wasm.
      const decoders = resolveDecoder('auto') === 'native' ? (['tfjs', 'native'] as const) : (['tfjs'] as const);
      for (const decoder of decoders) {
        const got = generate(model, [g.prompt], { maxNewTokens: g.max_new_tokens, eosId: null, decoder }).tokens[0]!.slice(0, want.length);
        const wrong = want.reduce((n, t, i) => n + (got[i] === t ? 0 : 1), 0) + Math.abs(want.length - got.length);
        push('greedy_tokens_differing', wrong, 0, `${want.length} tokens, ${decoder} decoder${wrong ? `; got ${JSON.stringify(got)}, want ${JSON.stringify(want)}` : ''}`);
      }
    }
  } finally {
    ids.dispose();
  }
  return rows;
}

function mean(rows: number[][]): number {
  const all = rows.flat();
  return all.reduce((a, b) => a + b, 0) / all.length;
}
