/**
 * The long jobs that write a working directory of their own (`pnpm slm experiment`, `pnpm demo`,
 * `pnpm gate`) take its lock as `pnpm eval` and `pnpm slm train` do: a live writer's lock refuses a
 * second job before it touches anything (the gate, which clears its directory, included).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE, processStartTicks, REPO_ROOT } from '@rho/core/base';
import { cli, DATA, NODE_TS, run } from './cli.ts';

const root = mkdtempSync(join(tmpdir(), 'locks-'));
const holders: ChildProcess[] = [];
afterAll(() => {
  for (const h of holders) h.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

/** A directory whose lock belongs to a live process (a sleeping one), with a file of that run in it. */
function heldDir(name: string): { dir: string; pid: number } {
  const holder = spawn('sleep', ['120'], { stdio: 'ignore' });
  holders.push(holder);
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const pid = holder.pid!;
  writeFileSync(
    join(dir, LOCK_FILE),
    `${JSON.stringify({ pid, start_ticks: processStartTicks(pid), started_at: new Date().toISOString(), command: 'the first job' })}\n`,
  );
  writeFileSync(join(dir, 'work-of-the-first.txt'), 'kept');
  return { dir, pid };
}

const script = (name: string, args: string[]) =>
  run(process.execPath, [...NODE_TS, resolve(REPO_ROOT, 'scripts', name), ...args], { env: { ...process.env, RHO_DATA_DIR: DATA } });

describe('one job per working directory', { timeout: 120_000 }, () => {
  const cases: Array<[string, (out: string) => ReturnType<typeof run>]> = [
    ['pnpm slm experiment', (out) => cli('slm', ['experiment', '--preset', 'smoke', '--out', out, '--data-dir', DATA])],
    ['pnpm demo', (out) => script('demo.ts', ['--out', out])],
    ['pnpm gate', (out) => script('gate.ts', ['--out', out])],
  ];
  for (const [name, start] of cases) {
    it(`${name} is refused while another job holds the directory, and leaves its files alone`, async () => {
      const { dir, pid } = heldDir(name.replace(/\W+/g, '-'));
      const r = await start(dir);
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`another run \\(pid ${pid}, started [^)]+\\) is writing this output directory`));
      expect(readFileSync(join(dir, 'work-of-the-first.txt'), 'utf8')).toBe('kept');
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);
    });
  }
});
