import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// initBackend() registers gradients in the CLIs; vitest can load tfjs-core's ESM registration directly
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { makeConfig, type LlamaConfig } from '../config/llama-config.ts';
import { LlamaModel } from './llama.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type W = Map<string, { shape: number[]; data: Float64Array }>;

/**
 * A deliberately naive Llama forward pass: one position at a time, plain loops in float64, keys
 * repeated per query head as transformers' repeat_kv does. Written from the HF formula, sharing no
 * code with the model.
 */
function naiveLogits(c: LlamaConfig, w: W, ids: number[]): number[][] {
  const get = (n: string) => w.get(n)!;
  const linear = (name: string, x: number[]) => {
    const { shape, data } = get(name);
    const [out, inp] = shape as [number, number];
    const y = new Array<number>(out).fill(0);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) y[o]! += data[o * inp + i]! * x[i]!;
    return y;
  };
  const rms = (name: string, x: number[]) => {
    const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
    const g = get(name).data;
    return x.map((v, i) => (v / Math.sqrt(ms + c.rmsNormEps)) * g[i]!);
  };
  const hd = c.headDim;
  const rope = (v: number[], pos: number) => {
    const out = v.slice();
    for (let i = 0; i < hd / 2; i++) {
      const ang = pos / c.ropeTheta ** ((2 * i) / hd);
      const a = v[i]!;
      const b = v[i + hd / 2]!;
      out[i] = a * Math.cos(ang) - b * Math.sin(ang);
      out[i + hd / 2] = b * Math.cos(ang) + a * Math.sin(ang);
    }
    return out;
  };
  const emb = get('model.embed_tokens.weight').data;
  let hs = ids.map((id) => Array.from(emb.subarray(id * c.hiddenSize, (id + 1) * c.hiddenSize)));
  for (let l = 0; l < c.numHiddenLayers; l++) {
    const p = `model.layers.${l}.`;
    const qs: number[][][] = [];
    const ks: number[][][] = [];
    const vs: number[][][] = [];
    hs.forEach((h, t) => {
      const x = rms(`${p}input_layernorm.weight`, h);
      const q = linear(`${p}self_attn.q_proj.weight`, x);
      const k = linear(`${p}self_attn.k_proj.weight`, x);
      const v = linear(`${p}self_attn.v_proj.weight`, x);
      qs.push(Array.from({ length: c.numAttentionHeads }, (_, h) => rope(q.slice(h * hd, (h + 1) * hd), t)));
      ks.push(Array.from({ length: c.numKeyValueHeads }, (_, h) => rope(k.slice(h * hd, (h + 1) * hd), t)));
      vs.push(Array.from({ length: c.numKeyValueHeads }, (_, h) => v.slice(h * hd, (h + 1) * hd)));
    });
    const rep = c.numAttentionHeads / c.numKeyValueHeads;
    hs = hs.map((h, t) => {
      const ctx: number[] = [];
      for (let head = 0; head < c.numAttentionHeads; head++) {
        const kvh = Math.floor(head / rep);
        const scores = [];
        for (let s = 0; s <= t; s++) scores.push(qs[t]![head]!.reduce((a, qv, i) => a + qv * ks[s]![kvh]![i]!, 0) / Math.sqrt(hd));
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let i = 0; i < hd; i++) ctx.push(e.reduce((a, pr, s) => a + (pr / z) * vs[s]![kvh]![i]!, 0));
      }
      const o = linear(`${p}self_attn.o_proj.weight`, ctx);
      const h2 = h.map((v, i) => v + o[i]!);
      const y = rms(`${p}post_attention_layernorm.weight`, h2);
      const gate = linear(`${p}mlp.gate_proj.weight`, y);
      const up = linear(`${p}mlp.up_proj.weight`, y);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
      const down = linear(`${p}mlp.down_proj.weight`, act);
      return h2.map((v, i) => v + down[i]!);
    });
  }
  const head = c.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return hs.map((h) => linear(head, rms('model.norm.weight', h)));
}

function weightsOf(m: LlamaModel): W {
  const w: W = new Map();
  for (const [k, v] of m.weights) w.set(k, { shape: v.shape, data: Float64Array.from(v.dataSync()) });
  return w;
}

/** Random non-trivial norm weights too, so a norm applied to the wrong axis shows. */
function perturbNorms(m: LlamaModel, seed: number): void {
  for (const [k, v] of m.weights) if (k.endsWith('norm.weight')) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', seed++));
}

const cases: [string, Parameters<typeof makeConfig>[0]][] = [
  [
    'tied, 6 heads over 3 kv heads, rope_theta 500000',
    {
      vocab_size: 50,
      hidden_size: 48,
      intermediate_size: 40,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 3,
      rope_theta: 500000,
      tie_word_embeddings: true,
      rms_norm_eps: 1e-6,
    },
  ],
  [
    'untied, 6 heads over 1 kv head (multi-query), rope_theta 100',
    {
      vocab_size: 40,
      hidden_size: 24,
      intermediate_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 1,
      rope_theta: 100,
      tie_word_embeddings: false,
    },
  ],
  [
    'one layer, 2 full heads of 16, default rope_theta',
    { vocab_size: 30, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, rope_theta: 10000 },
  ],
];

