import type { CorpusSplit } from '../shards/corpus.ts';
import { buildBatch, stepWindows, type Batch } from '../shards/windows.ts';
import type { ScoreReader } from '../score/store.ts';

/** A training batch as core's trainStep takes it, plus what selection and bookkeeping need. */
export interface SlmBatch {
  ids: Int32Array;
  mask: Int32Array;
  batchSize: number;
  seqLen: number;
  /** [B, T−1]: 1 where the target is real (and, in slm mode, has a reference score). */
  valid: Float32Array;
  nValid: number;
  /** [B, T−1] reference losses of the targets (0 where not valid), slm mode only. */
  reference: Float32Array | null;
  /** [B, T−1] 1 where the target token is recorded noise, when the corpus records noise. */
  noise: Uint8Array | null;
}

/** Gather a batch's targets' per-position values ([B, T−1]) from a position-indexed reader. */
function gatherTargets<T extends Float32Array | Uint8Array>(b: Batch, make: (n: number) => T, read: (start: number, count: number) => ArrayLike<number>): T {
  const T1 = b.seqLen - 1;
  const out = make(b.batchSize * T1);
  for (let r = 0; r < b.batchSize; r++) {
    const w = b.windows[r]!;
    if (w < 0) continue;
    // Targets of window w are positions w·(T−1)+1 … w·(T−1)+T−1.
    const vals = read(w * T1 + 1, T1);
    for (let t = 0; t < T1; t++) out[r * T1 + t] = (vals[t] ?? 0) as number;
  }
  return out;
}

export function makeBatch(split: CorpusSplit, windows: readonly number[], batchSize: number, seqLen: number, scores: ScoreReader | null): SlmBatch {
  const b = buildBatch(windows, batchSize, seqLen, (s, c) => split.tokens.read(s, c));
  const valid = Float32Array.from(b.targetMask);
  let reference: Float32Array | null = null;
  if (scores) {
    reference = gatherTargets(
      b,
      (n) => new Float32Array(n),
      (s, c) => scores.read(s, c),
    );
    for (let i = 0; i < valid.length; i++) {
      if (!Number.isFinite(reference[i]!)) {
        valid[i] = 0;
        reference[i] = 0;
      }
    }
  }
  const noise = split.noise
    ? gatherTargets(
        b,
        (n) => new Uint8Array(n),
        (s, c) => split.noise!.read(s, c),
      )
    : null;
  let nValid = 0;
  for (const v of valid) nValid += v;
  return { ids: b.ids, mask: Int32Array.from(b.mask), batchSize, seqLen, valid, nValid, reference, noise };
}

/** The batch of optimizer step `step`: a pure function of the step, so a resumed run sees the same data. */
export function trainingBatch(split: CorpusSplit, step: number, batchSize: number, seqLen: number, seed: number, scores: ScoreReader | null): SlmBatch {
  return makeBatch(split, stepWindows(step, batchSize, split.windows(seqLen), seed), batchSize, seqLen, scores);
}
