import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { RhoError, runMain } from '@rho/core/base';
import { DEFAULT_MAX_BATCH, LocalCheckpointModel } from '../backends/local.ts';
import { parseBytes } from '../backends/kv-budget.ts';
import { ChatTemplate } from '../serve/chat-template.ts';
import { CompletionServer } from '../serve/server.ts';
import { engineOptions } from './engine-options.ts';
import { loadProgressBar } from './progress.ts';
// types only: see engine-options.ts
import type { EngineChoice, GpuChoice, Precision } from '@rho/core';

// `pnpm serve ./ckpt [--port N]`: an OpenAI-compatible server over a local checkpoint.
runMain(async () => {
  const program = new Command('serve')
    .description('serve a local checkpoint over HTTP as OpenAI (and vLLM) do: /v1/completions (echo, logprobs, n, stream, token-id prompts), /v1/chat/completions (with the checkpoint\'s chat template), /v1/models, /health')
    .argument('<checkpoint>', 'checkpoint directory (config.json, model.safetensors, tokenizer.json) or a .gguf file')
    .option('--port <n>', 'port (0: any free port)', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--batch-size <n>', 'sequences decoded together at most (native engine: a continuous batch, also bounded by --kv-mem)', String(DEFAULT_MAX_BATCH))
    .option('--kv-mem <size>', 'key/value memory for the running sequences, e.g. 6G (default: from free memory)')
    .option('--stream-interval <n>', 'tokens per streamed event at most, as vLLM\'s flag (the first token goes at once): larger values cost the server and its clients less per token', '1')
    .option('--name <id>', 'model id reported by /v1/models (default: the directory name)');
  for (const o of engineOptions()) program.addOption(o);
  program.parse(process.argv);
  const [dir] = program.args as [string];
  const o = program.opts<{ port: string; host: string; batchSize: string; kvMem?: string; streamInterval: string; name?: string; engine?: EngineChoice; precision?: Precision; gpu?: GpuChoice }>();
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RhoError('BAD_CONFIG', `--port must be 0..65535, got ${o.port}`, { field: 'port', got: o.port });
  const batchSize = Number(o.batchSize);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RhoError('BAD_CONFIG', `--batch-size must be a positive integer, got ${o.batchSize}`, { field: 'batch-size', got: o.batchSize });
  const streamInterval = Number(o.streamInterval);
  if (!Number.isInteger(streamInterval) || streamInterval < 1) throw new RhoError('BAD_CONFIG', `--stream-interval must be a positive integer, got ${o.streamInterval}`, { field: 'stream-interval', got: o.streamInterval });
  // the small files first: a bad chat template fails before gigabytes of weights load
  const chatTemplate = ChatTemplate.load(resolve(dir));
  const load = loadProgressBar();
  let model: LocalCheckpointModel;
  try {
    model = await LocalCheckpointModel.open(resolve(dir), {
      batchSize,
      kvMemBytes: o.kvMem !== undefined ? parseBytes(o.kvMem, '--kv-mem') : undefined,
      name: o.name ?? basename(resolve(dir)),
      engine: o.engine,
      precision: o.precision,
      gpu: o.gpu,
      onLoadProgress: load.onLoadProgress,
    });
  } finally {
    load.stop();
  }
  const server = new CompletionServer(model, { host: o.host, port, chatTemplate, streamInterval });
  const url = await server.listen();
  process.stderr.write(`${model.description}\n${chatTemplate ? 'chat: the checkpoint\'s chat template' : 'chat: none (no chat_template in tokenizer_config.json): /v1/chat/completions answers 400'}\n`);
  console.log(`serving ${resolve(dir)} at ${url}`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}, 'serve');
