import { readFileSync } from 'node:fs';

/**
 * Whether a process id names a live process, and which process: a pid alone is reused by the
 * kernel, so a lock or a temporary file also records the process's start time (Linux: field 22
 * of /proc/<pid>/stat, clock ticks since boot). Elsewhere the start time is unknown and the pid
 * alone decides.
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

export function processStartTicks(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/**
 * A killed process whose parent died too stays a zombie until something reaps it, and in a
 * container whose init does not reap, that is forever; it answers signal 0 but holds no files
 * and writes nothing, so it counts as gone.
 */
function isZombie(pid: number): boolean {
  const state = statFields(pid)?.[0];
  return state === 'Z' || state === 'X';
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (e) {
    // EPERM: it exists, owned by someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process `pid` is running and, when a start time was recorded, is the same process. */
export function sameProcessAlive(pid: number, startTicks: string | undefined): boolean {
  if (!pidAlive(pid)) return false;
  if (startTicks === undefined) return true;
  const now = processStartTicks(pid);
  return now === undefined || now === startTicks;
}
