/**
 * The native training pass (native/src/rho_train.c) is a kernel choice of the same model: its
 * losses and every weight's gradient must be the tfjs model's (autodiff of LlamaModel.forward),
 * at fp32 to float rounding and at bf16 to BF16 rounding, and training on it must track tfjs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackendInfo, installBackendKernels } from '../backend/index.ts';
import { loadNativeKernels } from '../backend/native.ts';
import { resetPrecision, setPrecision, type ResolvedPrecision } from '../backend/precision.ts';
import { makeConfig, type LlamaConfig } from '../config/llama-config.ts';
import { LlamaModel } from '../model/index.ts';
import { nativeTokenLosses, nativeTrainUnavailable, nativeWeightOrder } from './native-losses.ts';
import { createTrainerState, meanTokenLoss, trainStep, type TokenBatch } from './step.ts';

const native = loadNativeKernels();
const bf16 = native.ok && native.kernels.dnnlInfo().bf16;
// in CI the addon is built from this source, so a missing addon is a failure, not a skip
const run = native.ok || Boolean(process.env.CI);
if (!run) console.warn(`native-losses.test: skipped, ${native.reason}`);
else if (!bf16) console.warn('native-losses.test: bf16 cases skipped, no native BF16 products here');

function config(fields: { vocab: number; d: number; f: number; layers: number; heads: number; kv: number; tied?: boolean; window?: number }): LlamaConfig {
  return makeConfig({
    vocab_size: fields.vocab,
    hidden_size: fields.d,
    intermediate_size: fields.f,
    num_hidden_layers: fields.layers,
    num_attention_heads: fields.heads,
    num_key_value_heads: fields.kv,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: fields.tied ?? false,
    // larger than transformers' 0.02 so attention is far from uniform and every path carries weight
    initializer_range: 0.15,
    ...(fields.window !== undefined ? { model_type: 'mistral' as const, sliding_window: fields.window } : {}),
  });
}

/** A model whose norm weights are not all ones, so their gradients are checked against something. */
function model(c: LlamaConfig, seed: number): LlamaModel {
  const m = LlamaModel.init(c, seed);
  let i = 0;
  for (const [name, v] of m.weights)
    if (name.endsWith('norm.weight')) v.assign(tf.tidy(() => tf.add(1, tf.randomNormal(v.shape, 0, 0.2, 'float32', seed + ++i))));
  return m;
}

function withTfjs<T>(f: () => T): T {
  const before = process.env.RHO_NATIVE_TRAIN;
  process.env.RHO_NATIVE_TRAIN = '0';
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.RHO_NATIVE_TRAIN;
    else process.env.RHO_NATIVE_TRAIN = before;
  }
}

interface Pass {
  losses: Float32Array;
  grads: Map<string, Float32Array>;
}

/** Losses and the gradients of Σ dy·losses, by either path. */
function pass(m: LlamaModel, ids: tf.Tensor2D, mask: tf.Tensor2D | undefined, dy: tf.Tensor2D, path: 'tfjs' | ResolvedPrecision): Pass {
  const vars = [...m.weights.values()];
  let losses: Float32Array = new Float32Array();
  const f = () => {
    const l = path === 'tfjs' ? m.tokenLosses(ids, mask) : nativeTokenLosses(m, ids, mask, { precision: path });
    losses = l.dataSync() as Float32Array;
    return tf.sum(tf.mul(l, dy)) as tf.Scalar;
  };
  const { value, grads } = path === 'tfjs' ? withTfjs(() => tf.variableGrads(f, vars)) : tf.variableGrads(f, vars);
  value.dispose();
  const byName = new Map([...m.weights].map(([n, v]) => [v.name, n]));
  const out = new Map<string, Float32Array>();
  for (const [k, g] of Object.entries(grads)) {
    out.set(byName.get(k)!, g.dataSync() as Float32Array);
    g.dispose();
  }
  return { losses, grads: out };
}

const relErr = (a: Float32Array, b: Float32Array) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
};
const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

interface Case {
  name: string;
  config: LlamaConfig;
  batch: number;
  seq: number;
  /** per row: [left padding, right padding] */
  pad?: readonly (readonly [number, number])[];
}

