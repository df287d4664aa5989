// The generation loop every engine shares (native, tfjs, llama.cpp): options, sampling, end rules.
// Apart from generate.ts, which drives a tfjs LlamaModel and hands it to the native engine when it
// can, so that the engines build on this loop without importing the model that imports them.
import * as tf from '@tensorflow/tfjs-core';
import type { LlamaConfig } from '../config/llama-config.ts';
import { RhoError } from '../errors.ts';
import type { DecoderChoice } from './decoder-choice.ts';
import { argmax, makeRng, sampleToken } from './sampling.ts';
import { endRules, sequenceEnd, type StopReason } from './sequence-end.ts';

export interface GenerateOptions {
  maxNewTokens: number;
  /** 0 (default) is greedy. */
  temperature?: number;
  topP?: number;
  seed?: number;
  /** One generator per prompt, seeded with these (instead of one shared generator seeded with `seed`): a row's tokens do not depend on its batch. */
  seeds?: readonly number[];
  /** Stop strings, checked on the decoded new text (the harness's stop words are strings). */
  stop?: { strings: readonly string[]; decode: (ids: number[]) => string };
  /** End-of-sequence id(s); default: the config's eos_token_id. `null`: never stop on a token. */
  eosId?: number | readonly number[] | null;
  /** Recompute the whole sequence each step instead of using the KV cache (for benchmarks and tests). */
  useCache?: boolean;
  /** Who runs the cached decoding steps (see DecoderChoice); default `auto`. */
  decoder?: DecoderChoice;
  /** Called after each decoding step with the number of new tokens so far (progress bars). */
  onStep?: (step: number) => void;
}

export interface GenerateResult {
  /** New tokens per prompt (the prompt excluded; an eos or stop-completing token included). */
  tokens: number[][];
  stopReason: StopReason[];
  /** With `stop`: the decoded new text, cut before the first stop string. */
  texts?: string[];
}

/**
 * Chooses each round's next tokens from its logits ([active rows, vocab]) and returns the indexes
 * (into `active`) of the rows still going.
 */
export type Step = (logits: tf.Tensor3D | Float32Array, active: number[]) => number[];

/**
 * Feeds `step` the logits of the prompts' last tokens, then of each row's newest token, until
 * `step` returns no rows; `result.tokens` holds each row's new tokens so far.
 */
export type DecodeDriver = (step: Step, result: GenerateResult) => void;

/**
 * What every engine's generation shares: option checks, sampling, EOS and stop strings. The engine
 * only supplies the logits, through `drive`.
 */
export function runGeneration(cfg: LlamaConfig, promptIds: readonly (readonly number[])[], opts: GenerateOptions, drive: DecodeDriver): GenerateResult {
  const n = promptIds.length;
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0)
    throw new RhoError('BAD_CONFIG', `maxNewTokens must be a non-negative integer, got ${opts.maxNewTokens}`, { field: 'maxNewTokens' });
  promptIds.forEach((p, i) => {
    if (p.length === 0) throw new RhoError('BAD_INPUT', `prompt ${i} is empty`, { field: `promptIds[${i}]`, hint: 'start prompts with the BOS token' });
  });
  const temperature = opts.temperature ?? 0;
  const topP = opts.topP ?? 1;
  if (opts.seeds && opts.seeds.length !== n) throw new RhoError('BAD_CONFIG', `seeds has ${opts.seeds.length} entries for ${n} prompts`, { field: 'seeds' });
  const shared = makeRng(opts.seed ?? 0);
  const rngs = opts.seeds?.map((s) => makeRng(s));
  const rules = endRules(cfg, opts);

  const tokens: number[][] = promptIds.map(() => []);
  const stopReason: StopReason[] = promptIds.map(() => 'length');
  const texts: string[] | undefined = opts.stop ? promptIds.map(() => '') : undefined;
  if (n === 0 || opts.maxNewTokens === 0) return { tokens, stopReason, texts };

  /** Choose the next token of each active row; returns which rows are still going. */
  const step = (logits: tf.Tensor3D | Float32Array, active: number[]): number[] => {
    const v = cfg.vocabSize;
    let next: ArrayLike<number>;
    if (temperature <= 0 && logits instanceof Float32Array) {
      next = active.map((_, r) => argmax(logits.subarray(r * v, (r + 1) * v)));
    } else if (temperature <= 0) {
      // on device: only the winners come back
      const best = tf.tidy(() => tf.argMax(tf.reshape(logits as tf.Tensor3D, [active.length, v]), 1));
      next = best.dataSync() as Int32Array;
      best.dispose();
    } else {
      const all = logits instanceof Float32Array ? logits : (logits.dataSync() as Float32Array);
      next = active.map((row, r) => sampleToken(all.subarray(r * v, (r + 1) * v), temperature, topP, rngs?.[row] ?? shared));
    }
    const still: number[] = [];
    active.forEach((row, r) => {
      tokens[row]!.push(next[r]!);
      const end = sequenceEnd(rules, tokens[row]!);
      if (!end) still.push(r);
      else {
        stopReason[row] = end.reason;
        if (end.text !== undefined) texts![row] = end.text;
      }
    });
    return still;
  };

  const result = { tokens, stopReason, texts };
  drive(step, result);
  if (texts) stopReason.forEach((r, row) => r !== 'stop' && (texts[row] = opts.stop!.decode(tokens[row]!)));
  return result;
}
