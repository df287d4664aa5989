/**
 * The tora loop end to end, with the real sandbox: it replays recorded
 * Rho-Math-7B-interpreter trajectories. A scripted model writes the recorded text (cut by the
 * stop words, as a server would), the loop executes each program in the sandbox and appends the
 * output block itself; the final completion must equal the recorded one character for character,
 * the max-call message included. Also one pal sample and one JavaScript program through the loop.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readJsonl, REPO_ROOT } from '@rho/core';
import { Interpreter, runToolLoop, ScriptedModel } from '@rho/eval';

const dataDir = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');
const file = resolve(dataDir, 'reference-outputs/rho-math-7b-interpreter-v0.1/gsm8k/test_tora_-1_seed0_t0.0_s0_e-1.jsonl');

const interpreter = new Interpreter({ concurrency: 2 });
afterAll(() => interpreter.dispose());

/** The model "writes" the rest of the recorded completion after what the query already holds. */
function replay(prompts: string[], recorded: string[]): ScriptedModel {
  return new ScriptedModel((query) => {
    const i = prompts.findIndex((p) => query.startsWith(p));
    const done = query.slice(prompts[i]!.length);
    const full = recorded[i]!;
    if (!full.startsWith(done)) throw new Error(`sample ${i} diverged from the recording after ${done.length} characters`);
    return full.slice(done.length);
  });
}

describe('tora loop with the sandbox', () => {
  it('replays recorded trajectories exactly: one round, an error fed back, and four rounds with the limit message', async () => {
    const rows = (await readJsonl(file)) as Array<{ idx: number; question: string; code: string[] }>;
    const pick = [
      rows[0]!,
      rows.find((r) => /```output\nNameError/.test(r.code[0]!))!,
      rows.find((r) => r.code[0]!.includes('Reach max function call limit.'))!,
    ];
    const prompts = pick.map((r) => `<|user|>\n${r.question}\n<|assistant|>\n`);
    const recorded = pick.map((r) => r.code[0]!);
    const model = replay(prompts, recorded);
    const out = await runToolLoop(model, prompts, interpreter, { mode: 'tora', maxTokens: 1024, temperature: 0 });
    expect(out.map((s) => s.completion)).toEqual(recorded);
    expect(out.map((s) => s.calls)).toEqual([2, 2, 4]);
    expect(out.map((s) => s.hitLimit)).toEqual([false, false, true]);
    expect(out[1]!.executions[0]!.report).toMatch(/^NameError/);
    expect(model.calls.every((c) => c.opts.stop.join('|') === '</s>|\n\n---|```output')).toBe(true);
  }, 120_000);

  it('runs a pal program once and appends its value boxed', async () => {
    const model = new ScriptedModel(
      () => 'def solution():\n    from sympy import Rational\n    return Rational(1, 3) + Rational(1, 6)\n\n\n---\n\nQuestion: ...',
    );
    const [s] = await runToolLoop(model, ['Question: what is 1/3 + 1/6?\n'], interpreter, { mode: 'pal', maxTokens: 256, temperature: 0 });
    expect(s!.completion).toBe(
      'def solution():\n    from sympy import Rational\n    return Rational(1, 3) + Rational(1, 6)\n```output\n\\boxed{1/2}\n```\n\nReach max function call limit.',
    );
  }, 60_000);

  it('runs a javascript program in vm2 inside the loop', async () => {
    const model = new ScriptedModel((q) =>
      q.includes('```output') ? 'So $\\boxed{120}$.' : '```js\nlet f = 1; for (let i = 2; i <= 5; i++) f *= i;\nconsole.log(f)\n```\n```output\n',
    );
    const [s] = await runToolLoop(model, ['5!?\n'], interpreter, { mode: 'tora', maxTokens: 256, temperature: 0 });
    expect(s!.completion).toBe('```js\nlet f = 1; for (let i = 2; i <= 5; i++) f *= i;\nconsole.log(f)\n```\n```output\n120\n```\nSo $\\boxed{120}$.');
    expect(s!.executions[0]!.isolation).toBe('vm2');
  });
});
