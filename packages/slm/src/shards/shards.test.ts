import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RhoError } from '@rho/core';
import { Corpus } from './corpus.ts';
import { encodeDoc, prepareCorpus } from './prepare.ts';
import { injectNoise, DEFAULT_NOISE } from '../experiment/noise.ts';
import { ByteTokenizer, loadTokenizer, writeByteTokenizerJson } from './tokenizer.ts';
import { buildBatch, stepWindows, targetPosition, windowCount } from './windows.ts';

const tmp = mkdtempSync(join(tmpdir(), 'slm-shards-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const bytes = { tokenizer: new ByteTokenizer(), kind: 'bytes' as const, sha256: 'bytes', path: null };

function writeCorpus(name: string, rows: unknown[]): string {
  const f = join(tmp, name);
  writeFileSync(f, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
  return f;
}

describe('prepare', () => {
  const rows = Array.from({ length: 40 }, (_, i) => ({ question: `Q${i}: what is ${i}+1?`, answer: `It is ${i + 1}. ✓` }));
  const input = writeCorpus('c.jsonl', rows);

  it('writes tokens, a document index and a deterministic disjoint train/val split', () => {
    const out = join(tmp, 'prep');
    const meta = prepareCorpus({ inputs: [input], fields: ['question', 'answer'], out, tokenizer: bytes, valFraction: 0.25, seed: 3 });
    expect(meta.dtype).toBe('uint16');
    expect(meta.splits.train!.docs + meta.splits.val!.docs).toBe(40);
    expect(meta.splits.val!.docs).toBeGreaterThan(0);
    const corpus = Corpus.open(out);
    const seen: string[] = [];
    for (const split of ['train', 'val']) {
      const s = corpus.split(split);
      expect(s.length).toBe(meta.splits[split]!.tokens);
      expect(statSync(join(out, `${split}.tokens`)).size).toBe(s.length * 2);
      for (let d = 0; d + 1 < s.docs.length; d++) {
        const ids = Array.from(s.tokens.read(s.docs[d]!, s.docs[d + 1]! - s.docs[d]!));
        expect(ids[0]).toBe(256);
        expect(ids.at(-1)).toBe(257);
        seen.push(bytes.tokenizer.decode(ids, { skipSpecial: true }));
      }
    }
    // Every document appears exactly once across the splits, text intact (including UTF-8).
    expect(seen.sort()).toEqual(rows.map((r) => `${r.question}\n${r.answer}`).sort());
    corpus.dispose();
    const again = prepareCorpus({ inputs: [input], fields: ['question', 'answer'], out: join(tmp, 'prep2'), tokenizer: bytes, valFraction: 0.25, seed: 3 });
    expect(again.splits).toEqual(meta.splits);
    expect(readFileSync(join(tmp, 'prep2', 'val.tokens'))).toEqual(readFileSync(join(out, 'val.tokens')));
  });

  it('takes validation from a separate file when given', () => {
    const val = writeCorpus('v.jsonl', [{ question: 'a', answer: 'b' }]);
    const meta = prepareCorpus({ inputs: [input], fields: ['question', 'answer'], out: join(tmp, 'prep3'), tokenizer: bytes, val, valFraction: 0.5, seed: 0 });
    expect(meta.splits.train!.docs).toBe(40);
    expect(meta.splits.val!.docs).toBe(1);
    expect(meta.splits.val!.tokens).toBe(5); // bos a \n b eos
  });

  it('a record without the text field is an error naming the line, before anything is written', () => {
    const bad = writeCorpus('bad.jsonl', [{ text: 'ok' }, { body: 'no text' }]);
    const out = join(tmp, 'bad');
    let err: unknown;
    try {
      prepareCorpus({ inputs: [bad], fields: ['text'], out, tokenizer: bytes, valFraction: 0.1, seed: 0 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RhoError);
    expect((err as RhoError).context.line).toBe(2);
    expect((err as RhoError).message).toMatch(/no text field "text"/);
    expect(() => statSync(join(out, 'meta.json'))).toThrow();
  });

  it('records noise positions token by token', () => {
    const tok = new ByteTokenizer();
    const text = 'clean ZZZ clean';
    const { ids, noise } = encodeDoc(tok, { text, noise: [[6, 9]] });
    expect(ids.length).toBe(text.length + 2);
    const marked = ids.filter((_, i) => noise[i] === 1).map((i) => String.fromCharCode(i));
    expect(marked.join('')).toBe('ZZZ');
    const noisy = writeCorpus('n.jsonl', [{ text, noise_spans: [[6, 9]] }]);
    const out = join(tmp, 'noisy');
    prepareCorpus({ inputs: [noisy], fields: ['text'], out, tokenizer: bytes, val: noisy, valFraction: 0, seed: 0 });
    const c = Corpus.open(out);
    expect(Array.from(c.split('train').noise!.read(0, 100))).toEqual(Array.from(noise));
    c.dispose();
  });
});

describe('ByteTokenizer as a tokenizer.json', () => {
  it('the written file encodes and decodes as ByteTokenizer, noise included', async () => {
    const file = writeByteTokenizerJson(join(tmp, 'bytes-tokenizer.json'));
    const fromFile = (await loadTokenizer(file)).tokenizer;
    const tok = new ByteTokenizer();
    expect([fromFile.vocabSize, fromFile.bosId, fromFile.eosId]).toEqual([tok.vocabSize, tok.bosId, tok.eosId]);
    const clean = 'Natalia sold 48 clips in April.\nShe sold half as many, 48/2 = <<48/2=24>>24, in May.\n#### 72';
    const texts = [clean, injectNoise(clean, DEFAULT_NOISE, 3).text, 'ümlaut — 中文 🙂\t\r\n  ', ''];
    for (const text of texts) {
      for (const addBos of [false, true]) expect(fromFile.encode(text, { addBos }), text).toEqual(tok.encode(text, { addBos }));
      const ids = [tok.bosId, ...tok.encode(text), tok.eosId];
      for (const skipSpecial of [false, true]) expect(fromFile.decode(ids, { skipSpecial })).toBe(tok.decode(ids, { skipSpecial }));
    }
  });
});

describe('windows', () => {
  it('make every position after the first a target exactly once', () => {
    for (const [n, T] of [
      [100, 8],
      [8, 8],
      [9, 8],
      [57, 16],
    ] as const) {
      const count = new Map<number, number>();
      for (let w = 0; w < windowCount(n, T); w++) {
        for (let t = 0; t < T - 1; t++) {
          const p = targetPosition(w, t, T);
          if (p < n) count.set(p, (count.get(p) ?? 0) + 1);
        }
      }
      expect(count.size).toBe(n - 1);
      expect([...count.values()].every((c) => c === 1)).toBe(true);
    }
  });

  it('pad the last window and mark padded targets invalid', () => {
    const toks = Array.from({ length: 10 }, (_, i) => i + 1);
    const read = (s: number, c: number) => toks.slice(s, s + c);
    const b = buildBatch([2, 0], 2, 4, read); // window 2 = positions 6..9, all real; window 0 = 0..3
    expect(Array.from(b.ids)).toEqual([7, 8, 9, 10, 1, 2, 3, 4]);
    const c = buildBatch([3, -1], 2, 4, read); // window 3 = position 9 only
    expect(Array.from(c.ids)).toEqual([10, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(c.targetMask)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(c.nTargets).toBe(0);
    expect(b.nTargets).toBe(6);
  });

  it('visit each window once per epoch in a seeded order', () => {
    const n = 13;
    const epoch = Array.from({ length: 13 }, (_, s) => stepWindows(s, 1, n, 5)[0]!);
    expect([...epoch].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(stepWindows(4, 3, n, 5)).toEqual(stepWindows(4, 3, n, 5));
    expect(stepWindows(0, 13, n, 6)).not.toEqual(epoch);
  });
});
