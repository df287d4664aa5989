import { describe, expect, it } from 'vitest';
import { formatBytes, peakRssBytes } from './memory.ts';

describe('peak RSS', () => {
  it('is in bytes and never below what is resident now', () => {
    const now = process.memoryUsage().rss;
    expect(peakRssBytes()).toBeGreaterThanOrEqual(now);
  });

  it('reads as GB, MB or kB', () => {
    expect(formatBytes(2_710_000_000)).toBe('2.71 GB');
    expect(formatBytes(512_000_000)).toBe('512.0 MB');
    expect(formatBytes(1_500)).toBe('1.5 kB');
  });
});
