import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetPrecision, setPrecision } from '../backend/precision.ts';
import { makeConfig, type LlamaConfig } from '../config/llama-config.ts';
import { LlamaModel } from '../model/llama.ts';
import { generate } from './generate.ts';
import { loadEngineApi } from '../engine/native-api.ts';
import type { EngineSession } from '../engine/native-lm.ts';
import { resolveDecoder } from './decoder-choice.ts';
import { nativeEngineFor } from './native-decoder.ts';
import { makeRng } from './sampling.ts';

// In CI the addon must have been built (libopenblas-dev installed); elsewhere its absence skips.
const run = loadEngineApi().ok || process.env.CI ? describe : describe.skip;

afterAll(() => resetPrecision());

beforeAll(async () => {
  // these compare against the tfjs forward's FP32 arithmetic (bf16 decoding: engine/native-lm.test.ts)
  setPrecision('fp32');
  await tf.setBackend('cpu');
});

const CONFIGS: Record<string, LlamaConfig> = {
  // grouped-query (6 heads over 2), untied, a large rope_theta
  gqa: makeConfig({
    vocab_size: 50,
    hidden_size: 48,
    intermediate_size: 96,
    num_hidden_layers: 3,
    num_attention_heads: 6,
    num_key_value_heads: 2,
    rope_theta: 500000,
    initializer_range: 0.2,
  }),
  // tied embeddings, one key/value head, a small eps
  // Mistral's sliding window, far shorter than the sequences decoded
  windowed: makeConfig({
    model_type: 'mistral',
    sliding_window: 5,
    vocab_size: 45,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    initializer_range: 0.3,
  }),
  tied: makeConfig({
    vocab_size: 40,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    tie_word_embeddings: true,
    rms_norm_eps: 1e-6,
    initializer_range: 0.3,
  }),
};

/** Last-position logits of one unpadded sequence, by the plain (training) forward: no cache, no inference copies. */
function reference(model: LlamaModel, seq: number[]): Float32Array {
  return tf
    .tidy(() => {
      const l = model.logits(tf.tensor2d([seq], undefined, 'int32'));
      return tf.slice(l, [0, seq.length - 1, 0], [1, 1, model.config.vocabSize]);
    })
    .dataSync() as Float32Array;
}

/** The prompts through a native session with room to grow; returns it. */
function prefill(model: LlamaModel, prompts: number[][]): EngineSession {
  const session = nativeEngineFor(model).openSession(prompts.length);
  prompts.forEach((p, row) =>
    session.feed(
      p.map(() => row),
      p,
      [],
    ),
  );
  return session;
}

