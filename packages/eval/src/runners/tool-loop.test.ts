import { describe, expect, it } from 'vitest';
import { ScriptedModel } from '../backends/scripted.ts';
import type { ExecOptions, ExecResult, Program, ProgramExecutor } from '../interpreter/types.ts';
import { MAX_FUNC_CALL_MESSAGE, runToolLoop, TOOL_STOP_WORDS } from './tool-loop.ts';

/** Records what it is asked to run; answers with a function of the program. */
class FakeExecutor implements ProgramExecutor {
  readonly runs: Array<{ program: Program; opts: ExecOptions }> = [];
  constructor(private readonly answer: (code: string) => { result: string; report: string }) {}
  async execBatch(programs: Program[], opts: ExecOptions): Promise<ExecResult[]> {
    return programs.map((program) => {
      this.runs.push({ program, opts });
      const { result, report } = this.answer(program.code);
      return { output: result || report, result, report, timedOut: false, exitCode: 0, isolation: 'rlimits' };
    });
  }
  async dispose(): Promise<void> {}
}

const PROMPT = '<|user|>\nWhat is 6 times 7?\n<|assistant|>\n';
const CODE = '```python\nprint(6 * 7)\n```\n';

describe('runToolLoop (tora)', () => {
  it('runs the last program when a completion ends with a closed fence, feeds its output back, and continues', async () => {
    // The "model" writes the whole trajectory each time; the stop word "```output" cuts it.
    const model = new ScriptedModel((p) =>
      p.endsWith('```\n') ? 'So the answer is $\\boxed{42}$.\n\n' : `Let me compute.\n${CODE}\`\`\`output\n42\n\`\`\`\n`,
    );
    const exec = new FakeExecutor(() => ({ result: '42', report: 'Done' }));
    const [s] = await runToolLoop(model, [PROMPT], exec, { mode: 'tora', maxTokens: 64, temperature: 0 });
    expect(model.calls).toHaveLength(2);
    expect(model.calls[0]!.opts.stop).toEqual(['</s>', '\n\n---', '```output']);
    expect(model.calls[0]!.opts.topP).toBe(1);
    expect(exec.runs.map((r) => r.program)).toEqual([{ code: 'print(6 * 7)\n', lang: 'python' }]);
    expect(exec.runs[0]!.opts.mode).toBe('tora');
    // The second call sees the prompt, the rstripped completion and the output block.
    expect(model.calls[1]!.prompts[0]).toBe(`${PROMPT}Let me compute.\n${CODE.trimEnd()}\n\`\`\`output\n42\n\`\`\`\n`);
    expect(s!.completion).toBe(`Let me compute.\n${CODE.trimEnd()}\n\`\`\`output\n42\n\`\`\`\nSo the answer is $\\boxed{42}$.`);
    expect(s!.calls).toBe(2);
    expect(s!.hitLimit).toBe(false);
  });

  it('does not execute a completion that mentions boxed, or that does not end with a fence', async () => {
    const model = new ScriptedModel((p) => (p.includes('A') ? `The answer is \\boxed{3}.\n${CODE}` : 'It is 42.'));
    const exec = new FakeExecutor(() => ({ result: '1', report: 'Done' }));
    const out = await runToolLoop(model, ['A: ', 'B: '], exec, { mode: 'tora', maxTokens: 64, temperature: 0 });
    expect(exec.runs).toHaveLength(0);
    expect(out.map((s) => s.completion)).toEqual([`The answer is \\boxed{3}.\n${CODE.trimEnd()}`, 'It is 42.']);
  });

  it('feeds the error report back when the program printed nothing', async () => {
    let second = '';
    const model = new ScriptedModel((p) => {
      if (p.includes('```output')) {
        second = p;
        return '\\boxed{0}';
      }
      return '```python\nprint(x)\n```';
    });
    const exec = new FakeExecutor(() => ({ result: '', report: "NameError: name 'x' is not defined" }));
    await runToolLoop(model, ['Q'], exec, { mode: 'tora', maxTokens: 64, temperature: 0.7, topP: 0.95 });
    expect(second).toBe("Q```python\nprint(x)\n```\n```output\nNameError: name 'x' is not defined\n```\n");
    expect(model.calls[0]!.opts.topP).toBe(0.95);
  });

  it('stops after 4 calls with the max-call message', async () => {
    let n = 0;
    const model = new ScriptedModel(() => `\n\`\`\`python\nprint(${++n})\n\`\`\``);
    const exec = new FakeExecutor((code) => ({ result: code.slice(6, -2), report: 'Done' }));
    const [s] = await runToolLoop(model, ['Q'], exec, { mode: 'tora', maxTokens: 64, temperature: 0 });
    expect(model.calls).toHaveLength(4);
    expect(exec.runs.map((r) => r.program.code)).toEqual(['print(1)\n', 'print(2)\n', 'print(3)\n', 'print(4)\n']);
    expect(s!.hitLimit).toBe(true);
    expect(s!.completion.endsWith(`\`\`\`output\n4\n\`\`\`\n${MAX_FUNC_CALL_MESSAGE}`)).toBe(true);
    expect(s!.completion.endsWith('\n```\n\nReach max function call limit.')).toBe(true);
    expect(s!.executions).toHaveLength(4);
  });

  it('uses the JavaScript program when the fence says javascript', async () => {
    const model = new ScriptedModel((p) => (p.includes('output') ? 'done \\boxed{2}' : '```javascript\nconsole.log(1 + 1)\n```'));
    const exec = new FakeExecutor(() => ({ result: '2', report: 'Done' }));
    await runToolLoop(model, ['Q\n'], exec, { mode: 'tora', maxTokens: 64, temperature: 0 });
    expect(exec.runs[0]!.program).toEqual({ code: 'console.log(1 + 1)\n', lang: 'javascript' });
  });

  it('exports the harness stop words', () => {
    expect(TOOL_STOP_WORDS).toEqual(['</s>', '\n\n---', '```output']);
  });
});

describe('runToolLoop (pal)', () => {
  it('executes solution() once, appends the value boxed and the max-call message', async () => {
    const model = new ScriptedModel(() => 'def solution():\n    return 6 * 7\n\n\n---\nQuestion: next');
    const exec = new FakeExecutor(() => ({ result: '42', report: 'Done' }));
    const [s] = await runToolLoop(model, ['Question: q\n'], exec, { mode: 'pal', maxTokens: 64, temperature: 0 });
    expect(model.calls).toHaveLength(1);
    // No fence: the raw completion (rstripped, cut at "\n\n---") is the program.
    expect(exec.runs).toEqual([{ program: { code: 'def solution():\n    return 6 * 7', lang: 'python' }, opts: { mode: 'pal' } }]);
    expect(s!.completion).toBe('def solution():\n    return 6 * 7\n```output\n\\boxed{42}\n```\n\nReach max function call limit.');
  });

  it('takes the last fenced program of the whole query when the completion has a fence', async () => {
    const model = new ScriptedModel(() => '```python\ndef solution():\n    return 1\n```');
    const exec = new FakeExecutor(() => ({ result: '1', report: 'Done' }));
    await runToolLoop(model, ['```python\nold()\n```\nQ\n'], exec, { mode: 'pal', maxTokens: 64, temperature: 0 });
    expect(exec.runs[0]!.program.code).toBe('def solution():\n    return 1\n');
  });
});
