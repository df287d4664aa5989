/**
 * `pnpm slm score --ref http://…/v1` against `pnpm serve` over real HTTP on 127.0.0.1: the reference
 * losses the server gives (echo + logprobs, max_tokens 0) match scoring the same checkpoint locally.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { byteTokenizerJson, initBackend, LlamaModel, makeConfig, saveCheckpoint } from '@rho/core';
import { readScoresMeta, ScoreReader } from '@rho/slm';
import { BYTE_LLAMA_CONFIG } from './tiny-checkpoint.ts';
import { cli, DATA } from './cli.ts';
import { startServe } from './serve.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-server-'));
let server: Awaited<ReturnType<typeof startServe>> | undefined;

beforeAll(async () => {
  await initBackend({ precision: 'fp32' });
  const model = LlamaModel.init(makeConfig({ ...BYTE_LLAMA_CONFIG }), 4);
  await saveCheckpoint(join(tmp, 'ref'), model);
  model.dispose();
  // the corpus is byte ids: the server must tokenize as it does
  writeFileSync(join(tmp, 'ref', 'tokenizer.json'), JSON.stringify(byteTokenizerJson()));
  // FP32 on both sides, so the two agree to 1e-4 whatever the CPU's BF16 support
  server = await startServe(join(tmp, 'ref'), ['--precision', 'fp32']);
  const gsm = readFileSync(join(DATA, 'corpus/gsm8k-train.jsonl'), 'utf8').trim().split('\n').slice(0, 12);
  writeFileSync(join(tmp, 'c.jsonl'), `${gsm.join('\n')}\n`);
  const r = await cli('slm', [
    'prepare',
    '--input',
    join(tmp, 'c.jsonl'),
    '--field',
    'question,answer',
    '--tokenizer',
    'bytes',
    '--val-fraction',
    '0.2',
    '--out',
    join(tmp, 'corpus'),
  ]);
  expect(r.status, r.stderr).toBe(0);
}, 300_000);

afterAll(() => {
  server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('slm score through pnpm serve', { timeout: 300_000 }, () => {
  it('stores the same losses as scoring the checkpoint locally', async () => {
    const common = ['score', '--corpus', join(tmp, 'corpus'), '--seq-len', '48', '--batch-size', '4', '--dtype', 'float32', '--shard-windows', '8'];
    const viaServer = await cli('slm', [...common, '--ref', server!.url, '--model-name', 'ref', '--out', join(tmp, 'remote')]);
    expect(viaServer.status, viaServer.stderr).toBe(0);
    const local = await cli('slm', [...common, '--ref', join(tmp, 'ref'), '--precision', 'fp32', '--out', join(tmp, 'local')]);
    expect(local.status, local.stderr).toBe(0);
    const a = new ScoreReader(join(tmp, 'remote'), readScoresMeta(join(tmp, 'remote')));
    const b = new ScoreReader(join(tmp, 'local'), readScoresMeta(join(tmp, 'local')));
    const n = a.meta.nTokens;
    expect(b.meta.nTokens).toBe(n);
    const x = a.read(0, n);
    const y = b.read(0, n);
    let worst = 0;
    let scored = 0;
    for (let i = 1; i < n; i++) {
      worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
      if (y[i]! > 0) scored++;
    }
    console.log(`slm score --ref <pnpm serve> vs --ref <ckpt>: ${n} tokens, max |loss difference| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
    // real losses, not two runs of zeros
    expect(scored).toBeGreaterThan(n / 2);
    a.dispose();
    b.dispose();
  });

  it('a server that is not there is one clear line', async () => {
    const r = await cli('slm', ['score', '--corpus', join(tmp, 'corpus'), '--ref', 'http://127.0.0.1:9/v1', '--model-name', 'ref', '--out', join(tmp, 'bad')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/server http:\/\/127\.0\.0\.1:9\/v1 is unreachable/);
    expect(r.stderr).not.toMatch(/internal error| {4}at /);
  });
});