describe('LlamaModel against a naive reference', () => {
  for (const [name, fields] of cases) {
    it(name, () => {
      const config = makeConfig({ ...fields, initializer_range: 0.2 });
      const model = LlamaModel.init(config, 7);
      perturbNorms(model, 11);
      const seqs = [
        [1, 5, 9, 2, 17, 3, 8, 21, 4],
        [7, 7, 1, 0, 12, 29, 3, 3, 6],
      ];
      const logits = tf.tidy(() => model.logits(tf.tensor2d(seqs, undefined, 'int32')).arraySync());
      const w = weightsOf(model);
      let maxErr = 0;
      let maxAbs = 0;
      seqs.forEach((ids, b) => {
        const ref = naiveLogits(config, w, ids);
        ref.forEach((row, t) =>
          row.forEach((x, v) => {
            maxErr = Math.max(maxErr, Math.abs(x - logits[b]![t]![v]!));
            maxAbs = Math.max(maxAbs, Math.abs(x));
          }),
        );
      });
      expect(maxAbs).toBeGreaterThan(0.5); // the comparison is not between near-zero numbers
      expect(maxErr).toBeLessThan(1e-4 * Math.max(1, maxAbs));
      model.dispose();
    });
  }
});

describe('LlamaModel', () => {
  const config = makeConfig({
    vocab_size: 37,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    initializer_range: 0.2,
  });

  it("padding: a left- or right-padded row gives the unpadded row's logits at its real tokens", () => {
    const model = LlamaModel.init(config, 3);
    const seq = [4, 8, 15, 16, 23];
    const [alone, left, right] = tf.tidy(() => [
      model.logits(tf.tensor2d([seq], undefined, 'int32')).arraySync()[0]!,
      model
        .logits(
          tf.tensor2d(
            [
              [0, 0, ...seq],
              [1, 2, 3, 4, 5, 6, 7],
            ],
            undefined,
            'int32',
          ),
          {
            attentionMask: tf.tensor2d(
              [
                [0, 0, 1, 1, 1, 1, 1],
                [1, 1, 1, 1, 1, 1, 1],
              ],
              undefined,
              'int32',
            ),
          },
        )
        .arraySync()[0]!
        .slice(2),
      model
        .logits(tf.tensor2d([[...seq, 9, 9]], undefined, 'int32'), { attentionMask: tf.tensor2d([[1, 1, 1, 1, 1, 0, 0]], undefined, 'int32') })
        .arraySync()[0]!
        .slice(0, 5),
    ]);
    for (const other of [left, right]) {
      let err = 0;
      alone.forEach((row, t) => row.forEach((x, v) => (err = Math.max(err, Math.abs(x - other[t]![v]!)))));
      expect(err).toBeLessThan(1e-5);
    }
    model.dispose();
  });

  it('tokenLosses is the cross-entropy of the next token, 0 at padded targets', () => {
    const model = LlamaModel.init(config, 4);
    const ids = [
      [3, 1, 4, 1, 5, 9],
      [2, 6, 5, 3, 0, 0],
    ];
    const mask = [
      [1, 1, 1, 1, 1, 1],
      [1, 1, 1, 1, 0, 0],
    ];
    const [logits, losses] = tf.tidy(() => {
      const idsT = tf.tensor2d(ids, undefined, 'int32');
      const maskT = tf.tensor2d(mask, undefined, 'int32');
      return [model.logits(idsT, { attentionMask: maskT }).arraySync(), model.tokenLosses(idsT, maskT).arraySync()];
    });
    expect(losses.map((r) => r.length)).toEqual([5, 5]);
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 5; t++) {
        const row = logits[b]![t]!;
        const m = Math.max(...row);
        const ce = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0)) - row[ids[b]![t + 1]!]!;
        expect(losses[b]![t]).toBeCloseTo(mask[b]![t + 1] ? ce : 0, 4);
      }
    }
    model.dispose();
  });

  it('is differentiable in every weight, without leaking tensors', () => {
    const model = LlamaModel.init(config, 5);
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6]], undefined, 'int32');
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(model.tokenLosses(ids)) as tf.Scalar, model.trainableVariables());
      const norms = Object.fromEntries(
        Object.entries(grads).map(([k, g]) => {
          const n = tf.norm(g);
          const x = n.dataSync()[0]!;
          n.dispose();
          return [k, x];
        }),
      );
      tf.dispose([value, ...Object.values(grads)]);
      return norms;
    };
    const first = step();
    const before = tf.memory().numTensors;
    step();
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(first).length).toBe(model.trainableVariables().length);
    for (const n of Object.values(first)) expect(n).toBeGreaterThan(0);
    ids.dispose();
    model.dispose();
  });

  it('a token id outside the vocabulary is an error', () => {
    const model = LlamaModel.init(config, 6);
    expect(() => model.logits(tf.tensor2d([[1, 37]], undefined, 'int32'))).toThrow(/token id 37 is outside the vocabulary \[0, 37\)/);
    expect(() => model.logits(tf.tensor2d([[-1, 2]], undefined, 'int32'))).toThrow(/outside the vocabulary/);
    model.dispose();
  });

  it('fromWeights names a missing or misshaped tensor and the expected shape', () => {
    const model = LlamaModel.init(config, 8);
    const all = new Map<string, tf.Tensor>(model.weights);
    const missing = new Map(all);
    missing.delete('model.layers.1.mlp.up_proj.weight');
    expect(() => LlamaModel.fromWeights(config, missing)).toThrow(/lacks tensor model\.layers\.1\.mlp\.up_proj\.weight \(expected shape \[48,32\]\)/);
    const wrong = new Map(all);
    const bad = tf.zeros([32, 32]);
    wrong.set('model.layers.0.self_attn.k_proj.weight', bad);
    expect(() => LlamaModel.fromWeights(config, wrong)).toThrow(/k_proj\.weight has shape \[32,32\], the config needs \[16,32\]/);
    bad.dispose();
    model.dispose();
  });
});
