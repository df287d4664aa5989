import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadCheckpoint, RhoError } from '@rho/core';
import { scoreSplit } from '../../score/run.ts';
import { Corpus } from '../../shards/corpus.ts';
import { sha256 } from '../../shards/tokenizer.ts';
import { ensureBackend } from '../backend.ts';
import { int, progressBar } from '../progress.ts';

interface Opts {
  ref: string;
  corpus: string;
  out: string;
  split: string;
  seqLen: number;
  batchSize: number;
  dtype: 'float16' | 'float32';
  shardWindows: number;
}

export default new Command('score')
  .description("store a reference model's loss for every token of a prepared corpus split (resumable shard by shard)")
  .requiredOption('--ref <ckpt>', 'reference model checkpoint directory')
  .requiredOption('--corpus <dir>', 'prepared corpus (pnpm slm prepare)')
  .requiredOption('--out <dir>', 'scores directory; rerun the same command to resume')
  .option('--split <name>', 'corpus split to score', 'train')
  .option('--seq-len <n>', 'window length (training must use the same)', int, 128)
  .option('--batch-size <n>', 'windows per forward pass', int, 16)
  .addOption(new Option('--dtype <dtype>', 'storage precision').choices(['float16', 'float32']).default('float16'))
  .option('--shard-windows <n>', 'windows per shard file', int, 256)
  .action(async (o: Opts) => {
    for (const k of ['seqLen', 'batchSize', 'shardWindows'] as const) {
      if (!(Number.isInteger(o[k]) && o[k] >= (k === 'seqLen' ? 2 : 1))) throw new RhoError('BAD_CONFIG', `--${k} must be a positive integer`, { field: k, got: o[k] });
    }
    await ensureBackend();
    const corpus = Corpus.open(o.corpus);
    const { model, tokenizerPath } = await loadCheckpoint(o.ref);
    try {
      if (corpus.meta.tokenizer.kind === 'file' && tokenizerPath && sha256(readFileSync(tokenizerPath)) !== corpus.meta.tokenizer.sha256) {
        throw new RhoError('BAD_INPUT', "the reference checkpoint's tokenizer.json differs from the corpus's", { file: tokenizerPath, hint: 'prepare the corpus with the reference tokenizer (--tokenizer <ref ckpt>)' });
      }
      if (corpus.meta.vocabSize > model.config.vocabSize) {
        throw new RhoError('BAD_INPUT', `corpus ids go up to ${corpus.meta.vocabSize - 1}, beyond the reference's vocabulary of ${model.config.vocabSize}`, { file: o.ref });
      }
      const bar = progressBar('score', 1);
      const t0 = performance.now();
      const meta = scoreSplit(model, { corpus, split: o.split, out: o.out, seqLen: o.seqLen, batchSize: o.batchSize, dtype: o.dtype, shardWindows: o.shardWindows, reference: o.ref, onShard: (d, t) => bar.update(d / t) });
      bar.stop();
      process.stdout.write(`scored ${meta.nTokens} tokens of ${o.split} in ${meta.shards} shards (${((performance.now() - t0) / 1000).toFixed(1)} s) -> ${o.out}\n`);
    } finally {
      model.dispose();
      corpus.dispose();
    }
  });
