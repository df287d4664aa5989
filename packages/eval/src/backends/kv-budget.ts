import { totalmem } from 'node:os';
import { RhoError } from '@rho/core/base';

const UNITS: Record<string, number> = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

/** A size such as 8G, 512M, 1.5G or a byte count, as bytes. */
export function parseBytes(text: string, field: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  const bytes = m ? Number(m[1]) * UNITS[m[2]!.toUpperCase()]! : NaN;
  if (!(bytes > 0)) throw new RhoError('BAD_CONFIG', `${field} must be a size such as 8G or 512M, got '${text}'`, { field });
  return Math.floor(bytes);
}

/**
 * Key/value memory for a loaded model when none is given: three quarters of the memory neither the
 * process (its weights are resident once loaded) nor a 2 GiB margin for the rest of the machine
 * takes; at least 256 MiB.
 */
export function defaultKvBudget(rss = process.memoryUsage.rss(), total = totalmem()): number {
  return Math.max(256 * 2 ** 20, Math.floor((total - rss - 2 * 2 ** 30) * 0.75));
}
