/** Log-probabilities from one row of logits: the chosen token's and the k most likely. */
export interface TokenLogprob {
  id: number;
  logprob: number;
  top: Array<{ id: number; logprob: number }>;
}

/**
 * log softmax(row)[id] and the top k, in float64 as core's tokenLosses computes losses (so prompt
 * log-probabilities match local scoring to the last bit of the float32 they are stored in).
 */
export function tokenLogprob(row: Float32Array, id: number, k: number): TokenLogprob {
  let max = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > max) max = row[i]!;
  let sum = 0;
  for (let i = 0; i < row.length; i++) sum += Math.exp(row[i]! - max);
  const lse = max + Math.log(sum);
  // as tokenLosses stores the loss: float32
  const lp = (x: number) => -Math.fround(lse - x);
  return { id, logprob: lp(row[id]!), top: topK(row, k).map((i) => ({ id: i, logprob: lp(row[i]!) })) };
}

/** Indexes of the k largest values, largest first (the lower index first on ties). */
export function topK(row: Float32Array, k: number): number[] {
  if (k <= 0) return [];
  const best: number[] = [];
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (best.length === k && v <= row[best[k - 1]!]!) continue;
    let at = best.length;
    while (at > 0 && row[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
