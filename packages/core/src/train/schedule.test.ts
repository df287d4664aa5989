import { describe, expect, it } from 'vitest';
import { lrAt } from './schedule.ts';

const cfg = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 110 };

describe('lrAt', () => {
  it('warms up linearly to the peak', () => {
    expect(lrAt(0, cfg)).toBeCloseTo(1e-4, 12);
    expect(lrAt(4, cfg)).toBeCloseTo(5e-4, 12);
    expect(lrAt(9, cfg)).toBeCloseTo(1e-3, 12);
  });

  it('follows a half cosine from the peak to the floor', () => {
    expect(lrAt(10, cfg)).toBeCloseTo(1e-3, 12);
    // halfway through decay: the mean of peak and floor
    expect(lrAt(60, cfg)).toBeCloseTo(5.5e-4, 12);
    // a quarter: floor + (peak−floor)·(1+cos(π/4))/2
    expect(lrAt(35, cfg)).toBeCloseTo(1e-4 + (9e-4 * (1 + Math.SQRT1_2)) / 2, 12);
    expect(lrAt(110, cfg)).toBe(1e-4);
    expect(lrAt(1000, cfg)).toBe(1e-4);
  });

  it('is monotone in each phase', () => {
    for (let s = 1; s < 10; s++) expect(lrAt(s, cfg)).toBeGreaterThan(lrAt(s - 1, cfg));
    for (let s = 11; s <= 110; s++) expect(lrAt(s, cfg)).toBeLessThan(lrAt(s - 1, cfg));
  });

  it('handles no warmup and warmup covering the whole run', () => {
    expect(lrAt(0, { ...cfg, warmupSteps: 0 })).toBeCloseTo(1e-3, 12);
    expect(lrAt(200, { ...cfg, warmupSteps: 200, totalSteps: 100 })).toBe(1e-4);
  });
});
