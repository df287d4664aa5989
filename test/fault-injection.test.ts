/**
 * Kills at any instant lose nothing and mix nothing: `pnpm eval cot|tora` (temperature 0.8, batch
 * sizes 1 and 4), `pnpm slm score` and `pnpm slm train` are SIGKILLed at random moments, at least
 * ten times each, and run again until they finish. Every finished output must equal the one an
 * uninterrupted run writes (timing fields aside), and nothing may be left behind: no temporary
 * file, journal, lock or sandbox directory.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, REPO_ROOT } from '@rho/core/base';
import { cli, DATA, NODE_TS } from './cli.ts';
import { BYTE_LLAMA_CONFIG, tinyCheckpoint } from './tiny-checkpoint.ts';

const root = mkdtempSync(join(tmpdir(), 'fault-'));
// every child's TMPDIR: scratch directories of the Python sandbox land here, where they can be counted
const childTmp = join(root, 'tmp');
mkdirSync(childTmp);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const KILLS = 10;

// a fixed generator: the kill times differ from kill to kill but the test is the same every time
let state = 20_240_611;
const rand = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started {
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  pid: number;
  done: () => boolean;
}

function start(pkg: 'eval' | 'slm', args: string[]): Started {
  const child = spawn(process.execPath, [...NODE_TS, resolve(REPO_ROOT, `packages/${pkg}/src/cli/main.ts`), ...args], {
    cwd: REPO_ROOT,
    detached: true, // its own process group: the kill takes the sandbox's processes with it
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TMPDIR: childTmp, FORCE_COLOR: '0' },
  });
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  let finished = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((r) =>
    child.on('close', (code, signal) => {
      finished = true;
      r({ code, signal, stderr });
    }),
  );
  return { exited, pid: child.pid!, done: () => finished };
}

/** An uninterrupted run; returns its wall time in ms (the scale of the kill times). */
async function cleanRun(pkg: 'eval' | 'slm', args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await start(pkg, args).exited;
  expect(r.code, r.stderr).toBe(0);
  return performance.now() - t0;
}

/**
 * Runs the command again and again, each time SIGKILLing its process group at a random moment,
 * until it has been killed `KILLS` times; then lets it finish. Every other kill waits for the
 * run's lock file first (start-up done, writing under way), so kills fall on writes as well as on
 * start-up. A run that finishes before its kill is checked with `check` and its output removed,
 * so later kills land on work again. Returns how many kills landed.
 */
async function killRepeatedly(pkg: 'eval' | 'slm', args: string[], out: string, spanMs: number, check: () => void): Promise<number> {
  let kills = 0;
  for (let attempt = 0; kills < KILLS; attempt++) {
    expect(attempt, 'too many runs finished before their kill').toBeLessThan(4 * KILLS);
    const run = start(pkg, args);
    if (attempt % 2 === 1) {
      while (!run.done() && !existsSync(join(out, LOCK_FILE))) await sleep(10);
      await Promise.race([sleep(rand() * spanMs * 0.5), run.exited]);
    } else {
      await Promise.race([sleep(rand() * spanMs), run.exited]);
    }
    if (!run.done()) {
      process.kill(-run.pid, 'SIGKILL');
      kills++;
      await run.exited;
      continue;
    }
    const r = await run.exited;
    expect(r.code, r.stderr).toBe(0);
    check();
    rmSync(out, { recursive: true, force: true });
  }
  const last = await start(pkg, args).exited;
  expect(last.code, last.stderr).toBe(0);
  check();
  return kills;
}

