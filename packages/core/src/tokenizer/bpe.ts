import { RhoError } from '../errors.ts';

/** The fields of a Hugging Face `model: {type: "BPE"}` this implementation honours. */
export interface BpeSpec {
  vocab: Record<string, number>;
  merges: ReadonlyArray<string | readonly [string, string]>;
  unkToken: string | null;
  byteFallback: boolean;
  fuseUnk: boolean;
  ignoreMerges: boolean;
}

const BYTE_TOKEN = /^<0x[0-9A-F]{2}>$/;
// Packing (rank, position) and (rank, new id) into one double keeps the heap and the merge table
// free of per-entry objects; both factors stay far below 2^53.
const POS_SPAN = 2 ** 24;
const ID_SPAN = 2 ** 21;
const CACHE_LIMIT = 200_000;
const CACHE_MAX_WORD = 256;

/**
 * Byte-pair encoding with Hugging Face `tokenizers` semantics: characters (or their UTF-8 byte
 * tokens `<0xNN>` under byte fallback, else the unknown token) merged lowest rank first, leftmost
 * first among equal ranks. Results are cached per word, since corpora repeat words endlessly.
 */
export class BpeModel {
  readonly idToToken: string[] = [];
  readonly tokenToId: Map<string, number>;
  readonly unkId: number | undefined;
  private readonly merges = new Map<number, number>();
  private readonly stride: number;
  private readonly byteIds: number[] | undefined;
  private readonly cache = new Map<string, readonly number[]>();
  /** Adjacent character pairs found inside some token: a merge can never join across any other pair. */
  private readonly joinable: Set<string> | undefined;

  constructor(private readonly spec: BpeSpec) {
    this.tokenToId = new Map(Object.entries(spec.vocab));
    let maxId = -1;
    for (const [tok, id] of this.tokenToId) {
      if (!Number.isInteger(id) || id < 0)
        throw new RhoError('BAD_INPUT', `token ${JSON.stringify(tok)} has id ${JSON.stringify(id)}`, {
          field: 'model.vocab',
          expected: 'a non-negative integer',
        });
      this.idToToken[id] = tok;
      if (id > maxId) maxId = id;
    }
    this.stride = maxId + 1;
    if (this.stride >= ID_SPAN) throw new RhoError('UNSUPPORTED', `BPE vocabulary of ${this.stride} ids is larger than ${ID_SPAN}`);
    this.unkId = spec.unkToken != null ? this.tokenToId.get(spec.unkToken) : undefined;

    let mergesTouchBytes = false;
    spec.merges.forEach((m, rank) => {
      const [a, b] = typeof m === 'string' ? splitMerge(m, rank) : Array.isArray(m) && m.length === 2 ? m : badMerge(m, rank);
      const ia = this.tokenToId.get(a);
      const ib = this.tokenToId.get(b);
      const ic = this.tokenToId.get(a + b);
      if (ia === undefined || ib === undefined || ic === undefined) {
        throw new RhoError('BAD_INPUT', `merge ${rank} (${JSON.stringify(a)} + ${JSON.stringify(b)}) uses a token missing from the vocabulary`, {
          field: 'model.merges',
        });
      }
      if ((a.length === 6 && BYTE_TOKEN.test(a)) || (b.length === 6 && BYTE_TOKEN.test(b))) mergesTouchBytes = true;
      const key = ia * this.stride + ib;
      if (!this.merges.has(key)) this.merges.set(key, rank * ID_SPAN + ic);
    });

    if (spec.byteFallback) {
      const ids: number[] = [];
      for (let b = 0; b < 256; b++) {
        const id = this.tokenToId.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (id === undefined) break;
        ids.push(id);
      }
      this.byteIds = ids.length === 256 ? ids : undefined;
    }

    // Splitting a long piece where no merge can reach gives the same tokens as merging it whole,
    // and turns one uncachable piece (a Llama line has no pre-tokenizer) into cachable words.
    if (!mergesTouchBytes && !spec.ignoreMerges) {
      const joinable = new Set<string>();
      for (const tok of this.tokenToId.keys()) {
        let prev: string | undefined;
        for (const ch of tok) {
          if (prev !== undefined) joinable.add(prev + ch);
          prev = ch;
        }
      }
      this.joinable = joinable;
    }
  }

  get vocabSize(): number {
    return this.stride;
  }

