import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { Tokenizer } from './tokenizer.ts';
import { trainBpe } from './train.ts';
import { DATA_DIR, lenmlEncoder, mergeRanks, referenceByteLevelEncode, referenceTrainMerges, testSetLines } from './testing/reference.ts';

type Model = { vocab: Record<string, number>; merges: string[] };

describe('trainBpe on a toy corpus', () => {
  it('merges the most frequent pair first, and words never merge across their boundary', () => {
    // Words "abab", " ab", " abc" ×2, " bc" (a leading space is Ġ): a+b occurs 5 times, Ġ+a 3, b+c 3.
    const json = trainBpe(['abab ab abc abc bc'], { vocabSize: 4 + 256 + 3, specialTokens: ['<unk>', '<s>', '</s>', '<pad>'] });
    const merges = (json.model as Model).merges;
    // Then Ġ+ab 3 (b+a is gone with "abab" → ab ab), then Ġab+c 2; never b+Ġ or c+Ġ across words.
    expect(merges).toEqual(['a b', 'Ġ ab', 'Ġab c']);
    expect(Object.keys((json.model as Model).vocab)).toHaveLength(263);
  });

  it('stops short when no pair is frequent enough', () => {
    const json = trainBpe(['xy'], { vocabSize: 1000 });
    expect((json.model as Model).merges).toEqual([]);
  });

  it('never learns the special tokens written in the corpus', () => {
    const json = trainBpe(['<s>hello</s> <s>hello</s> <s>hello</s>'], { vocabSize: 300 });
    const tok = Tokenizer.fromJSON(json);
    expect(tok.encode('<s>', { addBos: false })).toEqual([1]);
    expect(Object.keys((json.model as Model).vocab).filter((t) => t.includes('<s') || t.includes('/s'))).toEqual(['<s>', '</s>']);
  });

  it('rejects a vocabulary too small for the bytes', () => {
    expect(() => trainBpe(['x'], { vocabSize: 100 })).toThrow(RhoError);
  });
});

describe('trainBpe on the GSM8K training corpus', () => {
  const corpus = readFileSync(join(DATA_DIR, 'corpus/gsm8k-train.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const r = JSON.parse(l) as { question: string; answer: string };
      return `${r.question}\n${r.answer}`;
    });
  const lines = testSetLines(Infinity);

  it('learns the same merges as a trainer that recounts every pair before each merge', () => {
    const texts = corpus.slice(0, 300);
    const vocabSize = 4 + 256 + 300;
    const ours = (trainBpe(texts, { vocabSize }).model as Model).merges;
    expect(ours).toHaveLength(300);
    expect(ours).toEqual(referenceTrainMerges(texts, { specials: 4, vocabSize, minFrequency: 2 }));
  });

  for (const splitDigits of [false, true]) {
    describe(splitDigits ? 'digits split' : 'GPT-2 pre-tokenization', () => {
      let json: Record<string, unknown>;
      let tok: Tokenizer;
      let model: Model;
      beforeAll(() => {
        json = trainBpe(corpus, { vocabSize: 4096, splitDigits });
        tok = Tokenizer.fromJSON(json);
        model = json.model as Model;
      });

      it('fills the vocabulary and loads', () => {
        expect(tok.vocabSize).toBe(4096);
        expect([tok.bosId, tok.eosId, tok.padId, tok.unkId]).toEqual([1, 2, 3, undefined]);
        // Compresses its own corpus well beyond bytes.
        const sample = corpus.slice(0, 500);
        const bytes = sample.reduce((n, t) => n + Buffer.byteLength(t), 0);
        const tokens = sample.reduce((n, t) => n + tok.encode(t, { addBos: false }).length, 0);
        expect(bytes / tokens).toBeGreaterThan(2.5);
      });

      it('round-trips every test-set line', () => {
        expect(lines.length).toBeGreaterThan(20000);
        // Both variants share the byte-level decoder; the second needs only a sample.
        const bad = lines.filter((l, i) => (!splitDigits || i % 10 === 0) && tok.decode(tok.encode(l), { skipSpecial: true }) !== l);
        expect(bad.slice(0, 3)).toEqual([]);
      });

      it('encodes as a textbook byte-level BPE and as transformers.js do', () => {
        const ranks = mergeRanks(model.merges);
        const some = lines.filter((_, i) => i % 20 === 0);
        const lenml = lenmlEncoder(json);
        const badRef = some.filter(
          (l) => JSON.stringify(tok.encode(l)) !== JSON.stringify(referenceByteLevelEncode(l, model.vocab, ranks, { splitDigits, bosId: 1 })),
        );
        const badLenml = some.filter((l) => JSON.stringify(tok.encode(l)) !== JSON.stringify(lenml(l)));
        expect(badRef.slice(0, 3)).toEqual([]);
        expect(badLenml.slice(0, 3)).toEqual([]);
      });
    });
  }
});
