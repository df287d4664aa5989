/** `pnpm serve` as users run it, in a process of its own: for the benchmarks and the end-to-end tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@rho/core/base';

export interface ServeProcess {
  /** The base URL, …/v1. */
  url: string;
  child: ChildProcess;
  /** How it ended, once it has. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last few KB of its stderr (empty when stderr is inherited). */
  stderrTail: () => string;
  /** SIGTERM: the server answers what is in flight, then exits. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `pnpm serve <ckpt> [args]` on a free port of 127.0.0.1 (unless args say otherwise) and
 * resolves once it listens. Node itself runs it, not tsx's launcher, which would fork the server
 * as a child of its own: the pid sampled and the signals sent are the server's.
 */
export async function spawnServe(ckpt: string, args: string[] = [], opts: { inheritStderr?: boolean } = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'packages/eval/src/cli/serve.ts'), ckpt, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', opts.inheritStderr ? 'inherit' : 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) res(m[1]!);
    });
    child.on('exit', (code) => rej(new Error(`pnpm serve exited with ${code} before listening: ${stderr}`)));
  });
  return { url, child, exited, stderrTail: () => stderr, stop: () => (child.kill('SIGTERM'), exited) };
}
