import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pidAlive, processStartTicks, sameProcessAlive } from './process-identity.ts';

/**
 * A real zombie: `sh` starts a short child in the background, prints its pid and execs into a
 * `sleep` that never reaps it, so once the child exits it stays in state Z until `sleep` ends.
 */
function zombie(): Promise<{ pid: number; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const holder = spawn('sh', ['-c', 'true & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    holder.stdout.once('data', (b: Buffer) => {
      const pid = Number(String(b).trim());
      const waitZ = () => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) resolve({ pid, stop: () => holder.kill('SIGKILL') });
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
