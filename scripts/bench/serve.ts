import { Agent } from 'node:http';
import { parseArgs } from 'node:util';
import { initBackend } from '@rho/core';
import { OpenAIClient } from '@rho/core/openai';
import { num, oneOf, positiveInt } from '@rho/core/base';
import { DEFAULT_STREAM_INTERVAL_MS } from '@rho/eval';
import { evalBenchModel, measureBatch } from './_eval-model.ts';
import { cpuIsa } from './_isa.ts';
import { printBenchResult } from './_table.ts';
import { leanStream } from './_stream-client.ts';
import { spawnServe } from '../serve-process.ts';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean' },
    preset: { type: 'string', default: 'small' },
    clients: { type: 'string', default: '16' },
    'new-tokens': { type: 'string', default: '512' }, // rounds of seconds, not one: a shared VM's speed drifts within a second
    rounds: { type: 'string', default: '15' }, // pairs a few seconds apart differ by up to ±15% on a shared VM: the median wants many
    'stream-interval': { type: 'string', default: '1' },
    'stream-interval-ms': { type: 'string', default: `${DEFAULT_STREAM_INTERVAL_MS},0` },
    client: { type: 'string', default: 'lean' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(
    'usage: pnpm bench serve [--preset tiny|small|base] [--clients N] [--new-tokens N] [--rounds N] [--stream-interval N] [--stream-interval-ms MS[,MS...]] [--client lean|openai] [--json] [--data-dir DIR]\n\n' +
      `  --stream-interval-ms  one server per value, each measured against the local batch (default: serve's ${DEFAULT_STREAM_INTERVAL_MS}, then 0: every token an event)\n` +
      '  --client  lean (default): node:http, events parsed until the first text and at the end, as a load generator does;\n' +
      '            openai: the official SDK, which parses every event (on a 2-core machine its work competes with the server)',
  );
  process.exit(0);
}
const CLIENTS = positiveInt('--clients')(values.clients!);
const NEW = positiveInt('--new-tokens')(values['new-tokens']!);
const ROUNDS = positiveInt('--rounds')(values.rounds!);
const CLIENT = oneOf('--client', ['lean', 'openai'] as const)(values.client!);
const INTERVAL = positiveInt('--stream-interval')(values['stream-interval']!);
const INTERVALS_MS = values['stream-interval-ms']!.split(',').map((v) => num('--stream-interval-ms', { min: 0 })(v.trim()));
const PROMPT_TOKENS = 64;
const backend = await initBackend();
const bench = await evalBenchModel(values.preset!, { dataDir: values['data-dir'], promptTokens: PROMPT_TOKENS });
const { local, prompts } = bench;
local.setBatchSize(CLIENTS);

// `pnpm serve` as users run it, its own process: the clients' work here does not stall its event loop
const serveArgs = (ms: number) => ['--stream-interval', String(INTERVAL), '--stream-interval-ms', String(ms)];
const startServer = (ms: number) => spawnServe(bench.ckpt, ['--batch-size', String(CLIENTS), ...serveArgs(ms)], { inheritStderr: true });

interface Round {
  tokensPerS: number;
  ttftMs: number[];
  /** The share of one core the clients (this process) took during the round. */
  clientCpuShare: number;
}

