import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import {
  acquireOutputLock,
  int,
  loadProgressBar,
  positiveInt,
  progressBar,
  removeStaleTemps,
  type OutputLock,
  CONFIG_FILE,
  ENGINE_CHOICES,
  openCausalLm,
  PRECISION_CHOICES,
  readConfigFile,
  RhoError,
  TOKENIZER_FILE,
  type CausalLm,
  type EngineChoice,
  type Precision,
} from '@rho/core';
import { OpenAIClient } from '@rho/core/openai';
import { causalLmScorer } from '../../score/local-scorers.ts';
import { serverScorer } from '../../score/server-scorer.ts';
import type { WindowScorer } from '../../score/window-scorer.ts';
import { scoreSplit } from '../../score/run.ts';
import { Corpus } from '../../shards/corpus.ts';
import { sha256 } from '../../shards/tokenizer.ts';

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
  engine?: EngineChoice;
  precision?: Precision;
  repair?: boolean;
}

export default new Command('score')
  .description("store a reference model's loss for every token of a prepared corpus split (resumable shard by shard)")
  .requiredOption('--ref <ckpt|url>', 'reference model: a checkpoint directory, or an OpenAI-compatible server (http://HOST:PORT/v1) with echo/logprobs')
  .option('--model-name <name>', 'model name to send to the server')
  .option('--concurrency <n>', 'requests in flight to the server', positiveInt('--concurrency'), 4)
  .requiredOption('--corpus <dir>', 'prepared corpus (pnpm slm prepare)')
  .requiredOption('--out <dir>', 'scores directory; rerun the same command to resume')
  .option('--split <name>', 'corpus split to score', 'train')
  .option('--seq-len <n>', 'window length (training must use the same)', int('--seq-len', { min: 2 }), 128)
  .option('--batch-size <n>', 'windows per forward pass', positiveInt('--batch-size'), 16)
  .addOption(new Option('--dtype <dtype>', 'storage precision').choices(['float16', 'float32']).default('float16'))
  .option('--shard-windows <n>', 'windows per shard file', positiveInt('--shard-windows'), 256)
  .option('--repair', 'score again a shard whose bytes do not match its recorded sha256 (with a warning), instead of stopping')
  .addOption(
    new Option(
      '--engine <engine>',
      'what runs a local reference: native (memory-mapped weights in their stored precision), tfjs (small checkpoints only), llama.cpp (a .gguf file, or a directory converted to one; needs the optional node-llama-cpp) or auto (llama.cpp for a .gguf file, else native where built, else tfjs); default $RHO_ENGINE, else auto',
    ).choices(ENGINE_CHOICES as string[]),
  )
  .addOption(
    new Option(
      '--precision <p>',
      'matmul arithmetic of either engine: bf16 (BF16 inputs, FP32 accumulation), fp32, or auto (bf16 where the CPU has BF16 instructions)',
    ).choices(PRECISION_CHOICES as string[]),
  )
  .action(async (o: Opts) => {
    const remote = /^https?:\/\//.test(o.ref);
    if (remote && (o.engine || o.precision))
      throw new RhoError('BAD_CONFIG', '--engine and --precision apply to a local reference checkpoint, not to a server', {
        field: o.engine ? 'engine' : 'precision',
      });
    if (remote && !o.modelName) throw new RhoError('BAD_CONFIG', 'scoring through a server needs --model-name', { field: 'modelName' });
    const corpus = Corpus.open(o.corpus);
    let lm: CausalLm | null = null;
    const warn = (line: string) => process.stderr.write(`${line}\n`);
    let lock: OutputLock | undefined;
    try {
      // one writer per scores directory; what a killed writer left half-written goes first
      lock = acquireOutputLock(o.out, { warn });
      removeStaleTemps(o.out);
      let scorer: WindowScorer;
      if (remote) {
        process.stderr.write(`note: ${o.ref} must tokenize as this corpus does (ids are sent as they are)\n`);
        const client = new OpenAIClient({ urls: [o.ref], model: o.modelName!, concurrency: o.concurrency });
        await client.checkReachable();
        scorer = serverScorer(client);
      } else {
        // the reference must fit the corpus: checked on its small files before the weights load
        const tok = join(o.ref, TOKENIZER_FILE);
        if (corpus.meta.tokenizer.kind === 'file' && existsSync(tok) && sha256(readFileSync(tok)) !== corpus.meta.tokenizer.sha256) {
          throw new RhoError('BAD_INPUT', "the reference checkpoint's tokenizer.json differs from the corpus's", {
            file: tok,
            hint: 'prepare the corpus with the reference tokenizer (--tokenizer <ref ckpt>)',
          });
        }
        const cfgPath = join(o.ref, CONFIG_FILE);
        const vocab = existsSync(cfgPath) ? readConfigFile(cfgPath).vocabSize : undefined;
        if (vocab !== undefined && corpus.meta.vocabSize > vocab) {
          throw new RhoError('BAD_INPUT', `corpus ids go up to ${corpus.meta.vocabSize - 1}, beyond the reference's vocabulary of ${vocab}`, { file: o.ref });
        }
        const load = loadProgressBar('load');
        try {
          lm = (
            await openCausalLm(o.ref, {
              engine: o.engine,
              precision: o.precision,
              onLoadProgress: load.onLoadProgress,
            })
          ).lm;
        } finally {
          load.stop();
        }
        process.stderr.write(`${lm.description}\n`);
        scorer = causalLmScorer(lm);
      }
      let bar: ReturnType<typeof progressBar> | undefined;
      const t0 = performance.now();
      const meta = await scoreSplit(scorer, {
        corpus,
        split: o.split,
        out: o.out,
        seqLen: o.seqLen,
        batchSize: o.batchSize,
        dtype: o.dtype,
        shardWindows: o.shardWindows,
        reference: o.ref,
        repair: o.repair,
        warn,
        onShard: (d, t) => (bar ??= progressBar('score shards', t)).update(d),
      });
      bar?.stop();
      process.stdout.write(
        `scored ${meta.nTokens} tokens of ${o.split} in ${meta.shards} shards (${((performance.now() - t0) / 1000).toFixed(1)} s) -> ${o.out}\n`,
      );
    } finally {
      lm?.dispose();
      corpus.dispose();
      lock?.release();
    }
  });
