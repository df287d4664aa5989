import { RhoError } from '@rho/core';

/**
 * Which tokens of a batch get loss (the heart of Selective Language Modeling).
 *
 * - `excess`: current − reference loss; tokens the current model finds much harder than the
 *   reference are the learnable, useful ones (the paper's method).
 * - `current`: the current model's loss alone (hard-token mining, the paper's ablation baseline).
 * - `reference`: the lowest reference losses, i.e. tokens the reference finds clean and predictable.
 * - `random`: the same share of tokens drawn at random, blind to every loss (the control that
 *   tells whether a gain comes from which tokens are chosen or only from how many).
 */
export type SelectBy = 'excess' | 'current' | 'reference' | 'random';

export const SELECT_BY: readonly SelectBy[] = Object.freeze(['excess', 'current', 'reference', 'random']);

/**
 * A uniform score in [0, 1) per token for `random` selection, a function of the batch's token ids
 * and positions only: the same batch draws the same tokens, so a resumed run continues exactly.
 */
export function randomScores(ids: ArrayLike<number>, n: number): Float32Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < ids.length; i++) h = Math.imul(h ^ ids[i]!, 0x01000193) >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x = (h + Math.imul(i + 1, 0x9e3779b9)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    out[i] = ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
  }
  return out;
}

export interface SelectOptions {
  /** Fraction of the batch's valid tokens that get loss, in (0, 1]. */
  readonly ratio: number;
  readonly selectBy: SelectBy;
  /**
   * Soft weights instead of a hard cut: w = sigmoid((score − kth score) / temperature), so tokens
   * far above the cut weigh ~1, far below ~0, and the cut itself 0.5.
   */
  readonly reweight?: boolean;
  readonly temperature?: number;
}

export const DEFAULT_SELECT: SelectOptions = Object.freeze({ ratio: 0.6, selectBy: 'excess', reweight: false, temperature: 0.5 });

export function validateRatio(ratio: number): void {
  if (!(Number.isFinite(ratio) && ratio > 0 && ratio <= 1)) {
    throw new RhoError('BAD_CONFIG', `ratio must be in (0, 1]`, { field: 'ratio', expected: '(0, 1]', got: ratio });
  }
}

/** Number of tokens kept out of `valid`: at least one when any is valid, never more than all. */
export function selectedCount(valid: number, ratio: number): number {
  if (valid === 0) return 0;
  return Math.min(valid, Math.max(1, Math.round(ratio * valid)));
}

export interface Selection {
  /** Per-token loss weight: 1/0 for a hard cut, in (0, 1) with reweight; always 0 on padding. */
  readonly weights: Float32Array;
  /** Number of tokens in the hard top-k (also reported with reweight). */
  readonly selected: number;
  readonly valid: number;
  /** The selection score per token (NaN on padding). */
  readonly score: Float32Array;
}

/**
 * Score each token: higher means more wanted. A token is valid when `valid[i]` is set and its
 * losses are finite (the first token of a window has no prediction and carries NaN).
 */
export function selectionScore(
  current: ArrayLike<number>,
  reference: ArrayLike<number> | null,
  valid: ArrayLike<number>,
  selectBy: SelectBy,
  random?: ArrayLike<number>,
): Float32Array {
  const n = current.length;
  if (valid.length !== n || (reference && reference.length !== n)) {
    throw new RhoError('BAD_INPUT', 'selection inputs differ in length', { expected: n, got: { valid: valid.length, reference: reference?.length } });
  }
  if (selectBy !== 'current' && selectBy !== 'random' && !reference)
    throw new RhoError('BAD_CONFIG', `--select-by ${selectBy} needs reference scores`, { field: 'selectBy' });
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = current[i]!;
    const r = reference ? reference[i]! : 0;
    const v = selectBy === 'excess' ? c - r : selectBy === 'current' ? c : selectBy === 'random' ? (random ? random[i]! : Number.NaN) : -r;
    s[i] = valid[i] && Number.isFinite(v) ? v : Number.NaN;
  }
  return s;
}

/**
 * Top `ratio` of valid tokens by score. Ties are broken by position (earlier first), so the same
 * batch always selects the same tokens; padding is never selected.
 */
export function selectTokens(
  current: ArrayLike<number>,
  reference: ArrayLike<number> | null,
  valid: ArrayLike<number>,
  opts: SelectOptions,
  random?: ArrayLike<number>,
): Selection {
  validateRatio(opts.ratio);
  const score = selectionScore(current, reference, valid, opts.selectBy, random);
  const order: number[] = [];
  for (let i = 0; i < score.length; i++) if (!Number.isNaN(score[i]!)) order.push(i);
  order.sort((a, b) => score[b]! - score[a]! || a - b);
  const k = selectedCount(order.length, opts.ratio);
  const weights = new Float32Array(score.length);
  if (opts.reweight && k > 0) {
    const cut = score[order[k - 1]!]!;
    const t = opts.temperature ?? DEFAULT_SELECT.temperature!;
    for (const i of order) weights[i] = 1 / (1 + Math.exp(-(score[i]! - cut) / t));
  } else {
    for (let j = 0; j < k; j++) weights[order[j]!] = 1;
  }
  return { weights, selected: k, valid: order.length, score };
}

/** Weighted mean of per-token losses: the SLM objective (all-ones weights give the CLM loss). */
export function weightedMeanLoss(losses: ArrayLike<number>, weights: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < losses.length; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    num += w * losses[i]!;
    den += w;
  }
  return den === 0 ? 0 : num / den;
}
