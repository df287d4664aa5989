/**
 * `pnpm eval exec` end to end: the real CLI process, a program file and a program on stdin, one
 * JSON object each; a failing program is a result (exit 0), a bad option is an error (exit 1).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'rho-exec-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function evalCli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await cli('eval', args, { input: stdin });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('pnpm eval exec', () => {
  it('prints one JSON object per program and exits 0 even when the program fails', async () => {
    const file = join(dir, 'pal.py');
    writeFileSync(file, 'from sympy import Rational\n\ndef solution():\n    return Rational(7, 2) + 1\n');
    const [pal, failing, bad] = await Promise.all([
      evalCli(['exec', '--mode', 'pal', file]),
      evalCli(['exec', '--timeout', '3', '-'], 'print("before")\nprint(1 / 0)\n'),
      evalCli(['exec', '--lang', 'cobol', file]),
    ]);
    expect(pal.code, pal.stderr).toBe(0);
    const a = JSON.parse(pal.stdout.trim());
    expect(Object.keys(a).sort()).toEqual(['exit_code', 'isolation', 'output', 'report', 'timed_out']);
    expect(a).toMatchObject({ output: '9/2', report: 'Done', timed_out: false, exit_code: 0 });
    expect(['bwrap', 'rlimits']).toContain(a.isolation);
    expect(failing.code, failing.stderr).toBe(0);
    // As in the harness: the stdout of a failing program is dropped, the error's last line fed back.
    expect(JSON.parse(failing.stdout.trim())).toMatchObject({
      output: 'ZeroDivisionError: division by zero',
      report: 'ZeroDivisionError: division by zero',
      exit_code: 1,
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--lang/);
  }, 180_000);
});