const CASES: Case[] = [
  { name: 'grouped-query attention, untied', config: config({ vocab: 61, d: 32, f: 40, layers: 2, heads: 4, kv: 2 }), batch: 2, seq: 9 },
  {
    name: 'tied embeddings, sliding window 3, padded left and right',
    config: config({ vocab: 53, d: 24, f: 36, layers: 2, heads: 2, kv: 1, tied: true, window: 3 }),
    batch: 3,
    seq: 11,
    pad: [
      [0, 0],
      [3, 0],
      [0, 4],
    ],
  },
  {
    name: 'multi-head, window 1, padded both ends',
    config: config({ vocab: 40, d: 16, f: 24, layers: 1, heads: 2, kv: 2, window: 1 }),
    batch: 2,
    seq: 6,
    pad: [
      [1, 1],
      [0, 0],
    ],
  },
];

function inputs(c: Case, seed: number): { ids: tf.Tensor2D; mask?: tf.Tensor2D; dy: tf.Tensor2D } {
  const { batch: b, seq: t } = c;
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const ids = tf.tensor2d(
    Int32Array.from({ length: b * t }, () => Math.floor(rand() * c.config.vocabSize)),
    [b, t],
    'int32',
  );
  const mask = c.pad
    ? tf.tensor2d(
        Int32Array.from({ length: b * t }, (_, i) => {
          const [left, right] = c.pad![Math.floor(i / t)]!;
          const j = i % t;
          return j >= left && j < t - right ? 1 : 0;
        }),
        [b, t],
        'int32',
      )
    : undefined;
  // non-uniform, of both signs: how a token selection or a weighting reaches the backward
  const dy = tf.tensor2d(
    Float32Array.from({ length: b * (t - 1) }, () => rand() * 2 - 0.5),
    [b, t - 1],
  );
  return { ids, mask, dy };
}

