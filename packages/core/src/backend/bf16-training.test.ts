/**
 * Mixed precision as autocast does it (BF16 products, FP32 weights, moments, norms and loss) must
 * train like FP32: the same model, data and seed trained both ways on the tiny preset's shape.
 * The full-size check (small preset, 300 steps) is in native/README.md's BF16 figures; this is its CI size.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../config/index.ts';
import { LlamaModel } from '../model/index.ts';
import { createTrainerState, meanTokenLoss, trainStep, type TokenBatch } from '../train/step.ts';
import { initBackendInfo } from './index.ts';
import { loadNativeKernels } from './native.ts';
import { activePrecision, resetPrecision, setPrecision } from './precision.ts';

const native = loadNativeKernels();
const bf16 = native.ok && native.kernels.dnnlInfo().bf16;
if (!bf16) console.warn(`bf16-training.test: skipped, no BF16 products here (${native.ok ? native.kernels.dnnlInfo().isa : native.reason})`);

const STEPS = 24;

describe.skipIf(!bf16)('BF16 training tracks FP32 training', () => {
  afterAll(() => resetPrecision());

  function train(precision: 'bf16' | 'fp32'): number[] {
    setPrecision(precision);
    expect(activePrecision()).toBe(precision);
    // tiny's architecture; 8×64 tokens keeps every projection large enough to run in BF16
    const config = presetConfig('tiny');
    const model = LlamaModel.init(config, 11);
    // a moderate learning rate: at 3e-3 this model's loss spikes early in both precisions, and from
    // there the two runs part ways for reasons that have nothing to do with BF16
    const state = createTrainerState(
      { schedule: { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 4, totalSteps: STEPS }, maxGradNorm: 1, adamw: { weightDecay: 0.1 } },
      { seed: 0 },
    );
    // a learnable stream: each row counts up by its own stride, so the loss keeps falling
    const ids = Int32Array.from({ length: 8 * 64 }, (_, i) => 3 + ((Math.floor(i / 64) * 37 + (i % 64) * (1 + (Math.floor(i / 64) % 5))) % 400));
    const batch: TokenBatch = { ids, batchSize: 8, seqLen: 64 };
    try {
      return Array.from({ length: STEPS }, () => trainStep(model, batch, meanTokenLoss, state).loss);
    } finally {
      state.optimizer.dispose();
      model.dispose();
    }
  }

  it(`${STEPS} steps of the tiny model: the same losses within BF16 noise`, async () => {
    await initBackendInfo({ env: { ...process.env, RHO_BACKEND: 'wasm' }, log: () => {} });
    expect(tf.getBackend()).toBe('wasm');
    const fp32 = train('fp32');
    const mixed = train('bf16');
    const gaps = fp32.map((l, i) => Math.abs(l - mixed[i]!));
    const meanGap = gaps.reduce((s, g) => s + g, 0) / STEPS;
    const final = Math.abs(mixed.at(-1)! - fp32.at(-1)!) / fp32.at(-1)!;
    console.log(
      `bf16-training.test: fp32 ${fp32[0]!.toFixed(3)} → ${fp32.at(-1)!.toFixed(3)}, bf16 ${mixed[0]!.toFixed(3)} → ${mixed.at(-1)!.toFixed(3)}; mean |Δloss| ${meanGap.toFixed(4)}, final ${(100 * final).toFixed(2)}%`,
    );
    expect(fp32.at(-1)!).toBeLessThan(fp32[0]! - 1); // it learned, so the comparison means something
    // the bounds the full-size check meets with room to spare (mean |Δloss| ≤ 0.02, final within 1%)
    expect(meanGap).toBeLessThan(0.02);
    expect(final).toBeLessThan(0.01);
    // and BF16 did run: identical losses would mean the products stayed FP32
    expect(Math.max(...gaps)).toBeGreaterThan(0);
  }, 300_000);
});
