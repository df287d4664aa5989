import { describe, expect, it } from 'vitest';
import { argmax, findStop, makeRng, sampleToken } from './sampling.ts';

describe('sampling', () => {
  it('argmax takes the first of tied maxima', () => {
    expect(argmax([1, 3, 3, 2])).toBe(1);
    expect(argmax([-5, -1, -9])).toBe(1);
  });

  it('temperature 0 is greedy', () => {
    expect(sampleToken([0.1, 2, 0.3], 0, 1, makeRng(1))).toBe(1);
  });

  it('top-p keeps the smallest set reaching p, so unlikely tokens never come', () => {
    // probabilities ~ [0.665, 0.245, 0.09]: top-p 0.8 keeps the first two only
    const logits = [Math.log(0.665), Math.log(0.245), Math.log(0.09)];
    const rng = makeRng(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[sampleToken(logits, 1, 0.8, rng)]!++;
    expect(counts[2]).toBe(0);
    // renormalised over the two kept: 0.665 / 0.91 = 0.73
    expect(counts[0]! / 4000).toBeGreaterThan(0.69);
    expect(counts[0]! / 4000).toBeLessThan(0.77);
    const all = [0, 0, 0];
    for (let i = 0; i < 4000; i++) all[sampleToken(logits, 1, 1, rng)]!++;
    expect(all[2]! / 4000).toBeGreaterThan(0.06);
  });

  it('the seeded generator is deterministic and roughly uniform', () => {
    const a = makeRng(42);
    const b = makeRng(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it('findStop finds the earliest stop string', () => {
    expect(findStop('abc\n\nQuestion: x', ['Question:', '\n\n'])).toBe(3);
    expect(findStop('abc', ['x', ''])).toBe(-1);
  });
});
