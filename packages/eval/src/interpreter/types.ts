/** What running one model-written program gives back, whatever ran it. */

export type ProgramMode = 'tora' | 'pal';
export type ProgramLanguage = 'python' | 'javascript';

/**
 * The isolation a program actually ran under: `bwrap` (namespaces, read-only system, private /tmp,
 * no network, plus everything below), `rlimits` (resource limits, scrubbed environment, own process
 * group, output cap; no filesystem or network isolation), `vm2` (JavaScript in a V8 context),
 * `none` (the benchmark's bare baseline only).
 */
export type IsolationLevel = 'bwrap' | 'rlimits' | 'vm2' | 'none';

export interface Program {
  code: string;
  lang: ProgramLanguage;
}

export interface ExecResult {
  /** What is fed back to the model: the result, or the report when the result is empty. */
  output: string;
  /** tora: the program's stdout; pal: str(solution()). Stripped and truncated as the harness does. */
  result: string;
  /** "Done", or the last line of the error (e.g. "NameError: name 'x' is not defined"). */
  report: string;
  timedOut: boolean;
  /** The program process's exit status: 0 done, 1 raised, 128+N killed by signal N; null when none ran. */
  exitCode: number | null;
  isolation: IsolationLevel;
}

export interface ExecOptions {
  mode: ProgramMode;
  /** Wall-clock limit per program in seconds (the harness uses 5). */
  timeoutS?: number;
}

/** Runs batches of programs; the tora/pal runner depends on nothing else. */
export interface ProgramExecutor {
  execBatch(programs: Program[], opts: ExecOptions): Promise<ExecResult[]>;
  dispose(): Promise<void>;
}

/** The harness feeds back the result, or the report when the result is empty. */
export function feedback(result: string, report: string): string {
  return result !== '' ? result : report;
}
