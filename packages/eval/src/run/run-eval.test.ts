import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@rho/core/base';
import { ScriptedModel } from '../backends/scripted.ts';
import type { Completion, CompletionModel, CompletionOptions } from '../backends/types.ts';
import type { ExecOptions, ExecResult, Program, ProgramExecutor } from '../interpreter/types.ts';
import { metricsPathFor } from '../outputs/layout.ts';
import { outputPathFor, runEval, selectExamples, type RunConfig } from './run-eval.ts';

const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

function config(outDir: string, over: Partial<RunConfig> = {}): RunConfig {
  return {
    data: 'gsm8k',
    promptType: 'cot',
    dataDir: DATA,
    outDir,
    limit: 4,
    start: 0,
    end: -1,
    maxTokens: 64,
    temperature: 0,
    topP: 1,
    seed: 0,
    nSampling: 1,
    chunkSize: 2,
    ...over,
  };
}

/** Answers 18 to the first GSM8K problem and 5 to everything else. */
const answers = (p: string) =>
  p.trimEnd().endsWith("How much in dollars does she make every day at the farmers' market?\nAnswer:")
    ? ' She makes 18 dollars. The answer is 18.\n\nQuestion: next'
    : ' The answer is 5.';

class FakeSandbox implements ProgramExecutor {
  async execBatch(programs: Program[], _opts: ExecOptions): Promise<ExecResult[]> {
    return programs.map(() => ({ output: '18', result: '18', report: 'Done', timedOut: false, exitCode: 0, isolation: 'bwrap' }));
  }
  async dispose(): Promise<void> {}
}

class CountingSandbox extends FakeSandbox {
  readonly batches: Array<{ programs: Program[]; opts: ExecOptions }> = [];
  override async execBatch(programs: Program[], opts: ExecOptions): Promise<ExecResult[]> {
    this.batches.push({ programs, opts });
    return super.execBatch(programs, opts);
  }
}

describe('runEval', () => {
  it('selects like the harness: first `limit`, then [start, end)', () => {
    const ex = Array.from({ length: 10 }, (_, i) => ({ idx: i }) as never);
    expect(selectExamples(ex, 6, 2, 4).map((e: { idx: number }) => e.idx)).toEqual([2, 3]);
    expect(selectExamples(ex, -1, 8, -1).map((e: { idx: number }) => e.idx)).toEqual([8, 9]);
  });

  it('writes harness-layout outputs and metrics, cutting at the stop words, and grades each problem', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    const model = new ScriptedModel(answers);
    const r = await runEval(model, config(out));
    expect(r.outPath).toBe(join(out, 'gsm8k', 'test_cot_4_seed0_t0.0_s0_e-1.jsonl'));
    const rows = readFileSync(r.outPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((s) => s.idx)).toEqual([0, 1, 2, 3]);
    expect(rows[0].code).toEqual(['She makes 18 dollars. The answer is 18.']);
    expect(rows.map((s) => s.score[0])).toEqual([true, false, false, false]);
    expect(r.metrics).toMatchObject({ num_samples: 4, acc: 25 });
    expect(model.calls[0]!.opts.stop).toEqual(['</s>', '\n\nQuestion:', '\n\nProblem:']);
    expect(readdirSync(join(out, 'gsm8k')).some((f) => f.endsWith('.partial'))).toBe(false);
  });

  it('resumes: finished problems are not generated again, and a complete run is not redone', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    const failing = new ScriptedModel((p) => {
      if (failing.calls.length > 1) throw new Error('killed');
      return answers(p);
    });
    await expect(runEval(failing, config(out))).rejects.toThrow('killed');
    expect(existsSync(outputPathFor(config(out)))).toBe(false);
    const again = new ScriptedModel(answers);
    const r = await runEval(again, config(out));
    expect(again.calls.flatMap((c) => c.prompts)).toHaveLength(2); // only the second chunk
    expect(r.metrics).toMatchObject({ num_samples: 4, acc: 25 });
    const third = new ScriptedModel(answers);
    expect((await runEval(third, config(out))).skipped).toBe(true);
    expect(third.calls).toHaveLength(0);
    // the journal keeps problems ungraded: the resumed file is the uninterrupted one, byte for byte
    const whole = await runEval(new ScriptedModel(answers), config(mkdtempSync(join(tmpdir(), 'run-'))));
    expect(readFileSync(r.outPath, 'utf8')).toBe(readFileSync(whole.outPath, 'utf8'));
  });

  it("grades with the run's grader options", async () => {
    // 5 against 3 and 70000: only the first is within a relative tolerance of one half
    const r = await runEval(new ScriptedModel(answers), config(mkdtempSync(join(tmpdir(), 'run-')), { limit: 3, equal: { relTol: 0.5 } }));
    expect(r.metrics).toMatchObject({ num_samples: 3, acc: 66.7 });
  });

  it('tora: programs run through the executor, and the isolation they had goes into the metrics', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    const model = new ScriptedModel((p) => (p.includes('```output') ? 'So the answer is $\\boxed{18}$.' : '```python\nprint(16 - 3 - 4)\n```\n'));
    const r = await runEval(model, config(out, { promptType: 'tora', limit: 1 }), { executor: new FakeSandbox() });
    const row = JSON.parse(readFileSync(r.outPath, 'utf8').trim());
    expect(row.code[0]).toContain('```output\n18\n```');
    expect(row.pred).toEqual(['18']);
    expect(r.metrics.isolation).toEqual(['bwrap']);
  });

  it('pal: grading runs the programs again, as evaluate.py and `pnpm eval score` do', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    const sandbox = new CountingSandbox();
    const model = new ScriptedModel(() => '\n```python\ndef solution():\n    return 18\n```\n\n---\n');
    const r = await runEval(model, config(out, { promptType: 'pal', limit: 2 }), { executor: sandbox });
    // one batch in the loop, one for grading
    expect(sandbox.batches.map((b) => [b.opts.mode, b.programs.length])).toEqual([
      ['pal', 2],
      ['pal', 1],
    ]);
    const rows = readFileSync(r.outPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((s) => [s.pred[0], s.report[0], s.score[0]])).toEqual([
      ['18', 'Done', true],
      ['18', 'Done', false],
    ]);
  });
});

