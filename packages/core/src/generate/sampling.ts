/**
 * Token choice from one row of logits: greedy, or temperature + nucleus (top-p) sampling with a
 * seeded generator, so a seed reproduces a run exactly. Pure functions on plain arrays.
 */

/** A small, fast, seedable PRNG (mulberry32); returns uniform floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Index of the largest value; the lowest index wins a tie (as torch.argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let bv = -Infinity;
  for (let i = 0; i < row.length; i++) {
    if (row[i]! > bv) {
      bv = row[i]!;
      best = i;
    }
  }
  return best;
}

/**
 * Sample from softmax(logits / temperature) restricted to the smallest set of most likely tokens
 * whose probability reaches `topP` (the most likely token is always kept).
 */
export function sampleToken(logits: ArrayLike<number>, temperature: number, topP: number, rng: () => number): number {
  if (temperature <= 0) return argmax(logits);
  const n = logits.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if (logits[i]! > max) max = logits[i]!;
  const probs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp((logits[i]! - max) / temperature);
    probs[i] = p;
    sum += p;
  }
  let order: number[];
  let keep = n;
  if (topP < 1) {
    order = Array.from({ length: n }, (_, i) => i).sort((x, y) => probs[y]! - probs[x]! || x - y);
    let cum = 0;
    keep = 0;
    while (keep < n) {
      cum += probs[order[keep]!]! / sum;
      keep++;
      if (cum >= topP) break;
    }
  } else {
    order = Array.from({ length: n }, (_, i) => i);
  }
  let mass = 0;
  for (let i = 0; i < keep; i++) mass += probs[order[i]!]!;
  let r = rng() * mass;
  for (let i = 0; i < keep; i++) {
    r -= probs[order[i]!]!;
    if (r < 0) return order[i]!;
  }
  return order[keep - 1]!;
}

/** Where the earliest of `stops` occurs in `text`, or -1. */
export function findStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}
