/**
 * `pnpm bench serve-load` for a few seconds, as CI can afford: 64 clients, a quarter hostile,
 * against `pnpm serve` on 127.0.0.1. The server must not crash, must answer every well-formed
 * request correctly, and must exit 0 on SIGTERM afterwards.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { NODE_TS, run } from './cli.ts';

describe('pnpm bench serve-load (a real command)', () => {
  it('survives hostile clients: no crash, every well-formed request answered, bounded memory, SIGTERM exits 0', async () => {
    const r = await run(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'scripts/bench.ts'), 'serve-load', '--duration', '5', '--json']);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(json.crashed).toBe(false);
    expect(json.well_formed_sent).toBeGreaterThan(0);
    expect(json.well_formed_failed, json.well_formed_failures.join('\n')).toBe(0);
    expect(json.hostile_sent).toBeGreaterThan(0);
    expect(json.kinds['oversized body, Content-Length'].statuses).not.toHaveProperty('200');
    expect(json.sigterm_exit_code).toBe(0);
    expect(json.peak_rss_bytes).toBeLessThan(2 ** 30);
  }, 300_000);
});
