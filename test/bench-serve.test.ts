/**
 * `pnpm bench serve --json` as a user runs it, cut down to what CI can afford: a tiny preset, a
 * few clients and two rounds per server setting, through the lean streaming client against a real
 * `pnpm serve` on 127.0.0.1. Every figure it reports must be there and consistent.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { NODE_TS, run } from './cli.ts';

describe('pnpm bench serve (a real command)', () => {
  it('reports served and local tokens/s side by side, time to first token and the clients CPU share', async () => {
    const args = [
      'serve',
      '--preset',
      'tiny',
      '--clients',
      '4',
      '--rounds',
      '2',
      '--new-tokens',
      '24',
      '--stream-interval',
      '3',
      '--stream-interval-ms',
      '0,20',
      '--json',
    ];
    const r = await run(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'scripts/bench.ts'), ...args]);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^CPU\s+.+, \d+ CPUs, /m); // the machine line: figures mean little without it
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(json.client).toBe('lean');
    expect(json.local_b4_tokens_per_s).toBeGreaterThan(0);
    expect(json.serve.map((s: { stream_interval: number; stream_interval_ms: number }) => [s.stream_interval, s.stream_interval_ms])).toEqual([
      [3, 0],
      [3, 20],
    ]);
    for (const s of json.serve) {
      expect(s.streams_4_tokens_per_s).toBeGreaterThan(0);
      expect(s.serve_vs_local_rounds).toHaveLength(2);
      expect(s.serve_vs_local).toBeGreaterThan(0);
      expect(s.ttft_samples).toBeGreaterThan(0);
      expect(s.ttft_ms_p99).toBeGreaterThanOrEqual(s.ttft_ms_p50);
      expect(s.client_cpu_share).toBeGreaterThan(0);
    }
  }, 300_000);
});
