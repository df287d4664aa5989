/**
 * `pnpm bench serve [--preset small] [--clients 16] [--stream-interval 1] [--json]`: `pnpm serve`'s server on 127.0.0.1
 * under N concurrent streaming clients (64-token prompts, 128 new tokens each, through core's
 * OpenAI client): aggregate generated tokens/s beside the local backend's figure at batch N in the
 * same run (what `pnpm bench eval` reports as local batch 16), and the time to first token at the
 * median and p99 over all streams.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@rho/core';
import { OpenAIClient } from '@rho/core/openai';
import { REPO_ROOT } from '@rho/core/base';
import { evalBenchModel, measureBatch } from './_eval-model.ts';
import { cpuIsa } from './_isa.ts';
import { printBenchResult } from './_table.ts';

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, preset: { type: 'string', default: 'small' }, clients: { type: 'string', default: '16' }, 'new-tokens': { type: 'string', default: '128' }, rounds: { type: 'string', default: '3' }, 'stream-interval': { type: 'string', default: '1' }, 'data-dir': { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('usage: pnpm bench serve [--preset tiny|small|base] [--clients N] [--new-tokens N] [--rounds N] [--stream-interval N] [--json] [--data-dir DIR]');
  process.exit(0);
}
const positive = (name: string, v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const CLIENTS = positive('clients', values.clients!);
const NEW = positive('new-tokens', values['new-tokens']!);
const ROUNDS = positive('rounds', values.rounds!);
const INTERVAL = positive('stream-interval', values['stream-interval']!);
const PROMPT_TOKENS = 64;
const backend = await initBackend();
const bench = await evalBenchModel(values.preset!, { dataDir: values['data-dir'], promptTokens: PROMPT_TOKENS });
const { local, prompts } = bench;
local.setBatchSize(CLIENTS);

// `pnpm serve` as users run it, its own process: the clients' work here does not stall its event loop
const server = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/eval/src/cli/serve.ts'), bench.ckpt, '--port', '0', '--batch-size', String(CLIENTS), '--stream-interval', String(INTERVAL)], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (c) => {
    out += c;
    const m = /at (http:\/\/\S+)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (code) => reject(new Error(`pnpm serve exited with ${code}`)));
});
const client = new OpenAIClient({ urls: [url], model: 'bench', concurrency: CLIENTS });

/** One round: every client streams one completion at once; tokens/s over the round, each stream's time to first token. */
async function streamRound(newTokens: number): Promise<{ tokensPerS: number; ttftMs: number[] }> {
  const t0 = performance.now();
  const runs = await Promise.all(
    prompts.slice(0, CLIENTS).map(async (prompt) => {
      const start = performance.now();
      let first = NaN;
      let tokens = 0;
      for await (const piece of client.stream({ prompt, maxTokens: newTokens, temperature: 0 })) {
        if (piece.text && Number.isNaN(first)) first = performance.now() - start;
        if (piece.completionTokens !== undefined) tokens = piece.completionTokens;
      }
      return { first, tokens };
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { tokensPerS: runs.reduce((a, r) => a + r.tokens, 0) / s, ttftMs: runs.map((r) => r.first).filter((x) => !Number.isNaN(x)) };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

await streamRound(4); // warm-up
// local batch and served streams alternate, so a disturbance of the machine hits both alike
let localBest = 0;
let servedBest = 0;
const ttft: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  localBest = Math.max(localBest, (await measureBatch(local, prompts, CLIENTS, NEW, 1)).tokens_per_s);
  const r = await streamRound(NEW);
  servedBest = Math.max(servedBest, r.tokensPerS);
  ttft.push(...r.ttftMs);
}
server.kill('SIGTERM');
await bench.dispose();

const ratio = servedBest / localBest;
const json = {
  backend,
  isa: cpuIsa(),
  engine: local.description,
  preset: values.preset,
  clients: CLIENTS,
  prompt_tokens: PROMPT_TOKENS,
  new_tokens: NEW,
  rounds: ROUNDS,
  stream_interval: INTERVAL,
  [`local_b${CLIENTS}_tokens_per_s`]: +localBest.toFixed(1),
  [`serve_${CLIENTS}_streams_tokens_per_s`]: +servedBest.toFixed(1),
  serve_vs_local: +ratio.toFixed(4),
  ttft_ms_p50: +quantile(ttft, 0.5).toFixed(1),
  ttft_ms_p99: +quantile(ttft, 0.99).toFixed(1),
  ttft_samples: ttft.length,
};
printBenchResult(
  `serve: ${CLIENTS} concurrent streaming clients against pnpm serve (${values.preset}, backend ${backend})`,
  [
    ['CPU', json.isa],
    ['engine', json.engine],
    [`local batch ${CLIENTS} (as pnpm bench eval)`, `${json[`local_b${CLIENTS}_tokens_per_s`]} tok/s`],
    [`pnpm serve, ${CLIENTS} streams, --stream-interval ${INTERVAL}`, `${json[`serve_${CLIENTS}_streams_tokens_per_s`]} tok/s (${(100 * ratio).toFixed(1)}% of local; target ≥ 90%)`],
    ['time to first token', `median ${json.ttft_ms_p50} ms, p99 ${json.ttft_ms_p99} ms (${ttft.length} streams)`],
  ],
  json,
  Boolean(values.json),
);