/** Every file under `dir`, relative, sorted (dot files included: a stray temporary or lock shows here). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

function expectNoSandboxLeft(): void {
  expect(readdirSync(childTmp).filter((n) => n.startsWith('rho-sandbox-'))).toEqual([]);
}

// Facts about one process rather than about the results: time, throughput, memory, scheduling,
// and the engine's description (which names the batch size).
const TIMING = [
  'time_use_in_second',
  'time_use_in_minute',
  'generated_tokens',
  'generated_tokens_per_s',
  'peak_rss_bytes',
  'prompt_tokens_computed',
  'prompt_tokens_cached',
  'mean_batch',
  'engine',
];
const withoutTiming = (path: string) => {
  const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  for (const k of TIMING) delete m[k];
  return m;
};

describe('SIGKILL at random points, then resume: the same outputs, nothing left behind', { timeout: 1_800_000 }, () => {
  const ckpt = join(root, 'ckpt');
  beforeAll(async () => {
    await tinyCheckpoint(root, ckpt, { problems: 200, maxPositions: 256 });
  }, 600_000);

  for (const prompt of ['cot', 'tora'] as const) {
    it(`pnpm eval ${prompt}, temperature 0.8, batch sizes 1 and 4`, async () => {
      const args = (out: string, batch: number) => [
        prompt,
        ckpt,
        '--data',
        'gsm8k',
        '--limit',
        '6',
        '--max-tokens',
        '12',
        '--temperature',
        '0.8',
        '--batch-size',
        String(batch),
        '--out',
        out,
        '--data-dir',
        DATA,
      ];
      const name = `test_${prompt}_6_seed0_t0.8_s0_e-1`;
      const clean = join(root, `${prompt}-clean`);
      const span = await cleanRun('eval', args(clean, 1));
      const files = filesUnder(clean);
      expect(files).toEqual([`gsm8k/${name}.jsonl`, `gsm8k/${name}_${prompt}_metrics.json`]);
      for (const batch of [1, 4]) {
        const out = join(root, `${prompt}-b${batch}`);
        const check = () => {
          expect(filesUnder(out)).toEqual(files);
          // each sample's random stream is its own: the batch size changes nothing either
          expect(readFileSync(join(out, files[0]!), 'utf8')).toBe(readFileSync(join(clean, files[0]!), 'utf8'));
          expect(withoutTiming(join(out, files[1]!))).toEqual(withoutTiming(join(clean, files[1]!)));
          expectNoSandboxLeft();
        };
        expect(await killRepeatedly('eval', args(out, batch), out, span, check)).toBeGreaterThanOrEqual(KILLS);
      }
    });
  }

  // The tiny checkpoint writes no code fences, so the runs above never reach the sandbox. Here a
  // scripted OpenAI-compatible server on 127.0.0.1 answers every first round with a program that
  // takes a moment in python3: kills land while sandboxes run, and their directories must still go.
  it('pnpm eval tora through a scripted server: killed while programs run in the sandbox, nothing left', async () => {
    const PROGRAM = '```python\nimport time\ntime.sleep(0.3)\nprint(6 * 7)\n```';
    const server = createServer((req, res) => {
      let body = '';
      req
        .on('data', (c) => (body += c))
        .on('end', () => {
          if (req.method === 'GET') {
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end(JSON.stringify({ object: 'list', data: [{ id: 'scripted', object: 'model', max_model_len: 4096 }] }));
          }
          const q = JSON.parse(body) as { prompt: string | string[] };
          const prompts = Array.isArray(q.prompt) ? q.prompt : [q.prompt];
          const choices = prompts.map((p, index) => ({
            index,
            // a round after an output block gives the answer; any other round writes the program
            text: /```output\n[^`]*\n```\n?$/.test(p) ? 'So the answer is $\\boxed{42}$.' : PROGRAM,
            finish_reason: 'stop',
            logprobs: null,
          }));
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'x',
              object: 'text_completion',
              created: 0,
              model: 'scripted',
              choices,
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            }),
          );
        });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    // the isolation that keeps scratch directories in TMPDIR (bubblewrap's live in its own tmpfs)
    const isolation = process.env.RHO_SANDBOX;
    process.env.RHO_SANDBOX = 'rlimits';
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      const args = (out: string) => [
        'tora',
        '--model',
        url,
        '--data',
        'gsm8k',
        '--limit',
        '6',
        '--temperature',
        '0.8',
        '--batch-size',
        '4',
        '--out',
        out,
        '--data-dir',
        DATA,
      ];
      const name = 'test_tora_6_seed0_t0.8_s0_e-1';
      const clean = join(root, 'tora-remote-clean');
      const span = await cleanRun('eval', args(clean));
      const files = filesUnder(clean);
      expect(files).toEqual([`gsm8k/${name}.jsonl`, `gsm8k/${name}_tora_metrics.json`]);
      // the programs ran: every sample holds the sandbox's output
      const rows = readFileSync(join(clean, files[0]!), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { code: string[] });
      expect(rows).toHaveLength(6);
      for (const r of rows) expect(r.code[0]).toContain('```output\n42\n```');
      const out = join(root, 'tora-remote');
      const check = () => {
        expect(filesUnder(out)).toEqual(files);
        expect(readFileSync(join(out, files[0]!), 'utf8')).toBe(readFileSync(join(clean, files[0]!), 'utf8'));
        expect(withoutTiming(join(out, files[1]!))).toEqual(withoutTiming(join(clean, files[1]!)));
        expectNoSandboxLeft();
      };
      expect(await killRepeatedly('eval', args(out), out, span, check)).toBeGreaterThanOrEqual(KILLS);
    } finally {
      if (isolation === undefined) delete process.env.RHO_SANDBOX;
      else process.env.RHO_SANDBOX = isolation;
      server.close();
    }
  });

  describe('pnpm slm', () => {
    const corpus = join(root, 'corpus');
    const init = join(root, 'init');
    const scores = join(root, 'scores-clean');
    beforeAll(async () => {
      const rows = readFileSync(join(DATA, 'corpus/gsm8k-train.jsonl'), 'utf8').trim().split('\n').slice(0, 36);
      writeFileSync(join(root, 'train.jsonl'), `${rows.slice(0, 30).join('\n')}\n`);
      writeFileSync(join(root, 'val.jsonl'), `${rows.slice(30).join('\n')}\n`);
      writeFileSync(join(root, 'slm-config.json'), JSON.stringify(BYTE_LLAMA_CONFIG));
      let r = await cli('slm', [
        'prepare',
        '--input',
        join(root, 'train.jsonl'),
        '--field',
        'question,answer',
        '--val',
        join(root, 'val.jsonl'),
        '--tokenizer',
        'bytes',
        '--out',
        corpus,
      ]);
      expect(r.status, r.stderr).toBe(0);
      r = await cli('core', ['init', '--config', join(root, 'slm-config.json'), '--out', init, '--seed', '1']);
      expect(r.status, r.stderr).toBe(0);
    }, 600_000);

    const scoreArgs = (out: string) => [
      'score',
      '--ref',
      init,
      '--corpus',
      corpus,
      '--out',
      out,
      '--seq-len',
      '32',
      '--batch-size',
      '2',
      '--shard-windows',
      '2',
    ];

    it('pnpm slm score', async () => {
      const span = await cleanRun('slm', scoreArgs(scores));
      const files = filesUnder(scores);
      expect(files.filter((f) => f.endsWith('.f16')).length).toBeGreaterThan(4);
      const out = join(root, 'scores-killed');
      const check = () => {
        expect(filesUnder(out)).toEqual(files);
        for (const f of files) expect(readFileSync(join(out, f)).equals(readFileSync(join(scores, f))), f).toBe(true);
      };
      expect(await killRepeatedly('slm', scoreArgs(out), out, span, check)).toBeGreaterThanOrEqual(KILLS);
    });

    it('pnpm slm train (slm mode, reading the scores)', async () => {
      const args = (out: string) => [
        'train',
        '--mode',
        'slm',
        '--ratio',
        '0.6',
        '--init',
        init,
        '--corpus',
        corpus,
        '--ref-scores',
        scores,
        '--out',
        out,
        '--steps',
        '10',
        '--checkpoint-every',
        '2',
        '--seq-len',
        '32',
        '--batch-size',
        '4',
        '--lr',
        '0.003',
        '--warmup-steps',
        '2',
        '--eval-every',
        '3',
        '--eval-windows',
        '4',
      ];
      const clean = join(root, 'train-clean');
      const span = await cleanRun('slm', args(clean));
      const files = filesUnder(clean);
      expect(files).toContain('checkpoints/step-00000010/checksums.sha256');
      const rows = (dir: string) =>
        readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => {
            // the checksum covers the timing too
            const { tokens_per_s: _t, sum: _s, ...r } = JSON.parse(l) as Record<string, unknown>;
            return r;
          });
      const out = join(root, 'train-killed');
      const check = () => {
        expect(filesUnder(out)).toEqual(files);
        for (const f of files.filter((f) => f !== 'metrics.jsonl' && f !== 'run.json'))
          expect(readFileSync(join(out, f)).equals(readFileSync(join(clean, f))), f).toBe(true);
        expect(rows(out)).toEqual(rows(clean));
        const runJson = (dir: string) => ({ ...JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')), out: undefined });
        expect(runJson(out)).toEqual(runJson(clean));
      };
      expect(await killRepeatedly('slm', args(out), out, span, check)).toBeGreaterThanOrEqual(KILLS);
    });
  });
});
