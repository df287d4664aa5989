import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import type { LlamaConfig } from '../config/llama-config.ts';
import type { LayerKv, LlamaModel } from '../model/llama.ts';
import { attentionBias } from '../model/mask.ts';
import { KvCache } from './kv-cache.ts';
import { nativeEngineFor, resolveDecoder, type DecoderChoice } from './native-decoder.ts';
import { argmax, makeRng, sampleToken } from './sampling.ts';
import { endRules, sequenceEnd, type StopReason } from './sequence-end.ts';

export type { StopReason };

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
 * Batched decoding with a KV cache. Prompts of different lengths are left-padded; padding is
 * masked out and each row keeps its own positions, so a row's tokens do not depend on the others.
 * Rows that finish leave the batch. On cpu/wasm the native engine runs it over a copy of the
 * weights, kept for the next call (`releaseNativeEngine(model)` frees it).
 */
export function generate(model: LlamaModel, promptIds: readonly (readonly number[])[], opts: GenerateOptions): GenerateResult {
  // the native engine over a copy of the weights: prompt pass and every decoding step in C
  if ((opts.useCache ?? true) && resolveDecoder(opts.decoder) === 'native') return nativeEngineFor(model).generate(promptIds, opts);
  model.checkIds(promptIds);
  return runGeneration(model.config, promptIds, opts, (step, result) => {
    if (!(opts.useCache ?? true)) withoutCache(model, promptIds, result.tokens, step, opts, result);
    else withCache(model, promptIds, step, opts, result);
  });
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
  if (!Number.isInteger(opts.maxNewTokens) || opts.maxNewTokens < 0) throw new RhoError('BAD_CONFIG', `maxNewTokens must be a non-negative integer, got ${opts.maxNewTokens}`, { field: 'maxNewTokens' });
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

function leftPad(rows: readonly (readonly number[])[]): { ids: tf.Tensor2D; positions: tf.Tensor2D; mask: number[][] } {
  const len = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * len);
  const pos = new Int32Array(rows.length * len);
  const mask = rows.map((r, b) => {
    const pad = len - r.length;
    const m = new Array<number>(len).fill(0);
    for (let j = 0; j < r.length; j++) {
      ids[b * len + pad + j] = r[j]!;
      pos[b * len + pad + j] = j;
      m[pad + j] = 1;
    }
    return m;
  });
  return { ids: tf.tensor2d(ids, [rows.length, len], 'int32'), positions: tf.tensor2d(pos, [rows.length, len], 'int32'), mask };
}

/** The left-padded prompts through the model at once: last-position logits, every layer's keys/values, the padding mask. */
function prefill(model: LlamaModel, prompts: readonly (readonly number[])[]): { logits: tf.Tensor3D; present: LayerKv[]; mask: number[][] } {
  const { ids, positions, mask } = leftPad(prompts);
  const maskT = tf.tensor2d(mask.flat(), [prompts.length, ids.shape[1]], 'int32');
  const bias = attentionBias(prompts.length, ids.shape[1], 0, maskT, model.config.slidingWindow);
  try {
    const out = model.forward({ ids, positions, bias, lastOnly: true, inference: true });
    return { ...out, mask };
  } finally {
    tf.dispose([ids, positions, maskT, bias]);
  }
}

function withCache(model: LlamaModel, prompts: readonly (readonly number[])[], step: Step, opts: GenerateOptions, result: GenerateResult): GenerateResult {
  const cache = new KvCache(prompts.length);
  let active = prompts.map((_, i) => i);
  let logits: tf.Tensor3D | null = null;
  try {
    {
      const out = prefill(model, prompts);
      cache.mask.splice(0, cache.mask.length, ...out.mask);
      cache.update(out.present);
      logits = out.logits;
    }
    for (let s = 0; ; s++) {
      const still = step(logits, active);
      opts.onStep?.(s + 1);
      if (still.length === 0) break;
      if (still.length < active.length) {
        cache.select(still);
        active = still.map((r) => active[r]!);
      }
      const b = active.length;
      const last = active.map((row) => result.tokens[row]!.at(-1)!);
      const pos = cache.mask.map((m) => m.reduce((a, x) => a + x, 0));
      for (const m of cache.mask) m.push(1);
      const ids = tf.tensor2d(last, [b, 1], 'int32');
      const positions = tf.tensor2d(pos, [b, 1], 'int32');
      const maskT = cache.maskTensor();
      const bias = attentionBias(b, 1, cache.length - 1, maskT, model.config.slidingWindow);
      const out = model.forward({ ids, positions, bias, past: cache.layers, lastOnly: true, inference: true });
      tf.dispose([ids, positions, maskT, bias, logits]);
      cache.update(out.present);
      logits = out.logits;
    }
  } finally {
    if (logits) logits.dispose();
    cache.dispose();
  }
  return result;
}

function withoutCache(model: LlamaModel, prompts: readonly (readonly number[])[], tokens: number[][], step: Step, opts: GenerateOptions, result: GenerateResult): GenerateResult {
  let active = prompts.map((_, i) => i);
  for (let s = 0; ; s++) {
    const rows = active.map((row) => [...prompts[row]!, ...tokens[row]!]);
    const { ids, positions, mask } = leftPad(rows);
    const maskT = tf.tensor2d(mask.flat(), [rows.length, ids.shape[1]], 'int32');
    const bias = attentionBias(rows.length, ids.shape[1], 0, maskT, model.config.slidingWindow);
    const { logits, present } = model.forward({ ids, positions, bias, lastOnly: true, inference: true });
    tf.dispose([ids, positions, maskT, bias, ...present.flatMap((kv) => [kv.k, kv.v])]);
    let still: number[];
    try {
      still = step(logits, active);
    } finally {
      logits.dispose();
    }
    opts.onStep?.(s + 1);
    if (still.length === 0) break;
    active = still.map((r) => active[r]!);
  }
  return result;
}