  /** Token ids of one pre-tokenized piece. */
  tokenize(piece: string, out: number[] = []): number[] {
    if (piece.length === 0) return out;
    if (this.joinable === undefined || piece.length < 16) {
      return this.appendWord(piece, out);
    }
    let start = 0;
    let prev = '';
    let i = 0;
    while (i < piece.length) {
      const cp = piece.codePointAt(i)!;
      const ch = cp > 0xffff ? piece.slice(i, i + 2) : piece[i]!;
      if (i > start && !this.joinable.has(prev + ch)) {
        this.appendWord(piece.slice(start, i), out);
        start = i;
      }
      prev = ch;
      i += ch.length;
    }
    return this.appendWord(piece.slice(start), out);
  }

  private appendWord(word: string, out: number[]): number[] {
    let ids = this.cache.get(word);
    if (ids === undefined) {
      ids = this.merge(word);
      // Long pieces rarely repeat; keeping them would only hold memory.
      if (word.length <= CACHE_MAX_WORD) {
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(word, ids);
      }
    }
    // Unknown characters on either side of a chunk boundary would have fused in one piece.
    if (this.spec.fuseUnk && ids.length > 0 && ids[0] === this.unkId && out.length > 0 && out[out.length - 1] === this.unkId) {
      for (let k = 1; k < ids.length; k++) out.push(ids[k]!);
    } else {
      for (const id of ids) out.push(id);
    }
    return out;
  }

  private merge(word: string): number[] {
    if (this.spec.ignoreMerges) {
      const whole = this.tokenToId.get(word);
      if (whole !== undefined) return [whole];
    }
    const sym: number[] = [];
    for (const ch of word) {
      const id = this.tokenToId.get(ch);
      if (id !== undefined) {
        sym.push(id);
        continue;
      }
      if (this.byteIds !== undefined) {
        for (const b of new TextEncoder().encode(ch)) sym.push(this.byteIds[b]!);
        continue;
      }
      if (this.unkId === undefined) continue; // as Hugging Face does: no unknown token, the character is dropped
      if (this.spec.fuseUnk && sym.length > 0 && sym[sym.length - 1] === this.unkId) continue;
      sym.push(this.unkId);
    }
    const n = sym.length;
    if (n < 2) return sym;
    if (n >= POS_SPAN) throw new RhoError('UNSUPPORTED', `a piece of ${n} symbols is too long to merge`);

    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    const heap = new MinHeap();
    for (let i = 0; i + 1 < n; i++) {
      const m = this.merges.get(sym[i]! * this.stride + sym[i + 1]!);
      if (m !== undefined) heap.push(Math.floor(m / ID_SPAN) * POS_SPAN + i);
    }
    while (heap.size > 0) {
      const top = heap.pop();
      const rank = Math.floor(top / POS_SPAN);
      const pos = top - rank * POS_SPAN;
      const right = next[pos]!;
      if (!alive[pos] || right < 0) continue;
      const m = this.merges.get(sym[pos]! * this.stride + sym[right]!);
      // Entries go stale when a neighbour merged first; the pair's current rank tells.
      if (m === undefined || Math.floor(m / ID_SPAN) !== rank) continue;
      sym[pos] = m - rank * ID_SPAN;
      alive[right] = 0;
      const after = next[right]!;
      next[pos] = after;
      if (after >= 0) prev[after] = pos;
      const before = prev[pos]!;
      if (before >= 0) {
        const mb = this.merges.get(sym[before]! * this.stride + sym[pos]!);
        if (mb !== undefined) heap.push(Math.floor(mb / ID_SPAN) * POS_SPAN + before);
      }
      if (after >= 0) {
        const ma = this.merges.get(sym[pos]! * this.stride + sym[after]!);
        if (ma !== undefined) heap.push(Math.floor(ma / ID_SPAN) * POS_SPAN + pos);
      }
    }
    const out: number[] = [];
    for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
    return out;
  }

  clearCache(): void {
    this.cache.clear();
  }
}

/** Old-style merges are "a b"; a token holding a space makes that ambiguous, so refuse it loudly. */
function splitMerge(m: string, rank: number): [string, string] {
  const parts = m.split(' ');
  if (parts.length !== 2) {
    throw new RhoError('BAD_INPUT', `merge ${rank} ${JSON.stringify(m)} is not two space-separated tokens`, {
      field: 'model.merges',
      hint: 'tokenizers >= 0.20 writes merges as [left, right] pairs, which allows spaces in tokens',
    });
  }
  return [parts[0]!, parts[1]!];
}

function badMerge(m: unknown, rank: number): never {
  throw new RhoError('BAD_INPUT', `merge ${rank} is ${JSON.stringify(m)}`, { field: 'model.merges', expected: '"left right" or [left, right]' });
}

/** Binary min-heap of numbers. */
class MinHeap {
  private readonly a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(v: number): void {
    const a = this.a;
    let i = a.length;
    a.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}
