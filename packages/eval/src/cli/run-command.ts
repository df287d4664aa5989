import { basename, resolve } from 'node:path';
import chalk from 'chalk';
import { Command, Option } from 'commander';
import {
  acquireOutputLock,
  bytes,
  checkpointFingerprint,
  loadProgressBar,
  nonNegativeInt,
  num,
  positiveInt,
  progressBar,
  removeStaleTemps,
  resolveDataDir,
  RhoError,
  type OutputLock,
} from '@rho/core/base';
import { DEFAULT_MAX_BATCH, LocalCheckpointModel } from '../backends/local.ts';
import { API_KINDS, type ApiKind } from '../backends/http.ts';
import { openModel } from '../backends/open.ts';
import { DEFAULT_DATASET_NAMES, getDataset } from '../datasets/index.ts';
import type { PromptType } from '../prompts/index.ts';
import { runEval, type RunResult } from '../run/run-eval.ts';
import type { ModelIdentity } from '../run/run-identity.ts';
import { formatBytes, peakRssBytes } from '../run/memory.ts';
import { engineOptions, refuseEngineForServers } from './engine-options.ts';
import { graderOptions, parseGraderOptions, type GraderFlags } from './grader-options.ts';
// types only: see engine-options.ts
import type { EngineChoice, GpuChoice, Precision } from '@rho/core';

/** The benchmarks of the Rho-1 tables: those whose spec says `default`. */
export const DEFAULT_DATASETS: readonly string[] = DEFAULT_DATASET_NAMES;

interface RunOptions extends GraderFlags {
  model?: string[];
  modelName?: string;
  data: string;
  limit: string;
  start: string;
  end: string;
  out?: string;
  maxTokens: string;
  seed: string;
  temperature: string;
  topP: string;
  nSampling: string;
  batchSize: string;
  kvMem?: string;
  prefixCache: boolean;
  concurrency: string;
  api?: ApiKind;
  timeout: string;
  overwrite?: boolean;
  repair?: boolean;
  dataDir?: string;
  engine?: EngineChoice;
  precision?: Precision;
  gpu?: GpuChoice;
}

function printSummary(promptType: string, model: string, results: Array<{ data: string; r: RunResult }>): void {
  const rows = results.map(
    ({ data, r }) =>
      [data, r.metrics.num_samples, r.metrics.acc, r.skipped ? 'resumed: already complete' : `${r.metrics['generated_tokens_per_s'] ?? '-'} tok/s`] as const,
  );
  const avg = rows.reduce((a, r) => a + r[2], 0) / Math.max(rows.length, 1);
  const w = Math.max(7, ...rows.map((r) => r[0].length));
  console.log(chalk.bold(`\n${promptType} · ${model}`));
  console.log(chalk.dim(`${'dataset'.padEnd(w)}  ${'n'.padStart(5)}  ${'acc'.padStart(5)}  generation`));
  for (const [d, n, acc, gen] of rows) console.log(`${d.padEnd(w)}  ${String(n).padStart(5)}  ${chalk.cyan(acc.toFixed(1).padStart(5))}  ${chalk.dim(gen)}`);
  console.log(chalk.bold(`${'avg'.padEnd(w)}  ${''.padStart(5)}  ${avg.toFixed(1).padStart(5)}`));
}

