import { describe, expect, it } from 'vitest';
import { cloneRng, isRngState, nextFloat, nextInt, nextUint32, rngFromSeed, shuffleInPlace } from './rng.ts';

describe('rng', () => {
  it('is reproducible from a seed and from a JSON round trip of its state', () => {
    const a = rngFromSeed(42);
    for (let i = 0; i < 10; i++) nextUint32(a);
    const saved = JSON.parse(JSON.stringify(a));
    expect(isRngState(saved)).toBe(true);
    const fromSeed = rngFromSeed(42);
    for (let i = 0; i < 10; i++) nextUint32(fromSeed);
    const next = Array.from({ length: 20 }, () => nextUint32(a));
    expect(Array.from({ length: 20 }, () => nextUint32(saved))).toEqual(next);
    expect(Array.from({ length: 20 }, () => nextUint32(fromSeed))).toEqual(next);
  });

  it('different seeds and streams give different sequences', () => {
    const seq = (r: ReturnType<typeof rngFromSeed>) => Array.from({ length: 8 }, () => nextUint32(r));
    expect(seq(rngFromSeed(1))).not.toEqual(seq(rngFromSeed(2)));
    expect(seq(rngFromSeed(1, 0))).not.toEqual(seq(rngFromSeed(1, 1)));
    expect(seq(rngFromSeed(2 ** 32 + 1))).not.toEqual(seq(rngFromSeed(1)));
  });

  it('is roughly uniform', () => {
    const r = rngFromSeed(7);
    const counts = new Array(10).fill(0);
    let sum = 0;
    for (let i = 0; i < 20000; i++) {
      counts[nextInt(r, 10)]++;
      sum += nextFloat(r);
    }
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
    expect(Math.abs(sum / 20000 - 0.5)).toBeLessThan(0.01);
  });

  it('shuffles into a permutation, and clones are independent', () => {
    const r = rngFromSeed(3);
    const c = cloneRng(r);
    const xs = Array.from({ length: 50 }, (_, i) => i);
    shuffleInPlace(xs, r);
    expect([...xs].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(xs).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    const ys = Array.from({ length: 50 }, (_, i) => i);
    shuffleInPlace(ys, c);
    expect(ys).toEqual(xs);
  });

  it('rejects malformed states', () => {
    expect(isRngState({ s: [0, 0, 0, 0] })).toBe(false);
    expect(isRngState({ s: [1, 2, 3] })).toBe(false);
    expect(isRngState({ s: [1, 2, 3, -1] })).toBe(false);
    expect(() => rngFromSeed(1.5)).toThrow(RangeError);
  });
});