/** One round: every client streams one completion at once; tokens/s over the round, each stream's time to first token. */
async function streamRound(url: string, newTokens: number): Promise<Round> {
  const client = CLIENT === 'openai' ? new OpenAIClient({ urls: [url], model: 'bench', concurrency: CLIENTS }) : null;
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const runs = await Promise.all(
    prompts.slice(0, CLIENTS).map(async (prompt) => {
      if (!client) {
        const r = await leanStream(agent, url, { model: 'bench', prompt, max_tokens: newTokens, temperature: 0 });
        return { first: r.ttftMs, tokens: r.completionTokens };
      }
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
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  return {
    tokensPerS: runs.reduce((a, r) => a + r.tokens, 0) / s,
    ttftMs: runs.map((r) => r.first).filter((x) => !Number.isNaN(x)),
    clientCpuShare: (cpu.user + cpu.system) / 1e6 / s,
  };
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
};

// local batch and served streams alternate, and each served round is compared with the local
// round beside it: a drift of the machine's speed (a shared VM's is large) hits both alike
const median = (xs: number[]) => quantile(xs, 0.5);
const localRound = async () => (await measureBatch(local, prompts, CLIENTS, NEW, 1)).tokens_per_s;
const served: Array<{ intervalMs: number; runs: number[]; locals: number[]; ratios: number[]; ttft: number[]; clientCpu: number[] }> = [];
for (const intervalMs of INTERVALS_MS) {
  const server = await startServer(intervalMs);
  await streamRound(server.url, NEW); // warm-up: a whole round, so the JIT and the page cache are warm before the first timed one
  const row = { intervalMs, runs: [] as number[], locals: [] as number[], ratios: [] as number[], ttft: [] as number[], clientCpu: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // the pair's order alternates, so neither side always runs first after a switch of process
    let l: number;
    let r: Round;
    if (round % 2 === 0) {
      l = await localRound();
      r = await streamRound(server.url, NEW);
    } else {
      r = await streamRound(server.url, NEW);
      l = await localRound();
    }
    row.locals.push(l);
    row.runs.push(r.tokensPerS);
    row.ratios.push(r.tokensPerS / l);
    row.ttft.push(...r.ttftMs);
    row.clientCpu.push(r.clientCpuShare);
  }
  await server.stop();
  served.push(row);
}
await bench.dispose();
const localRuns = served.flatMap((r) => r.locals);

const json = {
  backend,
  isa: cpuIsa(),
  engine: local.description,
  preset: values.preset,
  clients: CLIENTS,
  client: CLIENT,
  prompt_tokens: PROMPT_TOKENS,
  new_tokens: NEW,
  rounds: ROUNDS,
  [`local_b${CLIENTS}_tokens_per_s`]: +median(localRuns).toFixed(1),
  serve: served.map((r) => ({
    stream_interval: INTERVAL,
    stream_interval_ms: r.intervalMs,
    [`streams_${CLIENTS}_tokens_per_s`]: +median(r.runs).toFixed(1),
    serve_vs_local: +median(r.ratios).toFixed(4),
    serve_vs_local_rounds: r.ratios.map((x) => +x.toFixed(4)),
    serve_rounds_tokens_per_s: r.runs.map((x) => +x.toFixed(1)),
    local_rounds_tokens_per_s: r.locals.map((x) => +x.toFixed(1)),
    ttft_ms_p50: +quantile(r.ttft, 0.5).toFixed(1),
    ttft_ms_p99: +quantile(r.ttft, 0.99).toFixed(1),
    ttft_samples: r.ttft.length,
    client_cpu_share: +median(r.clientCpu).toFixed(3),
  })),
};
printBenchResult(
  `serve: ${CLIENTS} concurrent streaming clients against pnpm serve (${values.preset}, backend ${backend})`,
  [
    ['CPU', json.isa],
    ['engine', json.engine],
    [`local batch ${CLIENTS} (as pnpm bench eval)`, `${json[`local_b${CLIENTS}_tokens_per_s`]} tok/s (median of ${localRuns.length} rounds)`],
    ...served.flatMap(
      (r): Array<[string, string]> => [
        [
          `pnpm serve ${serveArgs(r.intervalMs).join(' ')}${r.intervalMs === DEFAULT_STREAM_INTERVAL_MS && INTERVAL === 1 ? ' (defaults)' : ''}, ${CLIENTS} streams`,
          `${median(r.runs).toFixed(1)} tok/s; ${(100 * median(r.ratios)).toFixed(1)}% of the local round beside it (median of ${r.ratios.length}; target ≥ 90%)`,
        ],
        [`  time to first token`, `median ${quantile(r.ttft, 0.5).toFixed(1)} ms, p99 ${quantile(r.ttft, 0.99).toFixed(1)} ms (${r.ttft.length} streams)`],
        [`  clients' CPU (${CLIENT} client)`, `${(100 * median(r.clientCpu)).toFixed(1)}% of one core during a round (median)`],
      ],
    ),
  ],
  json,
  Boolean(values.json),
);
