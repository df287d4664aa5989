import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { tempPathFor } from './atomic.ts';
import { processStartTicks, sameProcessAlive } from './process-identity.ts';

/** The lock file inside an output directory. */
export const LOCK_FILE = '.rho.lock';

/** What a lock file holds: who writes this output. */
export interface LockOwner {
  pid: number;
  /** The process's start time in clock ticks since boot (Linux), so a reused pid is not mistaken for the owner. */
  start_ticks?: string;
  started_at: string;
  command: string;
}

export interface OutputLock {
  readonly dir: string;
  release(): void;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(v.pid) ? v : undefined;
  } catch {
    return undefined; // gone meanwhile, or not ours to read
  }
}

/**
 * One writer per output directory. The lock file is written whole under a temporary name and
 * hard-linked into place, which fails if one exists: a lock file is never seen half written. A
 * lock whose process is alive refuses the second run; one left by a process that is gone (killed)
 * is taken over with a warning. The lock is removed on release and when the process exits normally.
 *
 * `createdDir`: when this call created the directory and it is empty on release, it is removed
 * too, so a run refused or failed before writing anything leaves nothing behind.
 */
export function acquireOutputLock(dir: string, opts: { warn?: (line: string) => void; command?: string } = {}): OutputLock {
  const created = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    ...(processStartTicks(process.pid) !== undefined ? { start_ticks: processStartTicks(process.pid) } : {}),
    started_at: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    command: opts.command ?? process.argv.slice(1).join(' '),
  };
  const tmp = tempPathFor(file);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(me)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 8) throw e;
      }
      const owner = readOwner(file);
      if (owner && sameProcessAlive(owner.pid, owner.start_ticks)) {
        throw new RhoError('BAD_CONFIG', `another run (pid ${owner.pid}, started ${owner.started_at}) is writing this output directory`, {
          file: dir,
          hint: `wait for it to finish, or use another --out; its command: ${owner.command}`,
        });
      }
      // the owner is gone (or the file unreadable): take over, unless someone else did meanwhile
      const again = readOwner(file);
      if (JSON.stringify(again) !== JSON.stringify(owner)) continue;
      rmSync(file, { force: true });
      opts.warn?.(`warning: taking over the lock of ${dir} left by pid ${owner?.pid ?? '?'} (started ${owner?.started_at ?? '?'}), which is no longer running`);
    }
  } finally {
    rmSync(tmp, { force: true });
  }

  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.off('exit', release);
    if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
    if (created) {
      try {
        if (readdirSync(dir).length === 0) rmdirSync(dir);
      } catch {
        // someone else's files arrived; leave the directory
      }
    }
  };
  process.on('exit', release);
  return { dir, release };
}
