import { runJavascript } from './javascript.ts';
import { PythonSandbox, type PythonSandboxOptions } from './python-sandbox.ts';
import type { ExecOptions, ExecResult, Program, ProgramExecutor } from './types.ts';

/** Runs programs of either language: Python in the sandbox, JavaScript in vm2. */
export class Interpreter implements ProgramExecutor {
  readonly python: PythonSandbox;

  constructor(options: Partial<PythonSandboxOptions> = {}) {
    this.python = new PythonSandbox(options);
  }

  exec(program: Program, opts: ExecOptions): Promise<ExecResult> {
    const timeoutS = opts.timeoutS ?? this.python.opts.timeoutS;
    if (program.lang === 'javascript') return Promise.resolve(runJavascript(program.code, opts.mode, timeoutS));
    return this.python.run(program.code, opts.mode, timeoutS);
  }

  /** Bounded concurrency comes from the sandbox's p-limit; results keep the input order. */
  execBatch(programs: Program[], opts: ExecOptions): Promise<ExecResult[]> {
    return Promise.all(programs.map((p) => this.exec(p, opts)));
  }

  dispose(): Promise<void> {
    return this.python.dispose();
  }
}
