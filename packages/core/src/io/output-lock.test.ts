import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { acquireOutputLock, LOCK_FILE } from './output-lock.ts';

/** The pid of a process that has exited (spawned without blocking: a blocked worker misses vitest's RPC deadlines under load). */
function deadPid(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('exit', () => resolve(child.pid!));
  });
}

describe('acquireOutputLock', () => {
  it('refuses a second writer while the first lives, and frees the directory on release', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lock-')), 'out');
    const a = acquireOutputLock(dir);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    let err: unknown;
    try {
      acquireOutputLock(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RhoError);
    expect((err as RhoError).message).toMatch(new RegExp(`another run \\(pid ${process.pid}, started .*\\) is writing this output directory`));
    a.release();
    // the directory was made for this run and holds nothing else: gone with the lock
    expect(existsSync(dir)).toBe(false);
  });

  it('takes over a lock left by a process that is gone, with a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    const pid = await deadPid();
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ pid, started_at: '2020-01-01T00:00:00.000Z', command: 'killed' })}\n`);
    const warnings: string[] = [];
    const lock = acquireOutputLock(dir, { warn: (l) => warnings.push(l) });
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`taking over the lock of .* left by pid ${pid} \\(started 2020-01-01`))]);
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(dir)).toBe(true); // not made by this run
  });

  it('does not mistake a reused pid for the owner: a live pid with another start time is stale', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    if (!existsSync(`/proc/${process.pid}/stat`)) return; // start times are a Linux check
    writeFileSync(join(dir, LOCK_FILE), `${JSON.stringify({ pid: process.pid, start_ticks: '1', started_at: 'then', command: 'old' })}\n`);
    const warnings: string[] = [];
    acquireOutputLock(dir, { warn: (l) => warnings.push(l) }).release();
    expect(warnings).toHaveLength(1);
  });
});
