import { totalmem } from 'node:os';

/**
 * Key/value memory for a loaded model when none is given: three quarters of the memory neither the
 * process (its weights are resident once loaded) nor a 2 GiB margin for the rest of the machine
 * takes; at least 256 MiB.
 */
export function defaultKvBudget(rss = process.memoryUsage.rss(), total = totalmem()): number {
  return Math.max(256 * 2 ** 20, Math.floor((total - rss - 2 * 2 ** 30) * 0.75));
}
