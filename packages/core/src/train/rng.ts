/**
 * A seeded random generator whose whole state is four 32-bit words of plain data, so a trainer
 * checkpoint can store it in JSON and a resumed run draws the same numbers (xoshiro128**).
 * Functions advance the state object in place: it is the generator.
 */
export interface RngState {
  s: [number, number, number, number];
}

/** SplitMix32 expands a seed into well-mixed words (xoshiro must not start from all zeros). */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) >>> 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return [x, (z ^ (z >>> 16)) >>> 0];
}

export function rngFromSeed(seed: number, stream = 0): RngState {
  if (!Number.isInteger(seed)) throw new RangeError(`rng seed must be an integer, got ${seed}`);
  // Mix the high and low halves so seeds beyond 2^32 still differ.
  let x = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x27d4eb2d) ^ Math.imul(stream >>> 0, 0x165667b1);
  const s: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [nx, out] = splitmix32(x);
    x = nx;
    s.push(out);
  }
  if (!s.some((w) => w !== 0)) s[0] = 1;
  return { s: s as RngState['s'] };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Next uniform 32-bit unsigned integer. */
export function nextUint32(rng: RngState): number {
  const s = rng.s;
  const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
  const t = (s[1] << 9) >>> 0;
  s[2] = (s[2] ^ s[0]) >>> 0;
  s[3] = (s[3] ^ s[1]) >>> 0;
  s[1] = (s[1] ^ s[2]) >>> 0;
  s[0] = (s[0] ^ s[3]) >>> 0;
  s[2] = (s[2] ^ t) >>> 0;
  s[3] = rotl(s[3], 11);
  return result;
}

/** Uniform in [0, 1) with 32 bits of resolution. */
export function nextFloat(rng: RngState): number {
  return nextUint32(rng) / 2 ** 32;
}

/** Uniform integer in [0, n), without modulo bias. */
export function nextInt(rng: RngState, n: number): number {
  if (!Number.isInteger(n) || n <= 0 || n > 2 ** 32) throw new RangeError(`nextInt bound must be an integer in [1, 2^32], got ${n}`);
  const limit = 2 ** 32 - (2 ** 32 % n);
  for (;;) {
    const x = nextUint32(rng);
    if (x < limit) return x % n;
  }
}

/** Fisher–Yates shuffle of `items` in place. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array, rng: RngState): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = nextInt(rng, i + 1);
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
}

export function cloneRng(rng: RngState): RngState {
  return { s: [...rng.s] };
}

/** Validates a state read back from JSON. */
export function isRngState(x: unknown): x is RngState {
  if (!x || typeof x !== 'object') return false;
  const s = (x as { s?: unknown }).s;
  return Array.isArray(s) && s.length === 4 && s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) && s.some((w) => w !== 0);
}