/** Writes its seed: a completion shows which random stream produced it. */
class SeedEcho implements CompletionModel {
  readonly name = 'seed-echo';
  calls = 0;
  constructor(private readonly failAfter = Infinity) {}
  async complete(prompts: string[], opts: CompletionOptions): Promise<Completion[]> {
    if (++this.calls > this.failAfter) throw new Error('killed');
    return prompts.map((_, i) => ({ text: ` The answer is ${opts.seeds?.[i] ?? `shared ${opts.seed}`}.`, finishReason: 'stop' as const }));
  }
}

describe('sampling that does not depend on scheduling', () => {
  it("each sample's stream comes from (seed, dataset, idx, sample): any chunking and any resume give the same completions", async () => {
    const cfg = (out: string, chunkSize: number) => config(out, { limit: 5, nSampling: 2, temperature: 0.8, chunkSize });
    const one = await runEval(new SeedEcho(), cfg(mkdtempSync(join(tmpdir(), 'run-')), 1));
    const four = await runEval(new SeedEcho(), cfg(mkdtempSync(join(tmpdir(), 'run-')), 4));
    const text = readFileSync(one.outPath, 'utf8');
    expect(readFileSync(four.outPath, 'utf8')).toBe(text);
    const codes = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).code as string[]);
    expect(new Set(codes.flat()).size).toBe(10); // every sample its own stream
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    await expect(runEval(new SeedEcho(1), cfg(out, 3))).rejects.toThrow('killed');
    const resumed = await runEval(new SeedEcho(), cfg(out, 2));
    expect(readFileSync(resumed.outPath, 'utf8')).toBe(text);
  });
});

describe('run identity', () => {
  it('is in the metrics file, and another run on the same outputs is refused naming the field', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    const r = await runEval(new ScriptedModel(answers), config(out, { limit: 2 }));
    expect(r.metrics.identity).toMatchObject({
      model: { kind: 'named', name: 'scripted' },
      prompt_type: 'cot',
      few_shot: { count: 8 },
      sampling: { temperature: 0, top_p: 1, n_sampling: 1, seed: 0, max_tokens: 64 },
      dataset: { name: 'gsm8k' },
    });
    await expect(runEval(new ScriptedModel(answers, 'other'), config(out, { limit: 2 }))).rejects.toThrow(/model\.name is "scripted" there, "other" here/);
    await expect(runEval(new ScriptedModel(answers), config(out, { limit: 2, temperature: 0.01 }))).rejects.toThrow(
      /sampling\.temperature is 0 there, 0\.01 here/,
    );
    expect((await runEval(new ScriptedModel(answers, 'other'), config(out, { limit: 2, overwrite: true }))).metrics.identity).toMatchObject({
      model: { name: 'other' },
    });
  });
});

describe('run metrics', () => {
  it('record what ran the model and the peak resident memory of the process', async () => {
    const out = mkdtempSync(join(tmpdir(), 'run-'));
    const before = process.memoryUsage().rss;
    const r = await runEval(new ScriptedModel(answers), config(out, { limit: 1, engine: 'native engine, bf16 (test)' }));
    expect(r.metrics.engine).toBe('native engine, bf16 (test)');
    const peak = r.metrics.peak_rss_bytes as number;
    expect(Number.isInteger(peak)).toBe(true);
    // a peak is at least what was resident before the run
    expect(peak).toBeGreaterThanOrEqual(before);
    const onDisk = JSON.parse(readFileSync(metricsPathFor(r.outPath, 'cot'), 'utf8'));
    expect(onDisk.peak_rss_bytes).toBe(peak);
    // a run without an engine description has no engine field rather than an empty one
    const plain = await runEval(new ScriptedModel(answers), config(mkdtempSync(join(tmpdir(), 'run-')), { limit: 1 }));
    expect('engine' in plain.metrics).toBe(false);
  });
});
