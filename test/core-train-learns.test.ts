/**
 * Training learns: a tiny Llama trained for a few hundred steps on a small real text drives
 * its loss far below the text's unigram entropy, and the tfjs tensor count does not move while it
 * trains. Real parts: the Llama model, the backend selection, AdamW, the schedule, the loop.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  batchAt,
  createTrainerState,
  DATA_START,
  evalLoss,
  initBackend,
  liveTensorCount,
  LlamaModel,
  makeConfig,
  meanTokenLoss,
  REPO_ROOT,
  trainLoop,
  windowBatches,
} from '@rho/core';

const dataDir = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

/** The first few GSM8K training problems as UTF-8 bytes: token id = byte value. */
function smallText(): Uint8Array {
  const lines = readFileSync(resolve(dataDir, 'corpus/gsm8k-train.jsonl'), 'utf8').split('\n').slice(0, 4);
  const text = lines
    .map((l) => {
      const j = JSON.parse(l);
      return `${j.question}\n${j.answer}`;
    })
    .join('\n\n');
  return new TextEncoder().encode(text);
}

/** Entropy in nats of the text's byte frequencies: the best loss without context. */
function unigramEntropy(tokens: Uint8Array): number {
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / tokens.length) * Math.log(c / tokens.length);
  return h;
}

describe('training a tiny Llama', () => {
  it('drives the loss well below the unigram entropy with a constant tensor count', async () => {
    await initBackend();
    const tokens = smallText();
    const h1 = unigramEntropy(tokens);
    const config = makeConfig({
      vocab_size: 256,
      hidden_size: 64,
      intermediate_size: 192,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 128,
    });
    const model = LlamaModel.init(config, 7);
    const steps = 200;
    const state = createTrainerState(
      { schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 20, totalSteps: steps }, maxGradNorm: 1, adamw: { weightDecay: 0.1 } },
      { seed: 11 },
    );
    const window = { seqLen: 49, batchSize: 4, seed: 3, shuffle: true };
    const counts: number[] = [];
    try {
      const initial = evalLoss(model, batchAt(tokens, DATA_START, window).batch, meanTokenLoss);
      const metrics = await trainLoop(model, state, {
        untilStep: steps,
        nextBatch: windowBatches(tokens, window),
        lossFn: meanTokenLoss,
        onStep: (m) => {
          if (m.step >= 2) counts.push(liveTensorCount());
        },
      });
      const last = metrics.slice(-10).reduce((s, m) => s + m.loss, 0) / 10;
      console.log(`unigram entropy ${h1.toFixed(3)} nats; initial loss ${initial.toFixed(3)}; last-10 mean ${last.toFixed(3)}`);
      // A random model starts near ln 256 = 5.5; no context-free model can go below h1.
      expect(initial).toBeGreaterThan(h1 + 1);
      expect(last).toBeLessThan(0.5 * h1);
      expect(new Set(counts).size).toBe(1);
      expect(counts.length).toBe(steps - 1);
    } finally {
      state.optimizer.dispose();
      model.dispose();
    }
  });
});
