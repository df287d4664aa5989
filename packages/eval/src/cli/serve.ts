import { constants as osConstants } from 'node:os';
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { bytes, int, loadProgressBar, nonNegativeInt, num, positiveInt, runMain } from '@rho/core/base';
import { DEFAULT_MAX_BATCH, LocalCheckpointModel } from '../backends/local.ts';
import { ChatTemplate } from '../serve/chat-template.ts';
import { CONNECTION_LIMITS, DEFAULT_LIMITS, type ServeLimits } from '../serve/limits.ts';
import { CompletionServer, DEFAULT_STREAM_INTERVAL_MS } from '../serve/server.ts';
import { engineOptions } from './engine-options.ts';
// types only: see engine-options.ts
import type { EngineChoice, GpuChoice, Precision } from '@rho/core';

// `pnpm serve ./ckpt [--port N]`: an OpenAI-compatible server over a local checkpoint.
runMain(async () => {
  const program = new Command('serve')
    .description(
      "serve a local checkpoint over HTTP as OpenAI (and vLLM) do: /v1/completions (echo, logprobs, n, stream, token-id prompts), /v1/chat/completions (with the checkpoint's chat template), /v1/models, /health",
    )
    .argument('<checkpoint>', 'checkpoint directory (config.json, model.safetensors, tokenizer.json) or a .gguf file')
    .option('--port <n>', 'port (0: any free port)', '8000')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--batch-size <n>', 'sequences decoded together at most (native engine: a continuous batch, also bounded by --kv-mem)', String(DEFAULT_MAX_BATCH))
    .option('--kv-mem <size>', 'key/value memory for the running sequences, e.g. 6G (default: from free memory)')
    .option('--name <id>', 'model id reported by /v1/models (default: the directory name)')
    .option(
      '--stream-interval <n>',
      "tokens per streamed event at most, as vLLM's flag (the first token goes at once): larger values cost the server and its clients less per token",
      '1',
    )
    .option(
      '--stream-interval-ms <ms>',
      "milliseconds at least between a stream's events: tokens decoded sooner ride in the next one (the first token goes at once; 0: every --stream-interval tokens)",
      String(DEFAULT_STREAM_INTERVAL_MS),
    )
    .option('--max-body <size>', 'largest request body, e.g. 4MiB or 512K; a larger one is refused (413) before it is kept', '4MiB')
    .option(
      '--max-queue <n>',
      'sequences (prompts × n) that may wait beyond the batch; a request that would pass --batch-size + --max-queue is refused (429)',
      String(DEFAULT_LIMITS.maxQueue),
    )
    .option(
      '--request-timeout <s>',
      'seconds a request may take from its headers to its last byte of answer; then 408 (body still arriving) or 504, and its sequences are dropped',
      String(DEFAULT_LIMITS.requestTimeoutMs / 1000),
    )
    .addHelpText(
      'after',
      `
Limits that are not flags: ${CONNECTION_LIMITS.maxConnections} connections, ${CONNECTION_LIMITS.maxHeaderBytes / 1024} KiB of headers sent within ${CONNECTION_LIMITS.headersTimeoutMs / 1000} s, a body within ${CONNECTION_LIMITS.receiveTimeoutMs / 1000} s of them.
SIGTERM or SIGINT: the server takes no new requests, answers those in flight, then exits 0; a second signal exits at once.`,
    );
  for (const o of engineOptions()) program.addOption(o);
  program.parse(process.argv);
  const [dir] = program.args as [string];
  const o = program.opts<{
    port: string;
    host: string;
    batchSize: string;
    kvMem?: string;
    name?: string;
    streamInterval: string;
    streamIntervalMs: string;
    maxBody: string;
    maxQueue: string;
    requestTimeout: string;
    engine?: EngineChoice;
    precision?: Precision;
    gpu?: GpuChoice;
  }>();
  const port = int('--port', { min: 0, max: 65535 })(o.port);
  const batchSize = positiveInt('--batch-size')(o.batchSize);
  const streamInterval = positiveInt('--stream-interval')(o.streamInterval);
  const streamIntervalMs = num('--stream-interval-ms', { min: 0 })(o.streamIntervalMs);
  const limits = serveLimits(batchSize, o);
  // the small files first: a bad chat template fails before gigabytes of weights load
  const chatTemplate = ChatTemplate.load(resolve(dir));
  const load = loadProgressBar();
  let model: LocalCheckpointModel;
  try {
    model = await LocalCheckpointModel.open(resolve(dir), {
      batchSize,
      kvMemBytes: o.kvMem !== undefined ? bytes('--kv-mem')(o.kvMem) : undefined,
      name: o.name ?? basename(resolve(dir)),
      engine: o.engine,
      precision: o.precision,
      gpu: o.gpu,
      onLoadProgress: load.onLoadProgress,
    });
  } finally {
    load.stop();
  }
  const server = new CompletionServer(model, { host: o.host, port, chatTemplate, limits, streamInterval, streamIntervalMs });
  const url = await server.listen();
  process.stderr.write(
    `${model.description}\n${chatTemplate ? "chat: the checkpoint's chat template" : 'chat: none (no chat_template in tokenizer_config.json): /v1/chat/completions answers 400'}\n`,
  );
  console.log(`serving ${resolve(dir)} at ${url}`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(128 + (osConstants.signals[signal] ?? 0));
    stopping = true;
    process.stderr.write(
      `serve: ${signal}: answering the ${server.requestsInFlight} requests in flight, taking no new ones (${signal} again to stop at once)\n`,
    );
    void server.drain().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}, 'serve');

/** The server's limits from the flags, each checked. */
function serveLimits(batchSize: number, o: { maxBody: string; maxQueue: string; requestTimeout: string }): ServeLimits {
  const maxQueue = nonNegativeInt('--max-queue')(o.maxQueue);
  // node's timers hold at most 2^31 - 1 ms
  const timeout = num('--request-timeout', { gt: 0, max: 2147483 }, 'seconds')(o.requestTimeout);
  return { batchSize, maxQueue, maxBodyBytes: bytes('--max-body')(o.maxBody), requestTimeoutMs: Math.round(timeout * 1000) };
}
