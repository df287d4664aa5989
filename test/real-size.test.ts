/**
 * The commands at real size, on the TinyLlama-1.1B architecture: a random BF16
 * checkpoint in two shards written by the real `pnpm core init --preset tinyllama-1.1b`, then
 * `pnpm eval cot` on it (harness-layout outputs, peak RSS printed and within 1.5× the checkpoint),
 * `pnpm serve` answering /v1/completions on 127.0.0.1, and `pnpm slm score --ref` on a small corpus
 * prepared with its tokenizer. A 1.1B model needs the native engine (on tfjs it exhausts the wasm
 * heap), so where the engine cannot run these are skipped and their name says why.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { nativeEngineUnavailable } from '@rho/core';
import { decodeScores } from '@rho/slm';
import { cli, DATA, TSX } from './cli.ts';

const why = nativeEngineUnavailable();
const root = mkdtempSync(join(tmpdir(), 'real-size-'));
const ckpt = join(root, 'tinyllama');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const weightBytes = () =>
  readdirSync(ckpt)
    .filter((f) => f.endsWith('.safetensors'))
    .reduce((n, f) => n + statSync(join(ckpt, f)).size, 0);

describe.skipIf(why !== null)(`a TinyLlama-1.1B-sized BF16 checkpoint end to end${why ? ` (skipped: ${why})` : ''}`, () => {
  beforeAll(async () => {
    const r = await cli('core', ['init', '--preset', 'tinyllama-1.1b', '--dtype', 'bf16', '--shards', '2', '--out', ckpt]);
    expect(r.status, r.stderr).toBe(0);
  }, 1_200_000);

  it('was written as the Hub lays it out: two BF16 shards and an index, a Llama-2 tokenizer', () => {
    const index = JSON.parse(readFileSync(join(ckpt, 'model.safetensors.index.json'), 'utf8')) as { weight_map: Record<string, string> };
    expect(new Set(Object.values(index.weight_map)).size).toBe(2);
    const config = JSON.parse(readFileSync(join(ckpt, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      hidden_size: 2048,
      num_hidden_layers: 22,
      num_attention_heads: 32,
      num_key_value_heads: 4,
      intermediate_size: 5632,
      vocab_size: 32000,
      torch_dtype: 'bfloat16',
    });
    expect(existsSync(join(ckpt, 'tokenizer.json'))).toBe(true);
    // 1.1B parameters at 2 bytes each
    expect(weightBytes()).toBeGreaterThan(2.1e9);
  });

  it('pnpm eval cot --data gsm8k --limit 2 --max-tokens 16 writes harness-layout outputs and prints its peak RSS', async () => {
    const out = join(root, 'eval');
    const r = await cli('eval', ['cot', ckpt, '--data', 'gsm8k', '--limit', '2', '--max-tokens', '16', '--out', out, '--data-dir', DATA]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^native engine, /m);
    const m = /peak RSS (\d+\.\d+) GB/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const rows = readJsonl(join(out, 'gsm8k', 'test_cot_2_seed0_t0.0_s0_e-1.jsonl'));
    expect(rows.map((s) => s.idx)).toEqual([0, 1]);
    for (const s of rows) {
      expect(s.code).toHaveLength(1);
      expect(typeof (s.code as unknown[])[0]).toBe('string');
      expect(s.score).toHaveLength(1);
    }
    const metrics = JSON.parse(readFileSync(join(out, 'gsm8k', 'test_cot_2_seed0_t0.0_s0_e-1_cot_metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(metrics.num_samples).toBe(2);
    expect(metrics.engine).toMatch(/^native engine, /);
    const generated = metrics.generated_tokens as number;
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBeLessThanOrEqual(2 * 16);
    // a real-size run must fit beside its weights: peak resident memory within 1.5× the weights on disk
    const peak = metrics.peak_rss_bytes as number;
    expect(peak).toBeLessThanOrEqual(1.5 * weightBytes());
    // printed at the very end: the whole run's peak, at least what the metrics saw, and within the bound too
    const printed = Number(m![1]) * 1e9;
    expect(printed).toBeGreaterThanOrEqual(peak - 0.005e9);
    expect(printed).toBeLessThanOrEqual(1.5 * weightBytes());
  }, 1_800_000);

  describe('pnpm serve', () => {
    let server: ChildProcess | undefined;
    afterAll(() => {
      if (server?.pid) process.kill(-server.pid, 'SIGTERM');
    });

    it('answers /v1/completions on 127.0.0.1', async () => {
      server = spawn(TSX, [resolve(REPO_ROOT, 'packages/eval/src/cli/serve.ts'), ckpt, '--port', '0', '--name', 'tl'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      let err = '';
      server.stderr!.on('data', (c) => (err += c));
      const url = await new Promise<string>((res, rej) => {
        let out = '';
        server!.stdout!.on('data', (c) => {
          out += c;
          const m = /at (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
          if (m) res(m[1]!);
        });
        server!.on('exit', (code) => rej(new Error(`serve exited with ${code}: ${err}`)));
      });
      expect(err).toMatch(/^native engine, /m);
      const models = (await (await fetch(`${url}/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((x) => x.id)).toEqual(['tl']);
      const res = await fetch(`${url}/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'tl',
          prompt: 'Question: Tom has 3 apples and buys 2 more. How many apples does he have?\nAnswer:',
          max_tokens: 4,
          temperature: 0,
        }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { choices: { text: string; finish_reason: string }[]; usage: { prompt_tokens: number; completion_tokens: number } };
      expect(body.choices).toHaveLength(1);
      expect(typeof body.choices[0]!.text).toBe('string');
      expect(['stop', 'length']).toContain(body.choices[0]!.finish_reason);
      expect(body.usage.completion_tokens).toBeGreaterThan(0);
      expect(body.usage.completion_tokens).toBeLessThanOrEqual(4);
      expect(body.usage.prompt_tokens).toBeGreaterThan(10);
    }, 900_000);
  });

  it('pnpm slm score --ref scores a corpus prepared with its tokenizer', async () => {
    const gsm = readFileSync(join(DATA, 'corpus/gsm8k-train.jsonl'), 'utf8').trim().split('\n').slice(0, 8);
    writeFileSync(join(root, 'train.jsonl'), `${gsm.slice(0, 5).join('\n')}\n`);
    writeFileSync(join(root, 'val.jsonl'), `${gsm.slice(5).join('\n')}\n`);
    const corpus = join(root, 'corpus');
    let r = await cli('slm', [
      'prepare',
      '--input',
      join(root, 'train.jsonl'),
      '--field',
      'question,answer',
      '--val',
      join(root, 'val.jsonl'),
      '--tokenizer',
      ckpt,
      '--out',
      corpus,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const scores = join(root, 'scores');
    r = await cli('slm', [
      'score',
      '--ref',
      ckpt,
      '--corpus',
      corpus,
      '--out',
      scores,
      '--seq-len',
      '64',
      '--batch-size',
      '4',
      '--shard-windows',
      '4',
      '--dtype',
      'float32',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^native engine, /m);
    const meta = JSON.parse(readFileSync(join(scores, 'meta.json'), 'utf8')) as { complete: boolean; shards: number; nTokens: number };
    expect(meta.complete).toBe(true);
    const values = readdirSync(scores)
      .filter((f) => f.endsWith('.f32'))
      .sort()
      .flatMap((f) => Array.from(decodeScores(readFileSync(join(scores, f)), 'float32')));
    expect(readdirSync(scores).filter((f) => f.endsWith('.f32'))).toHaveLength(meta.shards);
    expect(values).toHaveLength(meta.nTokens - 1);
    const losses = values.filter((x) => !Number.isNaN(x));
    // every scored target has a loss; a random model cannot beat a uniform guess over 32000 ids by much
    expect(losses.length).toBeGreaterThan(0.9 * values.length);
    const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
    expect(losses.every((x) => Number.isFinite(x) && x > 0)).toBe(true);
    expect(mean).toBeGreaterThan(Math.log(32000) - 1);
    expect(mean).toBeLessThan(Math.log(32000) + 5);
  }, 1_800_000);
});