/** `pnpm eval cot|tora|pal <model>`: one command per prompt type, the same options. */
export function makeRunCommand(promptType: PromptType, description: string): Command {
  const cmd = new Command(promptType)
    .description(description)
    .argument('[checkpoint]', 'a local checkpoint directory (config.json, model.safetensors, tokenizer.json) or a .gguf file')
    .addOption(
      new Option('--model <url>', 'an OpenAI-compatible server (http://HOST:PORT/v1); repeat to spread requests over several').argParser(
        (v: string, prev: string[] = []) => [...prev, v],
      ),
    )
    .option('--model-name <name>', 'the model name the server expects', 'default')
    .option('--data <names>', 'comma-separated datasets', DEFAULT_DATASETS.join(','))
    .option('--limit <n>', 'keep the first N problems of each dataset (-1: all)', '-1')
    .option('--start <i>', 'first problem (after --limit)', '0')
    .option('--end <i>', 'one past the last problem (-1: to the end)', '-1')
    .option('--out <dir>', 'output directory (default: runs/<model>)')
    .option('--max-tokens <n>', 'new tokens per model call', '1024')
    .option('--seed <s>', 'sampling seed', '0')
    .option('--temperature <t>', 'sampling temperature (0: greedy)', '0')
    .option('--top-p <p>', 'nucleus sampling mass (ignored when greedy)', '1')
    .option('--n-sampling <n>', 'completions per problem', '1')
    .option(
      '--batch-size <n>',
      'sequences a local checkpoint decodes together at most (native engine: a continuous batch, also bounded by --kv-mem)',
      String(DEFAULT_MAX_BATCH),
    )
    .option('--kv-mem <size>', 'key/value memory for the running sequences, e.g. 6G (default: 3/4 of the memory the loaded model leaves, less 2 GiB)')
    .option('--no-prefix-cache', "recompute each prompt's shared few-shot prefix instead of computing it once per dataset")
    .option('--concurrency <n>', 'requests in flight per server', '8')
    .addOption(
      new Option(
        '--api <kind>',
        'servers: completions (the prompt as text, default) or chat (the prompt as one user message, for chat-only servers and instruct models)',
      ).choices(API_KINDS),
    )
    .option('--timeout <s>', 'seconds per program in the sandbox (tora/pal)', '5')
    .option('--overwrite', 'discard finished outputs and journals instead of resuming (also those of a run with other settings)')
    .option('--repair', 'drop bad journal lines (with a warning) and run their problems again, instead of stopping at the first')
    .option('--data-dir <dir>', 'data directory (default: $RHO_DATA_DIR, else data/upstream)');
  for (const o of [...engineOptions(), ...graderOptions()]) cmd.addOption(o);
  return cmd.action(async (checkpoint: string | undefined, opts: RunOptions) => {
    // Everything is validated before a model is loaded or a file written.
    const datasets = opts.data
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean);
    datasets.forEach((d) => getDataset(d));
    const specs = [...(checkpoint ? [checkpoint] : []), ...(opts.model ?? [])];
    if (specs.length === 0) throw new RhoError('BAD_CONFIG', 'no model: give a checkpoint directory or --model http://HOST:PORT/v1');
    const base = {
      promptType,
      limit: Number(opts.limit) === -1 ? -1 : positiveInt('--limit')(opts.limit),
      start: nonNegativeInt('--start')(opts.start),
      end: Number(opts.end) === -1 ? -1 : positiveInt('--end')(opts.end),
      maxTokens: positiveInt('--max-tokens')(opts.maxTokens),
      seed: nonNegativeInt('--seed')(opts.seed),
      temperature: num('--temperature', { min: 0, max: 10 })(opts.temperature),
      topP: num('--top-p', { min: 0, max: 1 })(opts.topP),
      nSampling: positiveInt('--n-sampling')(opts.nSampling),
      overwrite: opts.overwrite,
      repair: opts.repair,
    };
    const { grader, strict } = parseGraderOptions(opts);
    const batchSize = positiveInt('--batch-size')(opts.batchSize);
    const timeoutS = num('--timeout', { min: 0.1, max: 3600 })(opts.timeout);
    const dataDir = resolveDataDir(opts.dataDir, process.env, { mayBeMissing: datasets.every((d) => getDataset(d).builtin !== undefined) });
    const modelLabel = specs[0]!.startsWith('http') ? (opts.modelName ?? 'default') : basename(resolve(specs[0]!));
    const outDir = resolve(opts.out ?? `runs/${modelLabel}`);

    const isServer = specs[0]!.startsWith('http');
    refuseEngineForServers(opts, isServer);
    if (!isServer && opts.api !== undefined)
      throw new RhoError('BAD_CONFIG', '--api applies to a server (--model http://...), not to a local checkpoint', { field: 'api', got: opts.api });
    const load = loadProgressBar();
    let model: Awaited<ReturnType<typeof openModel>>;
    try {
      model = await openModel(specs, {
        modelName: opts.modelName,
        batchSize,
        concurrency: positiveInt('--concurrency')(opts.concurrency),
        api: opts.api,
        engine: opts.engine,
        precision: opts.precision,
        gpu: opts.gpu,
        kvMemBytes: opts.kvMem !== undefined ? bytes('--kv-mem')(opts.kvMem) : undefined,
        prefixCache: opts.prefixCache,
        onLoadProgress: load.onLoadProgress,
      });
    } finally {
      load.stop();
    }
    const engine = model instanceof LocalCheckpointModel ? model.description : `OpenAI-compatible server ${specs.join(', ')}`;
    const modelIdentity: ModelIdentity = isServer
      ? { kind: 'server', urls: specs, model_name: opts.modelName ?? 'default' }
      : { kind: 'checkpoint', fingerprint: checkpointFingerprint(specs[0]!) };
    const warn = (line: string) => process.stderr.write(`${line}\n`);
    // one writer per output directory; what a killed writer left half-written goes first
    let lock: OutputLock;
    try {
      lock = acquireOutputLock(outDir, { warn });
    } catch (e) {
      await model.dispose?.();
      throw e;
    }
    removeStaleTemps(outDir);
    if (model instanceof LocalCheckpointModel) process.stderr.write(`${engine}\n`);
    const executor = promptType === 'tora' || promptType === 'pal' ? new (await import('../interpreter/interpreter.ts')).Interpreter({ timeoutS }) : undefined;
    const results: Array<{ data: string; r: RunResult }> = [];
    try {
      for (const data of datasets) {
        let bar: ReturnType<typeof progressBar> | undefined;
        const r = await runEval(
          model,
          // a continuous batch refills from the problems in flight: twice its rows keeps it full
          {
            ...base,
            grader,
            strict,
            data,
            dataDir,
            outDir,
            chunkSize: isServer ? 64 : model.continuous ? 2 * batchSize : batchSize,
            engine,
            model: modelIdentity,
          },
          { executor, warn, onProgress: (done, total) => (bar ??= progressBar(`${promptType} ${data}`, total)).update(done) },
        );
        bar?.stop();
        results.push({ data, r });
        const strictAcc = r.metrics.strict_acc !== undefined ? `, strict ${r.metrics.strict_acc.toFixed(1)}` : '';
        console.log(`${data}: acc ${r.metrics.acc.toFixed(1)}${strictAcc} (${r.metrics.num_samples} samples) -> ${r.outPath}`);
      }
    } finally {
      await executor?.dispose();
      await model.dispose?.();
      lock.release();
    }
    printSummary(promptType, modelLabel, results);
    // the whole process: loading, generation, grading (with a local checkpoint, mostly its weights)
    console.log(`peak RSS ${formatBytes(peakRssBytes())}`);
  });
}
