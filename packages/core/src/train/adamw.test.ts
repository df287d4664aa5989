import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADAMW } from '../backend/adamw-kernel.ts';
import { installBackendKernels, loadNativeKernels } from '../backend/index.ts';
import { AdamW, decaysByDefault } from './adamw.ts';

// The update composed from tf ops, and the native one-pass kernel (cpu and wasm) where the addon is
// built (always in CI). The same expectations hold for each.
const SETUPS: { backend: 'cpu' | 'wasm'; native: boolean }[] = [
  ...(loadNativeKernels().ok || process.env.CI
    ? ([
        { backend: 'cpu', native: true },
        { backend: 'wasm', native: true },
      ] as const)
    : []),
  { backend: 'cpu', native: false },
];

/** torch.optim.AdamW's update written out in float64, element by element. */
function referenceAdamW(p0: number[], grads: number[][], lrs: number[], o: { beta1: number; beta2: number; eps: number; wd: number }): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    const lr = lrs[k]!;
    for (let i = 0; i < p.length; i++) {
      p[i]! *= 1 - lr * o.wd;
      m[i] = o.beta1 * m[i]! + (1 - o.beta1) * g[i]!;
      v[i] = o.beta2 * v[i]! + (1 - o.beta2) * g[i]! * g[i]!;
      const mhat = m[i]! / (1 - o.beta1 ** t);
      const vhat = v[i]! / (1 - o.beta2 ** t);
      p[i]! -= (lr * mhat) / (Math.sqrt(vhat) + o.eps);
    }
  });
  return p;
}

