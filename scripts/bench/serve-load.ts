/**
 * `pnpm bench serve-load [ckpt] [--duration 60] [--clients 64] [--json]`: `pnpm serve` on 127.0.0.1
 * under concurrent clients for a while, a quarter of them hostile (oversized, malformed or
 * trickled bodies, slow headers, clients that vanish mid-body or mid-stream), the rest well-formed
 * (completions and chat, streamed or not, each answer checked). Prints the requests of each kind
 * by the status they got, the well-formed requests that failed (there should be none), whether the
 * server crashed, its peak resident memory, and whether SIGTERM then ends it with 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { initCheckpoint, presetConfig, readCorpusTexts, resolveDataDir, trainBpe } from '@rho/core';
import { bytes, int, num, writeJsonAtomic } from '@rho/core/base';
import { formatBytes } from '@rho/eval';
import { HOSTILE_EXPECTED, HOSTILE_KINDS, hostile, WELL_FORMED_KINDS, wellFormed, type Outcome, type Target } from './_load-clients.ts';
import { procMemory, RssSampler } from './_proc-memory.ts';
import { printBenchResult } from './_table.ts';
import { spawnServe } from '../serve-process.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: 'boolean' },
    duration: { type: 'string', default: '60' },
    clients: { type: 'string', default: '64' },
    'hostile-share': { type: 'string', default: '0.25' },
    'max-body': { type: 'string', default: '4MiB' },
    'data-dir': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: pnpm bench serve-load [checkpoint] [--duration S] [--clients N] [--hostile-share F] [--max-body SIZE] [--json] [--data-dir DIR]

Starts pnpm serve on 127.0.0.1 (on the checkpoint, else a random 'tiny' preset with a BPE trained on
GSM8K and a chat template) and runs N clients for S seconds (default 64 for 60 s), a share F of them
hostile (default 0.25). The server runs with its default limits and --max-body SIZE (oversized bodies
are SIZE + 1 MiB). Exits 1 if a well-formed request failed or the server crashed.`);
  process.exit(0);
}
const DURATION_S = num('--duration', { gt: 0, max: 3600 }, 'seconds')(values.duration!);
const CLIENTS = int('--clients', { min: 1, max: 256 })(values.clients!);
const SHARE = num('--hostile-share', { min: 0, max: 1 })(values['hostile-share']!);
const MAX_BODY = bytes('--max-body')(values['max-body']!);
const HOSTILE = Math.round(CLIENTS * SHARE);

const CHAT_TEMPLATE =
  '{{ bos_token }}{% for m in messages %}{{ m.role | upper }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}ASSISTANT:{% endif %}';
const texts = readCorpusTexts([join(resolveDataDir(values['data-dir']), 'corpus/gsm8k-train.jsonl')], ['question']).slice(0, 2000);
const scratch = mkdtempSync(join(tmpdir(), 'bench-serve-load-'));
const ckpt = positionals[0] ? resolve(positionals[0]) : join(scratch, 'ckpt');
if (!positionals[0]) {
  const config = presetConfig('tiny');
  writeJsonAtomic(join(scratch, 'tok.json'), trainBpe(texts, { vocabSize: config.vocabSize }));
  await initCheckpoint({ config, out: ckpt, seed: 0, tokenizerPath: join(scratch, 'tok.json') });
  writeFileSync(join(ckpt, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<s>', eos_token: '</s>', chat_template: CHAT_TEMPLATE }));
}

const served = await spawnServe(ckpt, ['--host', '127.0.0.1', '--max-body', String(MAX_BODY)]);
const { url, child: server } = served;
let exitCode: number | null | undefined;
let signalled = false;
const exited = served.exited.then(({ code, signal }) => {
  exitCode = code ?? (signal ? -1 : null);
});
const pid = server.pid!;
const idleRss = procMemory(pid)?.rss ?? 0;
const sampler = new RssSampler(pid);

const deadline = Date.now() + DURATION_S * 1000;
const target: Target = { url, port: Number(new URL(url).port), maxBodyBytes: MAX_BODY, deadline };
const oversized = Buffer.alloc(MAX_BODY + 2 ** 20, 0x61);
const outcomes: Outcome[] = [];
const crashedDuringRun = () => exitCode !== undefined && !signalled;

/** One client: requests back to back until the deadline (or the server is gone). */
async function client(c: number): Promise<void> {
  for (let i = 0; Date.now() < deadline && !crashedDuringRun(); i++) {
    if (c < HOSTILE) outcomes.push(await hostile(target, HOSTILE_KINDS[(c + i) % HOSTILE_KINDS.length]!, oversized));
    else outcomes.push(await wellFormed(target, WELL_FORMED_KINDS[(c + i) % WELL_FORMED_KINDS.length]!, texts[(c * 7919 + i * 31) % texts.length]!, c + i));
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
const ranS = (performance.now() - t0) / 1000;
const crashed = crashedDuringRun();
const healthAfter = crashed
  ? 0
  : await fetch(url.replace(/\/v1$/, '/health')).then(
      (r) => r.status,
      () => 0,
    );
const rssAfter = procMemory(pid)?.rss ?? 0;
const memory = sampler.stop();

// SIGTERM: the server drains (nothing should be in flight now) and exits 0
signalled = true;
const tStop = performance.now();
server.kill('SIGTERM');
const killer = setTimeout(() => server.kill('SIGKILL'), 30_000);
await exited;
clearTimeout(killer);
const stopS = (performance.now() - tStop) / 1000;
rmSync(scratch, { recursive: true, force: true });

const byKind = new Map<string, { sent: number; statuses: Record<string, number>; failed: number; ms: number[] }>();
for (const o of outcomes) {
  const k = byKind.get(o.kind) ?? { sent: 0, statuses: {}, failed: 0, ms: [] };
  k.sent++;
  const key = o.openAtEnd ? 'open' : o.status === 0 ? 'none' : String(o.status);
  k.statuses[key] = (k.statuses[key] ?? 0) + 1;
  if (o.failure) k.failed++;
  k.ms.push(o.ms);
  byKind.set(o.kind, k);
}
const well = outcomes.filter((o) => (WELL_FORMED_KINDS as readonly string[]).includes(o.kind));
const failures = well.filter((o) => o.failure);
const countBy = (keys: string[]) => keys.reduce<Record<string, number>>((a, k) => ((a[k] = (a[k] ?? 0) + 1), a), {});
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : NaN;
};
const wellMs = well.filter((o) => !o.failure).map((o) => o.ms);
const json = {
  duration_s: +ranS.toFixed(1),
  clients: CLIENTS,
  hostile_clients: HOSTILE,
  max_body_bytes: MAX_BODY,
  kinds: Object.fromEntries(
    [...byKind].map(([k, v]) => [
      k,
      {
        sent: v.sent,
        statuses: v.statuses,
        ...((WELL_FORMED_KINDS as readonly string[]).includes(k)
          ? { failed: v.failed }
          : { expected_status: HOSTILE_EXPECTED[k as keyof typeof HOSTILE_EXPECTED] }),
      },
    ]),
  ),
  well_formed_sent: well.length,
  well_formed_failed: failures.length,
  well_formed_failures: failures.slice(0, 5).map((f) => `${f.kind}: ${f.failure}`),
  well_formed_ms_p50: +quantile(wellMs, 0.5).toFixed(1),
  well_formed_ms_p99: +quantile(wellMs, 0.99).toFixed(1),
  hostile_sent: outcomes.length - well.length,
  // a hostile request that threw before any answer, other than by its own design (a disconnect)
  hostile_errors: countBy(outcomes.filter((o) => o.error && !o.openAtEnd).map((o) => `${o.kind}: ${o.error}`)),
  crashed,
  health_after: healthAfter,
  sigterm_exit_code: exitCode ?? null,
  sigterm_exit_s: +stopS.toFixed(2),
  rss_idle_bytes: idleRss,
  peak_rss_bytes: memory.peakRss,
  vm_hwm_bytes: memory.hwm,
  rss_after_bytes: rssAfter,
};
const statusText = (s: Record<string, number>) =>
  Object.entries(s)
    .map(([k, v]) => `${k === 'none' ? 'no answer' : k === 'open' ? 'still open at the end' : k} ×${v}`)
    .join(', ');
printBenchResult(
  `serve-load: ${CLIENTS} clients (${HOSTILE} hostile) against pnpm serve on 127.0.0.1 for ${json.duration_s} s`,
  [
    ...[...byKind].map(([k, v]): [string, string] => [
      k,
      `${v.sent} sent: ${statusText(v.statuses)}${(WELL_FORMED_KINDS as readonly string[]).includes(k) ? (v.failed ? `, ${v.failed} FAILED` : '') : ` (expected ${HOSTILE_EXPECTED[k as keyof typeof HOSTILE_EXPECTED] || 'none'})`}`,
    ]),
    ['well-formed requests', `${well.length} sent, ${failures.length} failed; latency median ${json.well_formed_ms_p50} ms, p99 ${json.well_formed_ms_p99} ms`],
    ...failures.slice(0, 5).map((f, i): [string, string] => [`  failure ${i + 1}`, `${f.kind}: ${f.failure}`]),
    ['server crashed', crashed ? `YES (exit ${exitCode}): ${served.stderrTail().slice(-500)}` : `no (/health ${healthAfter} after the run)`],
    ['SIGTERM after the run', `exit ${exitCode} in ${json.sigterm_exit_s} s`],
    [
      'server RSS',
      `idle ${formatBytes(idleRss)}, peak ${formatBytes(memory.peakRss)} (VmRSS every 100 ms; VmHWM ${formatBytes(memory.hwm)}), after ${formatBytes(rssAfter)}`,
    ],
  ],
  json,
  Boolean(values.json),
);
if (crashed || failures.length > 0) process.exitCode = 1;
