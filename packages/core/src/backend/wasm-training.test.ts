/**
 * A training step of the real Llama model on wasm (bridged kernels, wasm UnsortedSegmentSum,
 * OpenBLAS matmul when built) checked against the cpu backend, then trained a few steps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../config/index.ts';
import { LlamaModel } from '../model/index.ts';
import { initBackendInfo, installBackendKernels, missingKernels } from './index.ts';

describe('training on wasm', () => {
  const config = makeConfig({
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  });
  const ids = Array.from({ length: 4 }, (_, r) => Array.from({ length: 16 }, (_, t) => (r * 5 + t * 3) % 64));

  /** loss and gradients of the model on `backend`, from the same seed */
  async function lossAndGrads(backend: string): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
    expect(await tf.setBackend(backend)).toBe(true);
    installBackendKernels(backend);
    const model = LlamaModel.init(config, 7);
    const x = tf.tensor2d(ids, [4, 16], 'int32');
    const names = [...model.weights.keys()];
    const { value, grads } = tf.variableGrads(() => tf.mean(model.tokenLosses(x)) as tf.Scalar, model.trainableVariables());
    const byName = new Map(names.map((n) => [n, grads[model.weights.get(n)!.name]!.dataSync() as Float32Array]));
    const loss = value.dataSync()[0]!;
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
    return { loss, grads: byName };
  }

  it("has every kernel a Llama step needs, and its gradients equal the cpu backend's", async () => {
    await initBackendInfo({ env: { RHO_BACKEND: 'wasm' }, log: () => {} });
    expect(missingKernels('wasm').filter((k) => k === 'UnsortedSegmentSum')).toEqual([]);
    const wasm = await lossAndGrads('wasm');
    const cpu = await lossAndGrads('cpu');
    expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
    expect(wasm.grads.size).toBe(cpu.grads.size);
    for (const [name, g] of cpu.grads) {
      const w = wasm.grads.get(name)!;
      let maxErr = 0,
        scale = 0;
      for (let i = 0; i < g.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(w[i]! - g[i]!));
        scale = Math.max(scale, Math.abs(g[i]!));
      }
      expect(scale, name).toBeGreaterThan(0); // the embedding gradient (UnsortedSegmentSum) included
      expect(maxErr, name).toBeLessThan(1e-4 * Math.max(1, scale) + 1e-6);
    }
  }, 120_000);

  it('SGD steps on wasm lower the loss and keep the tensor count fixed', async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    const model = LlamaModel.init(config, 3);
    const x = tf.tensor2d(ids, [4, 16], 'int32');
    const vars = model.trainableVariables();
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.mean(model.tokenLosses(x)) as tf.Scalar, vars);
        for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name]!, 0.5)));
        return value.dataSync()[0]!;
      });
    const first = step();
    const count = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 20; i++) last = step();
    expect(tf.memory().numTensors).toBe(count);
    expect(last).toBeLessThan(first - 1);
    x.dispose();
    model.dispose();
  }, 120_000);
});