run('native engine decoding', () => {
  it.each(Object.keys(CONFIGS))('%s: each step’s logits equal a full forward of the sequence, rows dropping out, the cache growing', (name) => {
    const config = CONFIGS[name]!;
    const model = LlamaModel.init(config, 7);
    const rng = makeRng(3);
    const tok = () => Math.floor(rng() * config.vocabSize);
    const seqs = [[1, 5, 9], [1, 20, 33, 39, 31, 7, 8], [2], [3, 3, 3, 3, 30]];
    const session = prefill(model, seqs);
    let active = [0, 1, 2, 3];
    let worst = 0;
    let scale = 0;
    for (let step = 0; step < 150; step++) {
      if (step === 3) active = [0, 2, 3]; // row 1 finished
      if (step === 9) active = [3, 0]; // and row 2; order need not follow the batch
      const fed = active.map(() => tok());
      const logits = session.feed(active, fed);
      active.forEach((r, i) => {
        seqs[r]!.push(fed[i]!);
        if (step % 37 !== 0 && step > 12) return; // the full forward is the slow part: sample steps
        const want = reference(model, seqs[r]!);
        const got = logits.subarray(i * config.vocabSize, (i + 1) * config.vocabSize);
        for (let v = 0; v < want.length; v++) {
          worst = Math.max(worst, Math.abs(got[v]! - want[v]!));
          scale = Math.max(scale, Math.abs(want[v]!));
        }
      });
    }
    session.dispose();
    expect(scale).toBeGreaterThan(0.1); // logits that are not all ~0: the comparison means something
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
  });

  it('after the weights change (a training step), generation uses the new ones', () => {
    const model = LlamaModel.init(CONFIGS.gqa!, 8);
    const prompts = [
      [1, 2, 3],
      [4, 5, 6, 7, 8],
    ];
    const before = generate(model, prompts, { maxNewTokens: 8, eosId: null, decoder: 'native' });
    const w = model.weights.get('model.layers.0.mlp.down_proj.weight')!;
    w.assign(tf.mul(w, 5));
    const after = generate(model, prompts, { maxNewTokens: 8, eosId: null, decoder: 'native' });
    const viaTfjs = generate(model, prompts, { maxNewTokens: 8, eosId: null, decoder: 'tfjs' });
    expect(after.tokens).toEqual(viaTfjs.tokens);
    expect(after.tokens).not.toEqual(before.tokens);
    model.dispose();
  });

  it('rejects a token outside the vocabulary, a row outside the batch, and use after dispose', () => {
    const model = LlamaModel.init(CONFIGS.tied!, 9);
    const session = prefill(model, [[1, 2], [3]]);
    expect(() => session.feed([0], [40])).toThrow(/outside the vocabulary/);
    expect(() => session.feed([2], [1])).toThrow(/row outside the cache/);
    expect(() => session.feed([0, 1], [1])).toThrow(/differ in length/);
    expect(session.feed([1], [5]).length).toBe(40);
    expect(session.length(1)).toBe(2);
    session.dispose();
    expect(() => session.feed([0], [1])).toThrow(/disposed/);
    model.dispose();
  });

  it('at bf16 decodes over BF16 weight copies, close to fp32, and rebuilds the copy when the precision changes', () => {
    const model = LlamaModel.init(CONFIGS.gqa!, 11);
    try {
      const rows = [
        [1, 2, 3, 4, 5, 6],
        [7, 8, 9],
      ];
      const fp32 = nativeEngineFor(model, 'fp32');
      expect(nativeEngineFor(model, 'fp32')).toBe(fp32); // kept while nothing changes
      const a = fp32.logits(rows);
      const bf16 = nativeEngineFor(model, 'bf16');
      expect(bf16).not.toBe(fp32);
      expect(() => fp32.logits(rows)).toThrow(/disposed/); // the stale copy is freed
      const b = bf16.logits(rows);
      let err = 0;
      let scale = 0;
      a.forEach((r, i) => r.forEach((x, j) => ((err = Math.max(err, Math.abs(x - b[i]![j]!))), (scale = Math.max(scale, Math.abs(x))))));
      expect(scale).toBeGreaterThan(0.1);
      expect(err).toBeLessThan(0.05 * scale + 0.02);
      // keys/values in BF16, through the scalar readers (head size 8): a row's tokens whatever it is batched with
      const alone = rows.map((r) => bf16.generate([r], { maxNewTokens: 12, eosId: null }).tokens[0]);
      expect(bf16.generate(rows, { maxNewTokens: 12, eosId: null }).tokens).toEqual(alone);
    } finally {
      model.dispose();
    }
  });

  it('bf16 batch-invariant kernels: blocks over rows and over a long K change no number (a prompt whole equals it fed token by token)', () => {
    // the down projection's K (2730) is cut in K blocks with a partial last one and a K % 32 tail,
    // N = 2730 leaves N % 4 rows to the scalar tiles, and 150 prompt rows span several row blocks
    const config = makeConfig({
      vocab_size: 300,
      hidden_size: 64,
      intermediate_size: 2730,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      initializer_range: 0.2,
    });
    const model = LlamaModel.init(config, 11);
    try {
      const lm = nativeEngineFor(model, 'bf16');
      const rng = makeRng(5);
      const prompt = Array.from({ length: 150 }, () => Math.floor(rng() * config.vocabSize));
      const whole = lm.openSession(1, { invariant: true });
      const byToken = lm.openSession(1, { invariant: true });
      try {
        const all = whole.feed(
          prompt.map(() => 0),
          prompt,
          prompt.map((_, t) => t),
        );
        const v = config.vocabSize;
        const differing = prompt.filter((tok, t) => !Buffer.from(byToken.feed([0], [tok]).buffer).equals(Buffer.from(all.buffer, t * v * 4, v * 4))).length;
        expect(differing).toBe(0);
      } finally {
        whole.dispose();
        byToken.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('is chosen by default on cpu/wasm, and can be turned off or demanded', () => {
    expect(resolveDecoder('auto', {})).toBe('native');
    expect(resolveDecoder('auto', { RHO_NATIVE_DECODE: '0' })).toBe('tfjs');
    expect(resolveDecoder('tfjs', {})).toBe('tfjs');
    expect(() => resolveDecoder('native', { RHO_NATIVE: '0' })).toThrow(/RHO_NATIVE=0/);
  });
});
