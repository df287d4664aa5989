import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pidAlive, processStartTicks, sameProcessAlive } from './process-identity.ts';

/**
 * A real zombie: python forks a child that exits at once and, never waiting for it, sleeps; the
 * child stays in state Z until the parent ends. (A shell may reap its background job before it
 * execs, so `sh -c 'true & exec sleep'` is not one under load.)
 */
const ZOMBIE_MAKER = 'import os, sys, time\npid = os.fork()\nif pid == 0:\n    os._exit(0)\nprint(pid, flush=True)\ntime.sleep(30)';

function zombie(): Promise<{ pid: number; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const holder = spawn('python3', ['-c', ZOMBIE_MAKER], { stdio: ['ignore', 'pipe', 'inherit'] });
    const stop = () => holder.kill('SIGKILL');
    holder.stdout.once('data', (b: Buffer) => {
      const pid = Number(String(b).trim());
      const waitZ = () => {
        let stat: string;
        try {
          stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        } catch (e) {
          stop();
          return reject(new Error(`the child ${pid} was reaped before it could be seen as a zombie`, { cause: e }));
        }
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) resolve({ pid, stop });
        else setTimeout(waitZ, 20);
      };
      waitZ();
    });
    holder.on('error', reject);
  });
}

describe.runIf(process.platform === 'linux')('process identity', () => {
  it('this process is alive and is itself', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(sameProcessAlive(process.pid, processStartTicks(process.pid))).toBe(true);
    expect(sameProcessAlive(process.pid, '1')).toBe(false);
  });

  it('a zombie left by a killed parent counts as gone', async () => {
    const z = await zombie();
    try {
      expect(processStartTicks(z.pid)).toBeDefined();
      expect(pidAlive(z.pid)).toBe(false);
      expect(sameProcessAlive(z.pid, processStartTicks(z.pid))).toBe(false);
    } finally {
      z.stop();
    }
  });
});
