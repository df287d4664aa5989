import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { feedback, type ExecResult, type ProgramMode } from './types.ts';

const SERVER_SCRIPT = fileURLToPath(new URL('./python/fork_server.py', import.meta.url));

/**
 * One program in a fresh, unsandboxed python3 subprocess with the same execution semantics: the
 * baseline the sandbox's cost is measured against (`pnpm bench interpreter`). Not for model output.
 */
export function runBare(python: string, code: string, mode: ProgramMode, timeoutS: number): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(python, ['-I', SERVER_SCRIPT, '--once'], { stdio: ['pipe', 'pipe', 'ignore'], timeout: timeoutS * 1000, killSignal: 'SIGKILL' });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    proc.on('error', reject);
    proc.on('close', (code, signal) => {
      if (signal) return resolve({ output: 'Timeout Error', result: '', report: 'Timeout Error', timedOut: true, exitCode: null, isolation: 'none' });
      try {
        const r = JSON.parse(out) as { result: string; report: string; exit_code: number };
        resolve({ output: feedback(r.result, r.report), result: r.result, report: r.report, timedOut: false, exitCode: r.exit_code, isolation: 'none' });
      } catch {
        reject(new Error(`bare python exited with ${code} without a result`));
      }
    });
    proc.stdin.end(JSON.stringify({ code, mode }));
  });
}

export function runBareBatch(python: string, codes: string[], mode: ProgramMode, timeoutS: number, concurrency: number): Promise<ExecResult[]> {
  const limit = pLimit(concurrency);
  return Promise.all(codes.map((c) => limit(() => runBare(python, c, mode, timeoutS))));
}
