import type { CompletionModel } from '../backends/types.ts';
import { callSeed } from '../run/sample-seed.ts';
import { extractLastProgram } from '../interpreter/program.ts';
import { pyRstrip, pyStrip } from '../normalize/python.ts';
import type { ExecResult, Program, ProgramExecutor, ProgramMode } from '../interpreter/types.ts';

/** The harness's stop words for pal and tora (math_eval.py): "</s>", then "\n\n---" and "```output". */
export const TOOL_STOP_WORDS: readonly string[] = Object.freeze(['</s>', '\n\n---', '```output']);
export const MAX_FUNC_CALL_MESSAGE = '\nReach max function call limit.';

export interface ToolLoopOptions {
  mode: ProgramMode;
  /** Tokens per model call (the harness's max_tokens_per_call, 1024 by default there). */
  maxTokens: number;
  temperature: number;
  /** Forced to 1 under greedy decoding, as the harness does. */
  topP?: number;
  seed?: number;
  /** One seed per prompt (see CompletionOptions.seeds); each later call of a sample derives its own from it. */
  seeds?: readonly number[];
  /** Model calls per sample: tora 4, pal 1 unless given. */
  maxFuncCall?: number;
  /** Per-program limit in seconds (5 unless given). */
  timeoutS?: number;
}

export interface ToolLoopSample {
  /** Everything after the prompt, stripped: what the harness stores in `code`. */
  completion: string;
  /** The executions, in order, with what each fed back. */
  executions: ExecResult[];
  /** Model calls made for this sample. */
  calls: number;
  /** Still asking for execution when the call limit ran out. */
  hitLimit: boolean;
}

interface Pending {
  i: number;
  query: string;
}

/**
 * The generate → execute → feed back loop of the Python harness (math_eval.py), over any
 * CompletionModel and ProgramExecutor. Per round, all pending prompts are completed as one batch
 * and their programs executed as one batch. tora: a completion that ends with a closed code fence
 * and has no "boxed" gets its last program run and "\n```output\n<result>\n```\n" appended, then
 * continues; pal: the program (or the whole completion when it has no fence) runs once and its
 * value is appended as \boxed{...}. After the last allowed call the loop appends
 * "\nReach max function call limit.".
 */
export async function runToolLoop(model: CompletionModel, prompts: string[], executor: ProgramExecutor, opts: ToolLoopOptions): Promise<ToolLoopSample[]> {
  const maxFuncCall = opts.maxFuncCall ?? (opts.mode === 'pal' ? 1 : 4);
  const samples: ToolLoopSample[] = prompts.map(() => ({ completion: '', executions: [], calls: 0, hitLimit: false }));
  const finished: Pending[] = [];
  let remain: Pending[] = prompts.map((query, i) => ({ i, query }));
  const genOpts = {
    stop: [...TOOL_STOP_WORDS],
    maxTokens: opts.maxTokens,
    temperature: opts.temperature,
    topP: opts.temperature === 0 ? 1 : (opts.topP ?? 1),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };

  for (let epoch = 0; epoch < maxFuncCall && remain.length > 0; epoch++) {
    const outs = await model.complete(
      remain.map((p) => p.query),
      opts.seeds ? { ...genOpts, seeds: remain.map((p) => callSeed(opts.seeds![p.i]!, epoch)) } : genOpts,
    );
    if (outs.length !== remain.length) throw new Error(`model ${model.name} returned ${outs.length} completions for ${remain.length} prompts`);
    const next: Pending[] = [];
    const programs: Program[] = [];
    remain.forEach((p, k) => {
      const output = pyRstrip(outs[k]!.text);
      p.query += output;
      samples[p.i]!.calls++;
      if (opts.mode === 'pal') {
        next.push(p);
        programs.push(hasFence(output) ? extractLastProgram(p.query) : { code: output, lang: 'python' });
      } else if (!output.includes('boxed') && output.endsWith('```')) {
        next.push(p);
        programs.push(extractLastProgram(p.query));
      } else {
        finished.push(p);
      }
    });
    const results = await executor.execBatch(programs, { mode: opts.mode, ...(opts.timeoutS !== undefined ? { timeoutS: opts.timeoutS } : {}) });
    next.forEach((p, k) => {
      const r = results[k]!;
      samples[p.i]!.executions.push(r);
      const fed = opts.mode === 'pal' ? `\\boxed{${r.output}}` : r.output;
      p.query += `\n\`\`\`output\n${fed}\n\`\`\`\n`;
      if (epoch === maxFuncCall - 1) {
        p.query += MAX_FUNC_CALL_MESSAGE;
        samples[p.i]!.hitLimit = true;
      }
    });
    remain = next;
  }

  for (const p of [...finished, ...remain]) {
    const prompt = prompts[p.i]!;
    // The harness's end_prompt.split(prompt)[-1].strip(), quirk included.
    samples[p.i]!.completion = pyStrip(prompt === '' ? p.query : p.query.split(prompt).pop()!);
  }
  return samples;
}

function hasFence(output: string): boolean {
  return output.includes('```python') || /```(?:javascript|js)(?![\w-])/.test(output);
}