describe.each(SETUPS)('AdamW on $backend, native kernel: $native', ({ backend, native }) => {
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    installBackendKernels(backend);
    if (!native) tf.unregisterKernel(ADAMW, backend);
    expect(tf.getKernel(ADAMW, backend) !== undefined).toBe(native);
  }, 60_000);

  const hyper = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
  const p0 = [0.5, -1.25, 2, 0.01, -0.3, 1.5];
  const grads = [
    [0.1, -0.2, 0.3, 0.0, 1.0, -0.5],
    [-0.05, 0.4, 0.1, 0.2, -1.0, 0.25],
    [0.3, 0.3, -0.3, -0.1, 0.5, 0.0],
    [1e-4, -2, 0.7, 0.05, 0.1, -0.9],
  ];
  const lrs = [1e-2, 5e-2, 3e-2, 1e-1];

  it('matches the torch formula for decayed and undecayed tensors', () => {
    const params = new Map<string, tf.Variable>([
      ['model.layers.0.mlp.up_proj.weight', tf.variable(tf.tensor2d(p0, [2, 3]))],
      ['model.layers.0.input_layernorm.weight', tf.variable(tf.tensor1d(p0))],
    ]);
    const opt = new AdamW(hyper);
    grads.forEach((g, k) => {
      const gs = new Map<string, tf.Tensor>([
        ['model.layers.0.mlp.up_proj.weight', tf.tensor2d(g, [2, 3])],
        ['model.layers.0.input_layernorm.weight', tf.tensor1d(g)],
      ]);
      opt.apply(params, gs, lrs[k]!);
      for (const x of gs.values()) x.dispose();
    });
    const o = { beta1: hyper.beta1, beta2: hyper.beta2, eps: hyper.eps };
    const decayed = referenceAdamW(p0, grads, lrs, { ...o, wd: 0.1 });
    const plain = referenceAdamW(p0, grads, lrs, { ...o, wd: 0 });
    expect(decayed).not.toEqual(plain);
    const got2d = Array.from(params.get('model.layers.0.mlp.up_proj.weight')!.dataSync());
    const got1d = Array.from(params.get('model.layers.0.input_layernorm.weight')!.dataSync());
    got2d.forEach((x, i) => expect(x).toBeCloseTo(decayed[i]!, 5));
    got1d.forEach((x, i) => expect(x).toBeCloseTo(plain[i]!, 5));
    expect(opt.steps).toBe(4);
    opt.dispose();
    for (const x of params.values()) x.dispose();
  });

  it('updates a parameter large enough to be split across threads like a small one', () => {
    const n = 300 * 300;
    const p0big = Array.from({ length: n }, (_, i) => Math.sin(i));
    const gbig = [0, 1].map((k) => Array.from({ length: n }, (_, i) => Math.cos(0.7 * i + k)));
    const params = new Map([['model.layers.0.mlp.down_proj.weight', tf.variable(tf.tensor2d(p0big, [300, 300]))]]);
    const opt = new AdamW(hyper);
    gbig.forEach((g, k) => {
      const gs = new Map([['model.layers.0.mlp.down_proj.weight', tf.tensor2d(g, [300, 300])]]);
      opt.apply(params, gs, lrs[k]!);
      gs.forEach((x) => x.dispose());
    });
    const want = referenceAdamW(p0big, gbig, lrs.slice(0, 2), { beta1: hyper.beta1, beta2: hyper.beta2, eps: hyper.eps, wd: 0.1 });
    const got = params.get('model.layers.0.mlp.down_proj.weight')!.dataSync();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-6);
    opt.dispose();
    params.forEach((x) => x.dispose());
  });

  it('continues identically after exporting and importing its state', () => {
    const mk = () => new Map([['w.weight', tf.variable(tf.tensor2d(p0, [3, 2]))]]);
    const run = (opt: AdamW, params: Map<string, tf.Variable>, ks: number[]) => {
      for (const k of ks) {
        const g = new Map([['w.weight', tf.tensor2d(grads[k]!, [3, 2])]]);
        opt.apply(params, g, lrs[k]!);
        g.get('w.weight')!.dispose();
      }
    };
    const a = mk();
    const optA = new AdamW(hyper);
    run(optA, a, [0, 1, 2, 3]);
    const b = mk();
    const optB = new AdamW(hyper);
    run(optB, b, [0, 1]);
    const saved = optB.exportState();
    optB.dispose();
    const optC = new AdamW(hyper);
    optC.importState(saved, b);
    run(optC, b, [2, 3]);
    expect(Array.from(b.get('w.weight')!.dataSync())).toEqual(Array.from(a.get('w.weight')!.dataSync()));
    for (const o of [optA, optC]) o.dispose();
    for (const x of [...a.values(), ...b.values()]) x.dispose();
  });

  it('frees its moments on dispose and rejects mismatched gradients', () => {
    const before = tf.memory().numTensors;
    const params = new Map([['w.weight', tf.tidy(() => tf.variable(tf.ones([2, 2])))]]);
    const opt = new AdamW();
    const g = new Map([['w.weight', tf.ones([2, 2])]]);
    opt.apply(params, g, 0.1);
    // parameter + its gradient + two moments
    expect(tf.memory().numTensors).toBe(before + 4);
    const badShape = new Map([['w.weight', tf.ones([4])]]);
    const badName = new Map([['other', tf.ones([2, 2])]]);
    expect(() => opt.apply(params, badShape, 0.1)).toThrow(/shape/);
    expect(() => opt.apply(params, badName, 0.1)).toThrow(/unknown parameter/);
    tf.dispose([...g.values(), ...badShape.values(), ...badName.values()]);
    opt.dispose();
    expect(tf.memory().numTensors).toBe(before + 1);
    params.get('w.weight')!.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('decays matrices but not norms, embeddings or vectors by default', () => {
    expect(decaysByDefault('model.layers.3.self_attn.q_proj.weight', [8, 8])).toBe(true);
    expect(decaysByDefault('lm_head.weight', [100, 8])).toBe(true);
    expect(decaysByDefault('model.embed_tokens.weight', [100, 8])).toBe(false);
    expect(decaysByDefault('model.layers.0.post_attention_layernorm.weight', [8])).toBe(false);
    expect(decaysByDefault('model.norm.weight', [8])).toBe(false);
    expect(decaysByDefault('x.bias', [8])).toBe(false);
  });
});
