/**
 * Cross-entropy of each next token from a row's logits ([T, V] row-major): T-1 losses. Engines that
 * hand back logits (native, llama.cpp) score with it; tfjs computes losses on the device.
 */
export function lossesFromLogitRows(rows: readonly (readonly number[])[], logits: readonly Float32Array[], v: number): Float32Array[] {
  return logits.map((l, b) => {
    const ids = rows[b]!;
    const out = new Float32Array(Math.max(0, ids.length - 1));
    for (let t = 0; t + 1 < ids.length; t++) {
      const row = l.subarray(t * v, (t + 1) * v);
      let max = -Infinity;
      for (let i = 0; i < v; i++) if (row[i]! > max) max = row[i]!;
      let sum = 0;
      for (let i = 0; i < v; i++) sum += Math.exp(row[i]! - max);
      out[t] = max + Math.log(sum) - row[ids[t + 1]!]!;
    }
    return out;
  });
}
