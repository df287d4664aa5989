/**
 * Whole-benchmark scheduling end to end: the shared prefix cache and continuous batching change nothing but the time.
 * Real parts: a small model trained here on GSM8K-format text (so it writes answers and stops on
 * the harness's stop words), saved as a checkpoint with its tokenizer.json, `pnpm eval` on the real
 * GSM8K test set, the native engine, and the real python3 sandbox.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainerState, initBackend, loadCheckpoint, loadEngineApi, meanTokenLoss, saveCheckpoint, Tokenizer, trainLoop, windowBatches } from '@rho/core';
import {
  type Completion,
  type CompletionModel,
  type CompletionOptions,
  type ExecOptions,
  type ExecResult,
  Interpreter,
  LocalCheckpointModel,
  type Program,
  type ProgramExecutor,
  runEval,
} from '@rho/eval';
import { cli, DATA, NODE_TS, run as runCmd } from './cli.ts';
import { tinyCheckpoint } from './tiny-checkpoint.ts';
import { REPO_ROOT } from '@rho/core/base';

const root = mkdtempSync(join(tmpdir(), 'eval-continuous-'));
const ckpt = join(root, 'ckpt');
// In CI the addon is built; elsewhere its absence skips (the tfjs engine has no continuous batching).
const run = loadEngineApi().ok || process.env.CI ? describe : describe.skip;

function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

beforeAll(async () => {
  if (!(loadEngineApi().ok || process.env.CI)) return;
  const init = join(root, 'init');
  const { rows, tokenizer } = await tinyCheckpoint(root, init, { problems: 600, maxPositions: 2048 });
  await initBackend();
  const tok = Tokenizer.fromFile(tokenizer);
  const ids = rows.flatMap((x) => tok.encode(`Question: ${x.question}\nAnswer: ${x.answer.replace(/<<[^>]*>>/g, '').replace('####', 'The answer is')}\n\n\n`));
  const { model } = await loadCheckpoint(init);
  const steps = 400;
  const state = createTrainerState(
    { schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 15, totalSteps: steps }, maxGradNorm: 1, adamw: { weightDecay: 0.1 } },
    { seed: 5 },
  );
  try {
    await trainLoop(model, state, {
      untilStep: steps,
      nextBatch: windowBatches(ids, { seqLen: 128, batchSize: 8, seed: 1, shuffle: true }),
      lossFn: meanTokenLoss,
    });
    await saveCheckpoint(ckpt, model, { tokenizerJsonPath: tokenizer });
  } finally {
    state.optimizer.dispose();
    model.dispose();
  }
}, 600_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

run('shared prefix cache and continuous batching', () => {
  it('give the same greedy completions on 20 GSM8K problems with and without the prefix, at any batch size', async () => {
    const common = ['cot', ckpt, '--data', 'gsm8k', '--limit', '20', '--max-tokens', '80', '--data-dir', DATA, '--engine', 'native'];
    const a = await cli('eval', [...common, '--out', join(root, 'a'), '--batch-size', '64']);
    expect(a.status, a.stderr).toBe(0);
    const b = await cli('eval', [...common, '--out', join(root, 'b'), '--batch-size', '3', '--no-prefix-cache']);
    expect(b.status, b.stderr).toBe(0);
    const file = (d: string) => join(root, d, 'gsm8k', 'test_cot_20_seed0_t0.0_s0_e-1.jsonl');
    const ra = readJsonl(file('a'));
    const rb = readJsonl(file('b'));
    expect(ra.map((x) => x.code)).toEqual(rb.map((x) => x.code));
    // a trained model: real answers of varied lengths, most ended by a stop word
    const codes = ra.map((x) => (x.code as string[])[0]!);
    expect(new Set(codes).size).toBeGreaterThan(10);
    expect(codes.filter((c) => c.length > 20).length).toBeGreaterThan(15);

    const metrics = (d: string) =>
      JSON.parse(readFileSync(file(d).replace(/\.jsonl$/, '_cot_metrics.json'), 'utf8')) as {
        prompt_tokens_computed: number;
        prompt_tokens_cached: number;
        mean_batch: number;
      };
    const ma = metrics('a');
    const mb = metrics('b');
    const naive = mb.prompt_tokens_computed;
    expect(mb.prompt_tokens_cached).toBe(0);
    expect(ma.prompt_tokens_cached + ma.prompt_tokens_computed).toBeGreaterThan(naive); // the prefix, computed once, counts too
    expect(ma.prompt_tokens_computed).toBeLessThan(0.2 * naive);
    expect(ma.mean_batch).toBeGreaterThan(mb.mean_batch);
    expect(mb.mean_batch).toBeLessThanOrEqual(3);
  }, 600_000);

  it('keeps decoding the other problems while a program runs in the sandbox (tora)', async () => {
    const local = await LocalCheckpointModel.open(ckpt, { engine: 'native', batchSize: 8 });
    const python = new Interpreter({ timeoutS: 10 });
    const busy: Array<[number, number]> = [];
    let stepsDuringPrograms = 0;
    // Even problems' first call writes a program that sleeps 0.6 s (the small model writes no
    // Python of its own); everything else, the later rounds of those problems included, is the model.
    const model: CompletionModel = {
      name: 'scripted-first-round',
      continuous: true,
      sharePrefix: (p) => local.sharePrefix(p),
      counters: () => local.counters(),
      complete: async (prompts: string[], opts: CompletionOptions): Promise<Completion[]> => {
        const question = /Question: ([^\n]*)\n[^\n]*$/.exec(prompts[0]!.slice(-600))?.[1] ?? '';
        if (!prompts[0]!.includes('```output') && question.length % 2 === 0) {
          return prompts.map(() => ({ text: '```python\nimport time\ntime.sleep(0.6)\nprint(7)\n```', finishReason: 'stop', tokens: 0 }));
        }
        return local.complete(prompts, { ...opts, maxTokens: 60 });
      },
    };
    const executor: ProgramExecutor = {
      execBatch: async (programs: Program[], opts: ExecOptions): Promise<ExecResult[]> => {
        const t0 = performance.now();
        const before = local.counters().steps;
        const out = await python.execBatch(programs, opts);
        if (programs.length) {
          busy.push([t0, performance.now()]);
          stepsDuringPrograms += local.counters().steps - before;
        }
        return out;
      },
      dispose: () => python.dispose(),
    };
    try {
      const t0 = performance.now();
      const res = await runEval(
        model,
        {
          data: 'gsm8k',
          promptType: 'tora',
          dataDir: DATA,
          outDir: join(root, 'tora'),
          limit: 12,
          start: 0,
          end: -1,
          maxTokens: 60,
          temperature: 0,
          topP: 1,
          seed: 0,
          nSampling: 1,
          chunkSize: 16,
        },
        { executor },
      );
      const wall = performance.now() - t0;
      expect(res.metrics.num_samples).toBe(12);
      const programMs = busy.reduce((a, [s, e]) => a + (e - s), 0);
      expect(busy.length).toBeGreaterThan(2);
      // the engine kept stepping while programs ran, and the run took less than programs and
      // decoding one after the other would
      expect(stepsDuringPrograms).toBeGreaterThan(0);
      const decodeMs = local.counters().busySeconds * 1000;
      expect(decodeMs).toBeGreaterThan(0);
      expect(wall).toBeLessThan(0.85 * (programMs + decodeMs));
    } finally {
      await executor.dispose();
      await local.dispose();
    }
  }, 600_000);

  it("pnpm bench run: real prompts, the released completions' lengths, cache and naive side by side, one JSON line", async () => {
    const r = await runCmd(process.execPath, [
      ...NODE_TS,
      join(REPO_ROOT, 'scripts/bench.ts'),
      'run',
      ckpt,
      '--problems',
      '6',
      '--naive-problems',
      '4',
      '--batch-size',
      '4',
      '--data-dir',
      DATA,
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number | string | null>;
    expect(j.problems).toBe(6);
    expect(j.dataset_problems).toBe(1319);
    // every problem decodes exactly its released completion's token count
    const tok = Tokenizer.fromFile(join(ckpt, 'tokenizer.json'));
    const released = readJsonl(join(DATA, 'reference-outputs/rho-math-7b-v0.1/gsm8k/test_cot_-1_seed0_t0.0_s0_e-1.jsonl')).slice(0, 6);
    expect(j.decoded_tokens).toBe(released.reduce((a, x) => a + Math.max(1, tok.encode((x.code as string[])[0]!).length - 1), 0));
    expect(j.prompt_tokens_computed as number).toBeLessThan(j.prompt_tokens_naive as number);
    expect((j.prompt_tokens_cached as number) + (j.prompt_tokens_computed as number)).toBeGreaterThan(j.prompt_tokens_naive as number);
    expect(j.projected_s as number).toBeGreaterThan(0);
    expect(j.naive_projected_s as number).toBeGreaterThan(0);
    expect(j.peak_rss_mb as number).toBeGreaterThan(0);
    expect(String(j.isa)).toMatch(/CPUs/);
    expect(r.stdout).toMatch(/prompt tokens computed/);
    const bad = await runCmd(process.execPath, [...NODE_TS, join(REPO_ROOT, 'scripts/bench.ts'), 'run', ckpt, '--problems', '0']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--problems must be an integer >= 1/);
  }, 600_000);
});