describe.skipIf(!run)('native training pass', () => {
  beforeAll(async () => {
    await initBackendInfo({ env: { ...process.env, RHO_BACKEND: 'wasm' }, log: () => {} });
    setPrecision('fp32');
  });
  afterAll(() => resetPrecision());

  it('is the path tokenLosses takes on wasm, and RHO_NATIVE_TRAIN=0 turns it off', () => {
    expect(nativeTrainUnavailable('wasm')).toBeNull();
    expect(nativeTrainUnavailable('wasm', { RHO_NATIVE_TRAIN: '0' })).toMatch(/RHO_NATIVE_TRAIN=0/);
    expect(nativeTrainUnavailable('webgl')).toMatch(/webgl/);
  });

  it('lists every weight of the model once', () => {
    for (const c of CASES) expect(new Set(nativeWeightOrder(c.config))).toEqual(new Set(LlamaModel.init(c.config, 1).weights.keys()));
  });

  for (const [k, c] of CASES.entries()) {
    it(`fp32: losses and every gradient equal tfjs autodiff (${c.name})`, () => {
      const m = model(c.config, 7 + k);
      const { ids, mask, dy } = inputs(c, 99 + k);
      try {
        const ref = pass(m, ids, mask, dy, 'tfjs');
        const got = pass(m, ids, mask, dy, 'fp32');
        expect(maxAbs(got.losses, ref.losses)).toBeLessThan(1e-4);
        // padded targets are zero, as in tfjs; real ones are not
        if (mask) expect(got.losses.some((x, i) => x === 0 && ref.losses[i] === 0)).toBe(true);
        expect([...got.grads.keys()].sort()).toEqual([...ref.grads.keys()].sort());
        for (const [name, g] of ref.grads) {
          expect(Math.hypot(...g), name).toBeGreaterThan(0);
          expect(relErr(got.grads.get(name)!, g), name).toBeLessThan(1e-3);
        }
      } finally {
        tf.dispose([ids, mask, dy].filter((x): x is tf.Tensor2D => x !== undefined));
        m.dispose();
      }
    });

    it.skipIf(!bf16)(`bf16: losses and gradients within BF16 rounding of tfjs fp32 (${c.name})`, () => {
      const m = model(c.config, 7 + k);
      const { ids, mask, dy } = inputs(c, 99 + k);
      try {
        const ref = pass(m, ids, mask, dy, 'tfjs');
        const got = pass(m, ids, mask, dy, 'bf16');
        const fp32 = pass(m, ids, mask, dy, 'fp32');
        expect(maxAbs(got.losses, ref.losses)).toBeLessThan(0.03);
        // BF16 did run: the products were rounded
        expect(maxAbs(got.losses, fp32.losses)).toBeGreaterThan(0);
        for (const [name, g] of ref.grads) expect(relErr(got.grads.get(name)!, g), name).toBeLessThan(0.05);
      } finally {
        tf.dispose([ids, mask, dy].filter((x): x is tf.Tensor2D => x !== undefined));
        m.dispose();
      }
    });
  }

  it('on the cpu backend too (its storage is JS arrays, not the wasm heap)', async () => {
    await tf.setBackend('cpu');
    try {
      installBackendKernels('cpu');
      expect(nativeTrainUnavailable('cpu')).toBeNull();
      const c = CASES[1]!;
      const m = model(c.config, 21);
      const { ids, mask, dy } = inputs(c, 4);
      try {
        const ref = pass(m, ids, mask, dy, 'tfjs');
        const got = pass(m, ids, mask, dy, 'fp32');
        expect(maxAbs(got.losses, ref.losses)).toBeLessThan(1e-4);
        for (const [name, g] of ref.grads) expect(relErr(got.grads.get(name)!, g), name).toBeLessThan(1e-3);
      } finally {
        tf.dispose([ids, mask!, dy]);
        m.dispose();
      }
    } finally {
      await tf.setBackend('wasm');
    }
  });

  it('outside a gradient tape (evaluation) gives the same losses and keeps nothing', () => {
    const c = CASES[1]!;
    const m = model(c.config, 3);
    const { ids, mask, dy } = inputs(c, 5);
    try {
      const before = tf.memory().numTensors;
      const got = nativeTokenLosses(m, ids, mask, { precision: 'fp32' });
      const ref = withTfjs(() => m.tokenLosses(ids, mask));
      expect(maxAbs(got.dataSync() as Float32Array, ref.dataSync() as Float32Array)).toBeLessThan(1e-4);
      tf.dispose([got, ref]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      tf.dispose([ids, mask!, dy]);
      m.dispose();
    }
  });

  it.skipIf(!bf16)(
    '30 training steps on native bf16 track tfjs fp32',
    () => {
      const STEPS = 30;
      const c = config({ vocab: 96, d: 64, f: 128, layers: 2, heads: 4, kv: 2 });
      // each row counts up by its own stride: learnable, so the loss keeps falling
      const ids = Int32Array.from({ length: 8 * 32 }, (_, i) => (Math.floor(i / 32) * 7 + (i % 32) * (1 + (Math.floor(i / 32) % 3))) % 96);
      const batch: TokenBatch = { ids, batchSize: 8, seqLen: 32 };
      const train = (path: 'tfjs' | 'native') => {
        setPrecision(path === 'tfjs' ? 'fp32' : 'bf16');
        const m = LlamaModel.init({ ...c, initializerRange: 0.02 }, 11);
        const state = createTrainerState(
          { schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 3, totalSteps: STEPS }, maxGradNorm: 1, adamw: { weightDecay: 0.1 } },
          { seed: 0 },
        );
        try {
          const step = () => trainStep(m, batch, meanTokenLoss, state).loss;
          return Array.from({ length: STEPS }, () => (path === 'tfjs' ? withTfjs(step) : step()));
        } finally {
          state.optimizer.dispose();
          m.dispose();
          setPrecision('fp32');
        }
      };
      const ref = train('tfjs');
      const got = train('native');
      const meanGap = ref.reduce((s, l, i) => s + Math.abs(l - got[i]!), 0) / STEPS;
      const final = Math.abs(got.at(-1)! - ref.at(-1)!) / ref.at(-1)!;
      console.log(
        `native-losses.test: tfjs fp32 ${ref[0]!.toFixed(3)} → ${ref.at(-1)!.toFixed(3)}, native bf16 ${got[0]!.toFixed(3)} → ${got.at(-1)!.toFixed(3)}; mean |Δloss| ${meanGap.toFixed(4)}, final ${(100 * final).toFixed(2)}%`,
      );
      expect(ref.at(-1)!).toBeLessThan(ref[0]! - 1); // it learned, so the comparison means something
      expect(meanGap).toBeLessThan(0.05);
      expect(final).toBeLessThan(0.03);
    },
    120_000,
  );
});
