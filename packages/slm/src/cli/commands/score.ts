import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { loadCheckpoint, RhoError, type LlamaModel } from '@rho/core';
import { localScorer, ServerScorer, type WindowScorer } from '../../score/remote.ts';
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
  modelName?: string;
  concurrency: number;
}

export default new Command('score')
  .description("store a reference model's loss for every token of a prepared corpus split (resumable shard by shard)")
  .requiredOption('--ref <ckpt|url>', 'reference model: a checkpoint directory, or an OpenAI-compatible server (http://HOST:PORT/v1) with echo/logprobs')
  .option('--model-name <name>', 'model name to send to the server')
  .option('--concurrency <n>', 'requests in flight to the server', int, 4)
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
    const corpus = Corpus.open(o.corpus);
    let model: LlamaModel | null = null;
    try {
      let scorer: WindowScorer;
      if (/^https?:\/\//.test(o.ref)) {
        if (!o.modelName) throw new RhoError('BAD_CONFIG', 'scoring through a server needs --model-name', { field: 'modelName' });
        process.stderr.write(`note: ${o.ref} must tokenize as this corpus does (ids are sent as they are)\n`);
        scorer = new ServerScorer({ url: o.ref, model: o.modelName, concurrency: o.concurrency });
      } else {
        await ensureBackend();
        const loaded = await loadCheckpoint(o.ref);
        model = loaded.model;
        if (corpus.meta.tokenizer.kind === 'file' && loaded.tokenizerPath && sha256(readFileSync(loaded.tokenizerPath)) !== corpus.meta.tokenizer.sha256) {
          throw new RhoError('BAD_INPUT', "the reference checkpoint's tokenizer.json differs from the corpus's", { file: loaded.tokenizerPath, hint: 'prepare the corpus with the reference tokenizer (--tokenizer <ref ckpt>)' });
        }
        if (corpus.meta.vocabSize > model.config.vocabSize) {
          throw new RhoError('BAD_INPUT', `corpus ids go up to ${corpus.meta.vocabSize - 1}, beyond the reference's vocabulary of ${model.config.vocabSize}`, { file: o.ref });
        }
        scorer = localScorer(model);
      }
      const bar = progressBar('score', 1);
      const t0 = performance.now();
      const meta = await scoreSplit(scorer, { corpus, split: o.split, out: o.out, seqLen: o.seqLen, batchSize: o.batchSize, dtype: o.dtype, shardWindows: o.shardWindows, reference: o.ref, onShard: (d, t) => bar.update(d / t) });
      bar.stop();
      process.stdout.write(`scored ${meta.nTokens} tokens of ${o.split} in ${meta.shards} shards (${((performance.now() - t0) / 1000).toFixed(1)} s) -> ${o.out}\n`);
    } finally {
      model?.dispose();
      corpus.dispose();
    }
  });
