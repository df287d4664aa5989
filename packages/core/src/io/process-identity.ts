import { readFileSync } from 'node:fs';

/**
 * Whether a process id names a live process, and which process: a pid alone is reused by the
 * kernel, so a lock or a temporary file also records the process's start time (Linux: field 22
 * of /proc/<pid>/stat, clock ticks since boot). Elsewhere the start time is unknown and the pid
 * alone decides.
 */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) may hold spaces and parentheses: count fields after its last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
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
