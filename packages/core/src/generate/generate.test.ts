import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetPrecision, setPrecision } from '../backend/precision.ts';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeConfig } from '../config/llama-config.ts';
import { LlamaModel } from '../model/llama.ts';
import { generate } from './generate.ts';
import type { DecoderChoice } from './decoder-choice.ts';
import { loadNativeKernels } from '../backend/native.ts';
import { argmax } from './sampling.ts';

afterAll(() => resetPrecision());

beforeAll(async () => {
  // these compare against the tfjs forward's FP32 arithmetic (bf16 decoding: engine/native-lm.test.ts)
  setPrecision('fp32');
  await tf.setBackend('cpu');
});

const config = makeConfig({
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  initializer_range: 0.3,
  eos_token_id: 2,
});
const prompts = [[5, 9, 13], [1, 20, 33, 40, 41, 7, 8], [11], [3, 3, 3, 3, 60]];

/** Greedy decoding by re-running the whole unpadded sequence through `logits` each step. */
function greedyByRecompute(model: LlamaModel, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const last = tf.tidy(() => {
      const l = model.logits(tf.tensor2d([seq], undefined, 'int32'));
      return tf.slice(l, [0, seq.length - 1, 0], [1, 1, config.vocabSize]);
    });
    seq.push(argmax(last.dataSync()));
    last.dispose();
  }
  return seq.slice(prompt.length);
}

// In CI the addon must have been built (libopenblas-dev installed); elsewhere its absence skips the native runs.
const decoders: DecoderChoice[] = loadNativeKernels().ok || process.env.CI ? ['tfjs', 'native'] : ['tfjs'];

describe.each(decoders)('generate (%s decoder)', (decoder) => {
  it('KV-cache decoding of a batch of different-length prompts equals full recomputation per prompt', () => {
    const model = LlamaModel.init(config, 21);
    const out = generate(model, prompts, { decoder, maxNewTokens: 10, eosId: null });
    const ref = prompts.map((p) => greedyByRecompute(model, p, 10));
    expect(out.tokens).toEqual(ref);
    expect(out.stopReason).toEqual(['length', 'length', 'length', 'length']);
    // the tokens are not all one id: the check compares something
    expect(new Set(out.tokens.flat()).size).toBeGreaterThan(3);
    const noCache = generate(model, prompts, { decoder, maxNewTokens: 10, eosId: null, useCache: false });
    expect(noCache.tokens).toEqual(ref);
    model.dispose();
  });

  it('stops rows at EOS independently and leaks no tensors', () => {
    const model = LlamaModel.init(config, 22);
    const free = generate(model, prompts, { decoder, maxNewTokens: 12, eosId: null });
    // pick as "EOS" a token that row 1 produces mid-way: that row must stop there, others go on
    const eos = free.tokens[1]![4]!;
    const before = tf.memory().numTensors;
    const out = generate(model, prompts, { decoder, maxNewTokens: 12, eosId: eos });
    expect(tf.memory().numTensors).toBe(before);
    out.tokens.forEach((toks, i) => {
      const k = free.tokens[i]!.indexOf(eos);
      expect(toks).toEqual(k >= 0 ? free.tokens[i]!.slice(0, k + 1) : free.tokens[i]);
      expect(out.stopReason[i]).toBe(k >= 0 ? 'eos' : 'length');
    });
    model.dispose();
  });

  it('stop strings are found on decoded text and cut from it', () => {
    const model = LlamaModel.init(config, 23);
    const decode = (ids: number[]) => ids.map((i) => String.fromCharCode(65 + (i % 26))).join('');
    const free = generate(model, [prompts[0]!], { decoder, maxNewTokens: 12, eosId: null, stop: { strings: [], decode } });
    const text = free.texts![0]!;
    expect(text.length).toBe(12);
    const stop = text.slice(5, 7);
    const at = text.indexOf(stop);
    const out = generate(model, [prompts[0]!], { decoder, maxNewTokens: 12, eosId: null, stop: { strings: ['never-there', stop], decode } });
    expect(out.stopReason[0]).toBe('stop');
    expect(out.texts![0]).toBe(text.slice(0, at));
    expect(out.tokens[0]).toEqual(free.tokens[0]!.slice(0, at + 2));
    model.dispose();
  });

  it('sampling with a seed is reproducible, differs across seeds, and cached == uncached', () => {
    const model = LlamaModel.init(config, 24);
    const opts = { maxNewTokens: 16, temperature: 1.5, topP: 0.95, eosId: null } as const;
    const a = generate(model, prompts, { decoder, ...opts, seed: 1 });
    const b = generate(model, prompts, { decoder, ...opts, seed: 1 });
    const c = generate(model, prompts, { decoder, ...opts, seed: 2 });
    const d = generate(model, prompts, { ...opts, seed: 1, useCache: false });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    expect(d.tokens).toEqual(a.tokens);
    model.dispose();
  });

  it('with one seed per prompt, a row samples as it would alone: its batch changes nothing', () => {
    const model = LlamaModel.init(config, 24);
    const opts = { maxNewTokens: 12, temperature: 1.5, topP: 0.95, eosId: null } as const;
    // equal lengths: no padding, so the logits are the same and only the generators could differ
    const rows = [
      [5, 9, 13],
      [1, 20, 33],
      [11, 4, 6],
    ];
    const together = generate(model, rows, { decoder, ...opts, seeds: [7, 8, 9] });
    const alone = rows.map((r, i) => generate(model, [r], { decoder, ...opts, seed: [7, 8, 9][i] }).tokens[0]);
    expect(together.tokens).toEqual(alone);
    expect(() => generate(model, rows, { decoder, ...opts, seeds: [1] })).toThrow(/seeds has 1 entries for 3 prompts/);
    model.dispose();
  });

  it('rejects out-of-vocabulary prompt ids and empty prompts', () => {
    const model = LlamaModel.init(config, 25);
    expect(() => generate(model, [[1, 64]], { decoder, maxNewTokens: 2 })).toThrow(/token id 64 is outside the vocabulary/);
    expect(() => generate(model, [[]], { decoder, maxNewTokens: 2 })).toThrow(/prompt 0 is empty/);
    model.dispose();
  });
});
