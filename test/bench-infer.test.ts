/**
 * `pnpm bench infer <ckpt> --json` as a user runs it, on the tiny PyTorch fixture: every figure it
 * measures (load time, peak RSS, prompt and decode tokens/s), the engine line, and (native) where
 * the engine's time went.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeEngineUnavailable } from '@rho/core';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURE = resolve(ROOT, '../shared/fixtures/tiny-llama');

describe.skipIf(!existsSync(FIXTURE))('pnpm bench infer (a real command)', () => {
  it('prints load time, prompt and decode throughput, peak RSS and the time split as one JSON line', () => {
    const r = spawnSync('pnpm', ['-s', 'bench', 'infer', FIXTURE, '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    for (const k of ['load_s', 'prompt_tokens_per_s', 'decode_b1_tokens_per_s', 'decode_b16_tokens_per_s', 'peak_rss_bytes'])
      expect(json[k], k).toBeGreaterThan(0);
    expect(json.checkpoint_bytes).toBeGreaterThan(0);
    // not the TinyLlama architecture: no llama.cpp figures to stand beside
    expect(json.llama_cpp).toBeNull();
    if (nativeEngineUnavailable() === null) {
      expect(json.engine).toBe('native');
      expect(json.time_split.prompt).toMatch(/^\d+% \/ \d+% \/ \d+%$/);
    }
  }, 300_000);
});
