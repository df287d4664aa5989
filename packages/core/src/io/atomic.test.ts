import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTemps, tempPathFor, tempWriterPid, writeFileAtomic } from './atomic.ts';

describe('atomic writes', () => {
  it('leave no temporary behind, and the next run removes those of a dead writer only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atomic-'));
    writeFileAtomic(join(dir, 'a.json'), '{}');
    expect(readdirSync(dir)).toEqual(['a.json']);

    // a pid that has exited (spawned without blocking the worker)
    const dead = await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      child.on('exit', () => resolve(child.pid!));
    });
    const mine = tempPathFor(join(dir, 'b.json'));
    expect(tempWriterPid(basename(mine))).toBe(process.pid);
    writeFileSync(mine, 'x');
    mkdirSync(join(dir, 'sub'));
    const stale = join(dir, 'sub', `.c.json.${dead}.abc.tmp`);
    writeFileSync(stale, 'x');
    const staleDir = join(dir, `.step-00000004.${dead}.k3.tmp.old`);
    mkdirSync(staleDir);
    expect(removeStaleTemps(dir).sort()).toEqual([staleDir, stale].sort());
    expect(existsSync(mine)).toBe(true);
  });
});
