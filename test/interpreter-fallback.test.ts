/**
 * The layer that is always there, alone: isolation "rlimits" (what a machine without working
 * bubblewrap gets). Real python3 processes: a scrubbed environment, the time, memory and output
 * limits, the program's process group killed after it, the level recorded, one loud warning.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PythonSandbox } from '@rho/eval';

/** Alive and not a zombie. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('python sandbox without bubblewrap', () => {
  const stderr = vi.spyOn(process.stderr, 'write');
  // nproc raised: the test starts a background process to see the process group killed.
  const a = new PythonSandbox({ isolation: 'rlimits', concurrency: 1, timeoutS: 1, nproc: 1 << 20 });
  const b = new PythonSandbox({ isolation: 'rlimits', concurrency: 1, timeoutS: 1 });
  afterAll(async () => {
    await a.dispose();
    await b.dispose();
    stderr.mockRestore();
  });

  it('keeps the limits, kills what the program leaves behind, and warns once', async () => {
    process.env.RHO_FALLBACK_SECRET = 'hidden';
    try {
      const [env, loop, mem, out, bg] = await a.runBatch(
        [
          'import os\nprint(sorted(k for k in os.environ if "SECRET" in k))',
          'while True:\n    pass',
          'x = bytearray(20 * 1024 ** 3)',
          'while True:\n    print("y" * 1000)',
          'import subprocess\nprint(subprocess.Popen(["sleep", "60"]).pid)',
        ],
        'tora',
      );
      expect(env!.output).toBe('[]');
      expect(loop).toMatchObject({ timedOut: true, report: 'Timeout Error', isolation: 'rlimits' });
      expect(mem!.report).toBe('MemoryError');
      expect(out!.report).toMatch(/^OutputLimitError/);
      const pid = Number(bg!.output);
      expect(pid).toBeGreaterThan(1);
      // The sleep was in the program's process group, which the server killed (and reaped) after it.
      expect(running(pid)).toBe(false);
      expect((await b.run('print(sum(range(10)))', 'tora')).output).toBe('45');
    } finally {
      delete process.env.RHO_FALLBACK_SECRET;
    }
    const warnings = stderr.mock.calls.filter((c) => String(c[0]).includes('WITHOUT bubblewrap'));
    expect(warnings).toHaveLength(1);
  }, 120_000);
});
