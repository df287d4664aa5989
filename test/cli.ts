/**
 * Running the project's commands from end-to-end tests. Asynchronous on purpose: a blocking
 * spawnSync stalls the test worker, and vitest's worker RPC times out under load.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@rho/core/base';

export const DATA = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');
export const TSX = resolve(REPO_ROOT, 'node_modules/.bin/tsx');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: { ...process.env, FORCE_COLOR: '0', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
    // A command that exits before reading its input closes the pipe: that is not a test failure.
    child.stdin.on('error', () => {});
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** node with TypeScript loading, as the root package.json scripts start every command. */
export const NODE_TS: readonly string[] = ['--import', 'tsx'];

/** `pnpm <pkg> <args>` without pnpm's own start-up. */
export function cli(pkg: 'core' | 'eval' | 'slm', args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return run(process.execPath, [...NODE_TS, resolve(REPO_ROOT, `packages/${pkg}/src/cli/main.ts`), ...args], opts);
}
