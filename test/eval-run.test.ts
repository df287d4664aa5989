/**
 * `pnpm eval cot|tora` end to end with the real parts: a random checkpoint written to disk by
 * `pnpm core init`, the real datasets, the local backend, and `pnpm serve` over HTTP on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';

import { cli, DATA, NODE_TS, run, TSX } from './cli.ts';
import { startServe } from './serve.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';

const SEVEN = ['gsm8k', 'minerva_math', 'svamp', 'asdiv', 'mawps', 'tabmwp', 'sat_math'];
const root = mkdtempSync(join(tmpdir(), 'eval-run-'));
const ckpt = join(root, 'ckpt');

function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const outFile = (dir: string, data: string, prompt: string, n: number) => join(dir, data, `test_${prompt}_${n}_seed0_t0.0_s0_e-1.jsonl`);

let server: Awaited<ReturnType<typeof startServe>> | undefined;
let chatServer: Awaited<ReturnType<typeof startServe>> | undefined;
let serverUrl = '';
const chatCkpt = join(root, 'chat-ckpt');

beforeAll(async () => {
  // A small byte-level BPE and a 2-layer model; its context holds the few-shot prompts whole
  // (about 1,700 tokens at most), which the server, as vLLM, requires.
  await tinyCheckpoint(root, ckpt, { problems: 400, maxPositions: 2048 });
  // the same model with a chat template, for a server that is asked through chat
  cpSync(ckpt, chatCkpt, { recursive: true });
  writeFileSync(
    join(chatCkpt, 'tokenizer_config.json'),
    JSON.stringify({
      bos_token: '<s>',
      eos_token: '</s>',
      chat_template: '{{ bos_token }}{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}',
    }),
  );
  [server, chatServer] = await Promise.all([startServe(ckpt), startServe(chatCkpt)]);
  serverUrl = server.url;
}, 300_000);

afterAll(() => {
  server?.stop();
  chatServer?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('pnpm eval over a local checkpoint and over pnpm serve', () => {
  for (const prompt of ['cot', 'tora'] as const) {
    it(`${prompt}: both backends write the seven datasets, identical completions, and eval score agrees`, async () => {
      const local = join(root, `local-${prompt}`);
      const http = join(root, `http-${prompt}`);
      let r = await cli('eval', [prompt, ckpt, '--limit', '3', '--max-tokens', '12', '--out', local, '--data-dir', DATA]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/avg/);
      r = await cli('eval', [prompt, '--model', serverUrl, '--model-name', 'ckpt', '--limit', '3', '--max-tokens', '12', '--out', http, '--data-dir', DATA]);
      expect(r.status, r.stderr).toBe(0);
      for (const data of SEVEN) {
        const a = readJsonl(outFile(local, data, prompt, 3));
        const b = readJsonl(outFile(http, data, prompt, 3));
        expect(a.map((s) => s.idx)).toEqual([0, 1, 2]);
        expect(b.map((s) => s.code)).toEqual(a.map((s) => s.code));
        expect((a[0]!.code as string[])[0]!.length).toBeGreaterThan(0);
      }
      // Re-scoring the run's own files gives the metrics the run wrote.
      const rescored = join(root, `rescored-${prompt}`);
      r = await cli('eval', ['score', local, '--out', rescored, '--data-dir', DATA]);
      expect(r.status, r.stderr).toBe(0);
      for (const data of SEVEN) {
        const metricsName = `test_${prompt}_3_seed0_t0.0_s0_e-1_${prompt}_metrics.json`;
        const run = JSON.parse(readFileSync(join(local, data, metricsName), 'utf8'));
        const again = JSON.parse(readFileSync(join(rescored, data, metricsName), 'utf8'));
        for (const k of ['num_samples', 'num_scores', 'empty_samples', 'acc']) expect(again[k], `${data} ${k}`).toEqual(run[k]);
        expect(readJsonl(join(rescored, data, `test_${prompt}_3_seed0_t0.0_s0_e-1.jsonl`)).map((s) => s.pred)).toEqual(
          readJsonl(outFile(local, data, prompt, 3)).map((s) => s.pred),
        );
      }
    });
  }

  it('cot through a chat-only route: --api chat sends each prompt as one user message, rendered by the chat template', async () => {
    const local = join(root, 'chat-local');
    const chat = join(root, 'chat-http');
    let r = await cli('eval', ['cot', chatCkpt, '--limit', '3', '--max-tokens', '12', '--out', local, '--data-dir', DATA]);
    expect(r.status, r.stderr).toBe(0);
    r = await cli('eval', [
      'cot',
      '--model',
      chatServer!.url,
      '--api',
      'chat',
      '--model-name',
      'chat-ckpt',
      '--limit',
      '3',
      '--max-tokens',
      '12',
      '--out',
      chat,
      '--data-dir',
      DATA,
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/avg/);
    for (const data of SEVEN) {
      const a = readJsonl(outFile(local, data, 'cot', 3));
      const b = readJsonl(outFile(chat, data, 'cot', 3));
      expect(b.map((s) => s.idx)).toEqual(a.map((s) => s.idx));
      expect(b.every((s) => (s.code as string[]).length === 1)).toBe(true);
    }
    // the same run against a checkpoint without a template fails, so the prompts did go through chat
    r = await cli('eval', [
      'cot',
      '--model',
      serverUrl,
      '--api',
      'chat',
      '--data',
      'gsm8k',
      '--limit',
      '1',
      '--max-tokens',
      '4',
      '--out',
      join(root, 'chat-none'),
      '--data-dir',
      DATA,
    ]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no chat template/);
  });

  it('survives SIGKILL at random points: the rerun completes and equals an uninterrupted run', async () => {
    // tfjs throughout, not the native engine: a problem must take long enough for kills to land between problems
    const args = (out: string) => [
      resolve(REPO_ROOT, 'packages/eval/src/cli/main.ts'),
      'cot',
      ckpt,
      '--data',
      'svamp',
      '--limit',
      '16',
      '--max-tokens',
      '10',
      '--batch-size',
      '1',
      '--engine',
      'tfjs',
      '--out',
      out,
      '--data-dir',
      DATA,
    ];
    const env = { ...process.env, RHO_NATIVE_DECODE: '0' };
    const clean = join(root, 'kill-clean');
    expect((await run(TSX, args(clean), { env })).status).toBe(0);
    const killed = join(root, 'kill-run');
    const file = outFile(killed, 'svamp', 'cot', 16);
    let rng = 12345;
    const rand = () => (rng = (rng * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const dir = join(killed, 'svamp');
    const journalLines = () => {
      const j = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.partial')) : undefined;
      return j ? readFileSync(join(dir, j), 'utf8').split('\n').filter(Boolean) : [];
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let kills = 0;
    for (let attempt = 0; attempt < 20 && kills < 6 && !existsSync(file); attempt++) {
      const before = journalLines().length;
      const child = spawn(process.execPath, [...NODE_TS, ...args(killed)], { stdio: 'ignore', detached: true, env }); // one process: its exit means the writer is gone
      let exited = false;
      const done = new Promise<void>((r) => child.on('exit', () => ((exited = true), r())));
      if (attempt === 0) {
        await sleep(300 + rand() * 1500); // once during start-up
      } else {
        // Wait for this run to finish at least one more problem, then kill at a random moment after.
        while (!exited && journalLines().length <= before) await sleep(50);
        await sleep(rand() * 150);
      }
      if (!exited) {
        process.kill(-child.pid!, 'SIGKILL');
        kills++;
      }
      await done;
      const ids = journalLines().flatMap((l) => {
        try {
          return [JSON.parse(l).idx as number];
        } catch {
          return []; // a line torn by the kill; the next run cuts it off
        }
      });
      expect(new Set(ids).size).toBe(ids.length);
    }
    if (!existsSync(file)) expect((await run(TSX, args(killed), { env })).status).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(5);
    const a = readJsonl(file);
    expect(a.map((s) => s.idx)).toEqual([...Array(16).keys()]);
    expect(a).toEqual(readJsonl(outFile(clean, 'svamp', 'cot', 16)));
  });
});

describe('pnpm eval: bad input gives one clear line, a non-zero exit, and nothing written', () => {
  it('an unreachable server', async () => {
    const out = join(root, 'bad-1');
    const r = await cli('eval', ['cot', '--model', 'http://127.0.0.1:9/v1', '--limit', '1', '--out', out, '--data-dir', DATA]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unreachable/);
    expect(existsSync(out)).toBe(false);
  });
  it('a checkpoint without tokenizer.json', async () => {
    const bare = join(root, 'no-tok');
    await run('cp', ['-r', ckpt, bare]);
    rmSync(join(bare, 'tokenizer.json'));
    const out = join(root, 'bad-2');
    const r = await cli('eval', ['cot', bare, '--limit', '1', '--out', out, '--data-dir', DATA]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/no tokenizer\.json/);
    expect(existsSync(out)).toBe(false);
  });
  it('an unknown dataset', async () => {
    const out = join(root, 'bad-3');
    const r = await cli('eval', ['cot', ckpt, '--data', 'gsm8k,nope', '--out', out, '--data-dir', DATA]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown dataset "nope"; known:/);
    expect(existsSync(out)).toBe(false);
  });
  it('--api on a local checkpoint', async () => {
    const r = await cli('eval', ['cot', ckpt, '--api', 'chat', '--limit', '1', '--data-dir', DATA]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--api applies to a server/);
  });
  it('an unknown prompt type', async () => {
    const r = await cli('eval', ['cott', ckpt]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown command 'cott'/);
  });
});
