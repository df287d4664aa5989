import { RhoError } from '../errors.ts';
import { BYTE_TO_CHAR } from './bytelevel.ts';
import { byteLevelBpeJson, byteLevelPreTokenizer, type TokenizerJsonObject } from './bpe-json.ts';
import { buildPreTokenizer } from './pretokenizer.ts';

export type { TokenizerJsonObject } from './bpe-json.ts';

export interface TrainBpeOptions {
  /** Size of the final vocabulary, special tokens and the 256 byte symbols included. */
  vocabSize: number;
  /**
   * Added as special tokens with the first ids. The default puts `<s>` at 1 and `</s>` at 2, the
   * ids a Hugging Face LlamaConfig assumes when config.json names none.
   */
  specialTokens?: string[];
  /** The token the post-processor puts in front of every encoding (default `<s>` when present). */
  bosToken?: string | null;
  /** Isolate every digit, as Llama's tokenizer does, so numbers are read digit by digit. */
  splitDigits?: boolean;
  /** Pairs seen fewer times than this are never merged (default 2); training may then stop short. */
  minFrequency?: number;
  onProgress?: (merges: number, total: number) => void;
}

export const DEFAULT_SPECIAL_TOKENS: readonly string[] = Object.freeze(['<unk>', '<s>', '</s>', '<pad>']);

/**
 * Train a byte-level BPE vocabulary (GPT-2 style: every byte has a token, so nothing is unknown).
 * Pairs are counted once, then only the words containing the merged pair are recounted, so each
 * merge costs time in proportion to where it occurs, not to the corpus.
 */
export function trainBpe(texts: Iterable<string>, opts: TrainBpeOptions): TokenizerJsonObject {
  const specials = [...(opts.specialTokens ?? DEFAULT_SPECIAL_TOKENS)];
  if (new Set(specials).size !== specials.length) throw new RhoError('BAD_CONFIG', 'special tokens repeat', { field: 'specialTokens', got: specials });
  const minFrequency = opts.minFrequency ?? 2;
  const base = specials.length + 256;
  if (!Number.isInteger(opts.vocabSize) || opts.vocabSize < base) {
    throw new RhoError('BAD_CONFIG', `vocabulary size must be an integer of at least ${base} (special tokens + 256 bytes)`, {
      field: 'vocabSize',
      got: opts.vocabSize,
    });
  }
  const preTokenizerSpec = byteLevelPreTokenizer(opts.splitDigits ?? false);
  const preTokenize = buildPreTokenizer(preTokenizerSpec);

  // Distinct words with their counts; specials are removed from the text so they are never learnt.
  const specialRe = specials.length ? new RegExp(specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : undefined;
  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    const parts = specialRe ? text.split(specialRe) : [text];
    for (const part of parts) {
      if (!part) continue;
      for (const w of preTokenize([part], true)) wordCounts.set(w, (wordCounts.get(w) ?? 0) + 1);
    }
  }

  const tokens: string[] = [...specials, ...BYTE_TO_CHAR];
  const charId = new Map<string, number>(BYTE_TO_CHAR.map((c, b) => [c, specials.length + b]));
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [w, n] of wordCounts) {
    words.push(Array.from(w, (c) => charId.get(c)!));
    freqs.push(n);
  }

  const K = opts.vocabSize;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addPairs = (wi: number, sign: 1 | -1, only?: number) => {
    const w = words[wi]!;
    const f = freqs[wi]! * sign;
    for (let i = 0; i + 1 < w.length; i++) {
      if (only !== undefined && w[i] !== only && w[i + 1] !== only) continue;
      const key = w[i]! * K + w[i + 1]!;
      pairCount.set(key, (pairCount.get(key) ?? 0) + f);
      if (sign > 0) {
        let s = pairWords.get(key);
        if (!s) pairWords.set(key, (s = new Set()));
        s.add(wi);
      }
    }
  };
  for (let wi = 0; wi < words.length; wi++) addPairs(wi, 1);

  const heap = new PairHeap();
  for (const [key, count] of pairCount) heap.push(count, key);

  const merges: string[] = [];
  const total = K - base;
  while (tokens.length < K && heap.size > 0) {
    const { count, key } = heap.pop();
    const current = pairCount.get(key) ?? 0;
    if (current !== count) {
      // A stale entry: the pair lost occurrences to earlier merges. Requeue it at its real count.
      if (current > 0) heap.push(current, key);
      continue;
    }
    if (count < minFrequency) break;
    const a = Math.floor(key / K);
    const b = key - a * K;
    const id = tokens.length;
    tokens.push(tokens[a]! + tokens[b]!);
    merges.push(`${tokens[a]} ${tokens[b]}`);
    const grown = new Set<number>();
    for (const wi of pairWords.get(key) ?? []) {
      const w = words[wi]!;
      addPairs(wi, -1);
      const merged: number[] = [];
      for (let i = 0; i < w.length; i++) {
        if (i + 1 < w.length && w[i] === a && w[i + 1] === b) {
          merged.push(id);
          i++;
        } else {
          merged.push(w[i]!);
        }
      }
      words[wi] = merged;
      addPairs(wi, 1);
      for (let i = 0; i + 1 < merged.length; i++) {
        if (merged[i] === id || merged[i + 1] === id) grown.add(merged[i]! * K + merged[i + 1]!);
      }
    }
    pairWords.delete(key);
    pairCount.delete(key);
    // Only pairs holding the new token can have grown; every other count only fell (handled lazily).
    for (const g of grown) heap.push(pairCount.get(g)!, g);
    opts.onProgress?.(merges.length, total);
  }

  return byteLevelBpeJson({
    tokens,
    merges,
    specials,
    bos: opts.bosToken === undefined ? (specials.includes('<s>') ? '<s>' : null) : opts.bosToken,
    preTokenizer: preTokenizerSpec,
  });
}

/** Max-heap of (count, pair key); equal counts pop the smaller key first, so training is deterministic. */
class PairHeap {
  private readonly counts: number[] = [];
  private readonly keys: number[] = [];
  get size(): number {
    return this.counts.length;
  }
  private before(i: number, j: number): boolean {
    const ci = this.counts[i]!;
    const cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.counts.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): { count: number; key: number } {
    const top = { count: this.counts[0]!, key: this.keys[0]! };
    const last = this.counts.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let best = i;
      if (l < this.counts.length && this.before(l, best)) best = l;
      if (r < this.counts.length && this.before(r, best)) best = r;
      if (best === i) break;
      this.swap(i, best);
      i = best;
    }
    return top;
  }
}
