/**
 * What `pnpm bench eval` and `pnpm bench serve` measure on: a random checkpoint of a preset with a
 * tokenizer of its vocabulary size trained on GSM8K, so prompts are real text of exactly
 * `promptTokens` tokens; and one way to time batches of completions.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initCheckpoint, presetConfig, readCorpusTexts, trainBpe, resolveDataDir } from '@rho/core';
import { writeJsonAtomic } from '@rho/core/base';
import { type CompletionModel, LocalCheckpointModel } from '@rho/eval';

export interface EvalBenchModel {
  local: LocalCheckpointModel;
  /** The checkpoint directory. */
  ckpt: string;
  prompts: string[];
  dispose: () => Promise<void>;
}

export async function evalBenchModel(preset: string, opts: { dataDir?: string; promptTokens: number }): Promise<EvalBenchModel> {
  const config = presetConfig(preset);
  const dir = mkdtempSync(join(tmpdir(), 'bench-eval-'));
  const texts = readCorpusTexts([join(resolveDataDir(opts.dataDir), 'corpus/gsm8k-train.jsonl')], ['question', 'answer']).slice(0, 3000);
  writeJsonAtomic(join(dir, 'tok.json'), trainBpe(texts, { vocabSize: config.vocabSize }));
  await initCheckpoint({ config, out: join(dir, 'ckpt'), seed: 0, tokenizerPath: join(dir, 'tok.json') });
  const local = await LocalCheckpointModel.open(join(dir, 'ckpt'), { batchSize: 32 });
  // corpus text cut at the token level and decoded back
  const prompts = texts.slice(0, 64).map((t) => local.decode(local.encode(`${t} ${t} ${t}`).slice(1, opts.promptTokens)));
  return {
    local,
    ckpt: join(dir, 'ckpt'),
    prompts,
    dispose: async () => {
      await local.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Throughput {
  completions_per_s: number;
  tokens_per_s: number;
}

/** Best of `repeats` timed runs of `batch` prompts after a warm-up, so one disturbance does not decide a figure. */
export async function measureBatch(model: CompletionModel, prompts: string[], batch: number, newTokens: number, repeats = 2): Promise<Throughput> {
  const ps = prompts.slice(0, batch);
  await model.complete(ps, { stop: [], maxTokens: 4, temperature: 0 }); // warm-up
  let best: Throughput = { completions_per_s: 0, tokens_per_s: 0 };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const res = await model.complete(ps, { stop: [], maxTokens: newTokens, temperature: 0 });
    const s = (performance.now() - t0) / 1000;
    const tokens = res.reduce((a, x) => a + (x.tokens ?? 0), 0);
    if (tokens / s > best.tokens_per_s) best = { completions_per_s: +(res.length / s).toFixed(3), tokens_per_s: +(tokens / s).toFixed(1) };
  }
  return best;
}
