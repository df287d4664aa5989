import { initBackend } from '/work/main/packages/core/src/backend/index.ts';
import { LlamaModel, makeConfig } from '/work/main/packages/core/src/index.ts';
import { createTrainerState, meanTokenLoss, trainStep } from '/work/main/packages/core/src/train/index.ts';
await initBackend();
const config = makeConfig({ vocab_size: 256, hidden_size: 64, intermediate_size: 192, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128 });
const model = LlamaModel.init(config, 7);
const state = createTrainerState({ schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 20, totalSteps: 300 }, maxGradNorm: 1, adamw: {} }, { seed: 1 });
const B = 4, T = 49;
const ids = Int32Array.from({ length: B * T }, (_, i) => (i * 7) % 256);
for (let i = 0; i < 12; i++) {
  const t0 = performance.now();
  const m = trainStep(model, { ids, batchSize: B, seqLen: T }, meanTokenLoss, state);
  console.log(i, m.loss.toFixed(3), (performance.now() - t0).toFixed(0), 'ms');
}
