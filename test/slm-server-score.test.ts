/**
 * `pnpm slm score --ref http://…/v1`: reference losses from an OpenAI-compatible server over real
 * HTTP on 127.0.0.1 (a minimal vLLM-style endpoint answering echo + logprobs from a checkpoint)
 * match scoring the same checkpoint locally.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, LlamaModel, makeConfig, saveCheckpoint } from '../packages/core/src/index.ts';
import { readScoresMeta, ScoreReader } from '../packages/slm/src/score/store.ts';
import { batchLosses } from '../packages/slm/src/score/local-scorers.ts';
import { cli, DATA } from './cli.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-server-'));
let server: Server;
let model: LlamaModel;
let url = '';
let requests = 0;

beforeAll(async () => {
  // the stand-in server computes in FP32, as the local side is asked to below
  await initBackend({ precision: 'fp32' });
  model = LlamaModel.init(makeConfig({ vocab_size: 258, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 2, max_position_embeddings: 64, bos_token_id: 256, eos_token_id: 257, tie_word_embeddings: false }), 4);
  await saveCheckpoint(join(tmp, 'ref'), model);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const q = JSON.parse(body) as { prompt: number[]; echo?: boolean; logprobs?: number };
      if (req.url !== '/v1/completions' || !q.echo || q.logprobs === undefined || !Array.isArray(q.prompt)) {
        res.writeHead(400).end('need /v1/completions with echo, logprobs and a token-id prompt');
        return;
      }
      requests++;
      const n = q.prompt.length;
      const lp = Array.from(batchLosses(model, Int32Array.from(q.prompt), new Int32Array(n).fill(1), 1, n), (x) => -x);
      // echo: the prompt's log-probs (first null), then the one generated token's.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ index: 0, text: 'x', finish_reason: 'length', logprobs: { token_logprobs: [null, ...lp, -1.5] } }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  const gsm = readFileSync(join(DATA, 'corpus/gsm8k-train.jsonl'), 'utf8').trim().split('\n').slice(0, 12);
  writeFileSync(join(tmp, 'c.jsonl'), gsm.join('\n') + '\n');
  const r = await cli('slm', ['prepare', '--input', join(tmp, 'c.jsonl'), '--field', 'question,answer', '--tokenizer', 'bytes', '--val-fraction', '0.2', '--out', join(tmp, 'corpus')]);
  expect(r.status, r.stderr).toBe(0);
});

afterAll(() => {
  server?.close();
  model?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

describe('slm score through an OpenAI-compatible server', { timeout: 300_000 }, () => {
  it('stores the same losses as scoring the checkpoint locally', async () => {
    const common = ['score', '--corpus', join(tmp, 'corpus'), '--seq-len', '48', '--batch-size', '4', '--dtype', 'float32', '--shard-windows', '8'];
    const viaServer = await cli('slm', [...common, '--ref', url, '--model-name', 'ref', '--out', join(tmp, 'remote')]);
    expect(viaServer.status, viaServer.stderr).toBe(0);
    expect(requests).toBeGreaterThan(10);
    // the stand-in server computes in FP32; so must the local side for the losses to agree to 1e-4
    const local = await cli('slm', [...common, '--ref', join(tmp, 'ref'), '--precision', 'fp32', '--out', join(tmp, 'local')]);
    expect(local.status, local.stderr).toBe(0);
    const a = new ScoreReader(join(tmp, 'remote'), readScoresMeta(join(tmp, 'remote')));
    const b = new ScoreReader(join(tmp, 'local'), readScoresMeta(join(tmp, 'local')));
    const n = a.meta.nTokens;
    const x = a.read(0, n);
    const y = b.read(0, n);
    for (let i = 1; i < n; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-4);
    a.dispose();
    b.dispose();
  });

  it('a server without echo/logprobs is a clear error', async () => {
    const r = await cli('slm', ['score', '--corpus', join(tmp, 'corpus'), '--ref', url.replace('/v1', '/nope'), '--model-name', 'ref', '--out', join(tmp, 'bad')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/scoring request failed: HTTP 400/);
    expect(r.stderr).not.toMatch(/internal error/);
  });
});
