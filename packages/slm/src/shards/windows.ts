import { seededRandom } from './random.ts';

/**
 * Training and scoring see a split as windows of `seqLen` tokens that overlap by one:
 * window w holds positions [w·(T−1), w·(T−1)+T), and predicts positions w·(T−1)+1 … w·(T−1)+T−1.
 * So every position except 0 is a target exactly once, with the same context for the reference
 * (score) and the trained model (train): excess losses compare like with like.
 */
export function windowCount(nTokens: number, seqLen: number): number {
  return nTokens <= 1 ? 0 : Math.ceil((nTokens - 1) / (seqLen - 1));
}

export const windowStart = (w: number, seqLen: number) => w * (seqLen - 1);

/** Token position of window w's target t (t in [0, T−1)). */
export const targetPosition = (w: number, t: number, seqLen: number) => w * (seqLen - 1) + t + 1;

export interface Batch {
  /** [B, T] int32 ids, 0 where padded. */
  ids: Int32Array;
  /** [B, T] 1 = real token, 0 = padding (right-padded last window). */
  mask: Float32Array;
  /** [B, T−1] 1 where the target token is real. */
  targetMask: Float32Array;
  /** [B] window ids, −1 for an all-padding filler row. */
  windows: number[];
  batchSize: number;
  seqLen: number;
  /** Number of real targets. */
  nTargets: number;
}

/** Build a batch from windows; `read(start, count)` returns token ids (clipped at the end). */
export function buildBatch(windows: readonly number[], batchSize: number, seqLen: number, read: (start: number, count: number) => ArrayLike<number>): Batch {
  const ids = new Int32Array(batchSize * seqLen);
  const mask = new Float32Array(batchSize * seqLen);
  const targetMask = new Float32Array(batchSize * (seqLen - 1));
  const rows: number[] = [];
  let nTargets = 0;
  for (let b = 0; b < batchSize; b++) {
    const w = windows[b] ?? -1;
    rows.push(w);
    if (w < 0) continue;
    const toks = read(windowStart(w, seqLen), seqLen);
    for (let t = 0; t < toks.length; t++) {
      ids[b * seqLen + t] = toks[t]!;
      mask[b * seqLen + t] = 1;
      if (t > 0) {
        targetMask[b * (seqLen - 1) + t - 1] = 1;
        nTargets++;
      }
    }
  }
  return { ids, mask, targetMask, windows: rows, batchSize, seqLen, nTargets };
}

/** A seeded permutation of [0, n): the order windows are visited in one epoch. */
export function shuffledOrder(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const rnd = seededRandom(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** Windows of training step `step` (0-based): epochs reshuffle with seed + epoch, so any step is reproducible from its number alone (exact resume). */
export function stepWindows(step: number, batchSize: number, nWindows: number, seed: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < batchSize; b++) {
    const k = step * batchSize + b;
    const epoch = Math.floor(k / nWindows);
    out.push(epochOrder(nWindows, seed + epoch)[k % nWindows]!);
  }
  return out;
}

let memo: { n: number; seed: number; order: number[] } | null = null;
function epochOrder(n: number, seed: number): number[] {
  if (!memo || memo.n !== n || memo.seed !== seed) memo = { n, seed, order: shuffledOrder(n, seed) };
  return memo.order;
}
