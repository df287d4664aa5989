import { inspect } from 'node:util';
import { VM } from 'vm2';
import { pyStrip } from '../normalize/python.ts';
import { truncate } from './truncate.ts';
import { feedback, type ExecResult, type ProgramMode } from './types.ts';

// Most characters a program may print, as for Python programs (see PYTHON_SANDBOX_DEFAULTS).
const OUTPUT_CAP = 1 << 20;

class OutputLimitError extends Error {
  override name = 'OutputLimitError';
}

/**
 * Runs one JavaScript program in a vm2 context: no require, no process, no eval/wasm, a timeout
 * on synchronous execution. tora: the console.log output; pal: String(solution()). Errors are
 * reported as "Name: message", the shape of the Python reports.
 */
export function runJavascript(code: string, mode: ProgramMode, timeoutS: number): ExecResult {
  let out = '';
  let exceeded = false;
  const write = (line: string) => {
    if (out.length + line.length > OUTPUT_CAP) {
      exceeded = true;
      throw new OutputLimitError(`the program printed more than ${OUTPUT_CAP} characters`);
    }
    out += line;
  };
  const log = (...args: unknown[]) => write(`${args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ')}\n`);
  const vm = new VM({ timeout: Math.max(1, Math.round(timeoutS * 1000)), eval: false, wasm: false, allowAsync: false, sandbox: {} });
  vm.setGlobal('console', Object.freeze({ log, info: log, warn: () => {}, error: () => {} }));
  let result = '';
  let report = 'Done';
  let timedOut = false;
  try {
    if (mode === 'tora') {
      vm.run(code);
      if (exceeded) throw new OutputLimitError(`the program printed more than ${OUTPUT_CAP} characters`);
      result = truncate(pyStrip(out));
    } else {
      vm.run(code);
      result = truncate(pyStrip(String(vm.run('solution()'))));
    }
  } catch (e) {
    result = '';
    const err = e as { name?: string; message?: string; code?: string };
    timedOut = err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
    report = timedOut ? 'Timeout Error' : truncate(pyStrip(`${err.name ?? 'Error'}: ${err.message ?? String(e)}`.split('\n')[0]!));
  }
  return { output: feedback(result, report), result, report, timedOut, exitCode: null, isolation: 'vm2' };
}
