import * as tf from '@tensorflow/tfjs-core';
import type { LayerKv, LlamaModel } from '../model/llama.ts';
import { attentionBias } from '../model/mask.ts';
import { resolveDecoder } from './decoder-choice.ts';
import { KvCache } from './kv-cache.ts';
import { nativeEngineFor } from './native-decoder.ts';
import { runGeneration, type GenerateOptions, type GenerateResult, type Step } from './run-generation.ts';

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

function withoutCache(
  model: LlamaModel,
  prompts: readonly (readonly number[])[],
  tokens: number[][],
  step: Step,
  opts: GenerateOptions,
  result: GenerateResult,
): GenerateResult {
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
