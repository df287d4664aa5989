/** A batch of windows to score: ids [B, T], mask 1 = real token (right padding). */
export interface WindowBatch {
  ids: Int32Array;
  mask: ArrayLike<number>;
  batchSize: number;
  seqLen: number;
}

/** Where reference losses come from: a local model or a server. Returns [B, T−1], 0 on padding. */
export interface WindowScorer {
  lossesOf(batch: WindowBatch): Promise<Float32Array>;
}

/** The real tokens of each window of a batch (mask 1 from the start, then right padding). */
export function windowRows(b: WindowBatch): number[][] {
  return Array.from({ length: b.batchSize }, (_, r) => {
    const ids: number[] = [];
    for (let t = 0; t < b.seqLen && b.mask[r * b.seqLen + t]; t++) ids.push(b.ids[r * b.seqLen + t]!);
    return ids;
  });
}
