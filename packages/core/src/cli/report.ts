import { existsSync } from 'node:fs';
import { RhoError } from '../errors.ts';

/**
 * The one place errors are reported: a RhoError prints its one-line description (with hint),
 * anything else prints its stack, and the process exits non-zero.
 */
export function reportAndExit(e: unknown, prog = 'rho'): never {
  if (e instanceof RhoError) {
    process.stderr.write(`${prog}: error: ${e.describe()}\n`);
  } else if (
    e &&
    typeof e === 'object' &&
    'code' in e &&
    typeof (e as { code: unknown }).code === 'string' &&
    String((e as { code: string }).code).startsWith('commander.')
  ) {
    // commander already printed its message
  } else {
    process.stderr.write(`${prog}: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exit(1);
}

/** Run an async CLI main, reporting any error once. */
export function runMain(main: () => Promise<void> | void, prog: string): void {
  // pnpm runs scripts from the workspace root; relative paths mean what they meant where the user typed them.
  const userCwd = process.env.INIT_CWD;
  if (userCwd && userCwd !== process.cwd() && existsSync(userCwd)) process.chdir(userCwd);
  Promise.resolve()
    .then(main)
    .catch((e) => reportAndExit(e, prog));
}
