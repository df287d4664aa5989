import { readFileSync } from 'node:fs';

/** Another process's resident memory now and at its peak (Linux /proc/<pid>/status), in bytes; null once it is gone. */
export function procMemory(pid: number): { rss: number; hwm: number } | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/** Samples a process's VmRSS every `everyMs` and keeps the largest; VmHWM is the kernel's own peak beside it. */
export class RssSampler {
  private peak = 0;
  private hwm = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    everyMs = 100,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): void {
    const m = procMemory(this.pid);
    if (!m) return;
    this.peak = Math.max(this.peak, m.rss);
    this.hwm = Math.max(this.hwm, m.hwm);
  }

  stop(): { peakRss: number; hwm: number } {
    this.sample();
    clearInterval(this.timer);
    return { peakRss: this.peak, hwm: this.hwm };
  }
}
