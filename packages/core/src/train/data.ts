import { RhoError } from '../errors.ts';
import { rngFromSeed, shuffleInPlace } from './rng.ts';
import type { TokenBatch } from './step.ts';

/**
 * Batches of fixed-length windows cut from one token stream. Windows of `seqLen` tokens start
 * every seqLen−1 tokens, so each token is a prediction target exactly once per epoch; each epoch
 * visits them in an order drawn from (seed, epoch). The position is two integers, which is all a
 * checkpoint needs to continue the stream exactly.
 */
export interface WindowConfig {
  seqLen: number;
  batchSize: number;
  seed: number;
  shuffle: boolean;
}

export interface DataPosition {
  epoch: number;
  /** Windows already taken in this epoch. */
  index: number;
}

export const DATA_START: Readonly<DataPosition> = Object.freeze({ epoch: 0, index: 0 });

export function windowCount(nTokens: number, seqLen: number): number {
  return nTokens < seqLen ? 0 : Math.floor((nTokens - 1) / (seqLen - 1));
}

/** The batch at `pos` and the position after it. Pure (the epoch order is memoised). */
export function batchAt(tokens: ArrayLike<number>, pos: DataPosition, cfg: WindowConfig): { batch: TokenBatch; next: DataPosition } {
  const { seqLen, batchSize } = cfg;
  const n = windowCount(tokens.length, seqLen);
  if (n === 0) throw new RhoError('BAD_INPUT', `token stream is shorter than one window`, { field: 'tokens', expected: `≥ ${seqLen}`, got: tokens.length });
  if (!isDataPosition(pos)) throw new RhoError('BAD_INPUT', 'invalid data position', { field: 'data', got: pos });
  const ids = new Int32Array(batchSize * seqLen);
  let { epoch, index } = pos;
  for (let b = 0; b < batchSize; b++) {
    if (index >= n) {
      epoch += 1;
      index = 0;
    }
    const w = cfg.shuffle ? epochOrder(n, cfg.seed, epoch)[index]! : index;
    const start = w * (seqLen - 1);
    for (let t = 0; t < seqLen; t++) ids[b * seqLen + t] = tokens[start + t]!;
    index += 1;
  }
  return { batch: { ids, batchSize, seqLen }, next: { epoch, index } };
}

export function isDataPosition(x: unknown): x is DataPosition {
  if (!x || typeof x !== 'object') return false;
  const { epoch, index } = x as Record<string, unknown>;
  return Number.isInteger(epoch) && (epoch as number) >= 0 && Number.isInteger(index) && (index as number) >= 0;
}

let memo: { key: string; order: Uint32Array } | null = null;

function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  const key = `${n}:${seed}:${epoch}`;
  if (memo?.key !== key) {
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    shuffleInPlace(order, rngFromSeed(seed, epoch + 1));
    memo = { key, order };
  }
  return memo.order;
}
