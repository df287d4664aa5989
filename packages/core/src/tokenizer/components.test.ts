import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { buildDecoder } from './decoder.ts';
import { buildPreTokenizer } from './pretokenizer.ts';
import { compilePattern, splitByPattern } from './regex.ts';
import { Tokenizer } from './tokenizer.ts';
import { fromByteChars, toByteChars } from './bytelevel.ts';

const rhoError = (code: string) => expect.objectContaining({ name: 'RhoError', code });

describe('splitByPattern', () => {
  const re = /-/gu;
  it.each([
    ['Removed', ['a', 'b', 'c']],
    ['Isolated', ['a', '-', 'b', '-', '-', 'c']],
    ['MergedWithPrevious', ['a-', 'b-', '-', 'c']],
    ['MergedWithNext', ['a', '-b', '-', '-c']],
  ] as const)('%s', (behavior, want) => {
    expect(splitByPattern('a-b--c', re, behavior)).toEqual(want);
  });
});

describe('compilePattern', () => {
  it("spells out Oniguruma's (?i:...) groups for JavaScript", () => {
    const re = compilePattern({ Regex: "(?i:'s|'t)|\\p{L}+" }, 'test');
    expect("IT'S it's".match(re)).toEqual(['IT', "'S", 'it', "'s"]);
  });
  it('escapes literal patterns', () => {
    expect('a.b'.replace(compilePattern({ String: '.' }, 'test'), '!')).toBe('a!b');
  });
});

describe('pre-tokenizers and decoders', () => {
  it('Metaspace prepends ▁ and splits before each ▁', () => {
    const pre = buildPreTokenizer({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true });
    expect(pre(['hi there'], true)).toEqual(['▁hi', '▁there']);
    expect(pre(['hi'], false)).toEqual(['hi']);
    const dec = buildDecoder({ type: 'Metaspace', replacement: '▁', prepend_scheme: 'first' });
    expect(dec(['▁hi', '▁there']).join('')).toBe('hi there');
  });

  it('Digits isolates each digit', () => {
    expect(buildPreTokenizer({ type: 'Digits', individual_digits: true })(['x12'], true)).toEqual(['x', '1', '2']);
  });

  it('byte-level characters map every byte and back', () => {
    const s = 'a b\n\t\u0000é😀';
    const mapped = toByteChars(s);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what byte-level mapping must remove
    expect(mapped).not.toMatch(/[\s\u0000]/u);
    expect(fromByteChars([mapped])).toBe(s);
  });

  it('ByteFallback turns byte runs into text and Strip removes the leading space', () => {
    const dec = buildDecoder({
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    });
    expect(dec(['▁caf', '<0xC3>', '<0xA9>']).join('')).toBe('café');
  });
});

describe('loading errors', () => {
  const minimal = { added_tokens: [], model: { type: 'BPE', vocab: { a: 0, b: 1, ab: 2 }, merges: ['a b'] } };

  it('loads a minimal BPE and merges', () => {
    const tok = Tokenizer.fromJSON(minimal);
    expect(tok.encode('abab')).toEqual([2, 2]);
    expect(tok.encode('abc')).toEqual([2]); // no unknown token: the character is dropped, as in Hugging Face
  });

  it('names unsupported models and components', () => {
    expect(() => Tokenizer.fromJSON({ ...minimal, model: { type: 'WordPiece', vocab: {} } })).toThrow(rhoError('UNSUPPORTED'));
    expect(() => Tokenizer.fromJSON({ ...minimal, normalizer: { type: 'Precompiled' } })).toThrow(/Unknown normalizer type: Precompiled/);
  });

  it('rejects merges of tokens missing from the vocabulary', () => {
    expect(() => Tokenizer.fromJSON({ ...minimal, model: { ...minimal.model, merges: ['a c'] } })).toThrow(rhoError('BAD_INPUT'));
  });

  it('reports a missing or malformed file with its path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rho-tok-'));
    expect(() => Tokenizer.fromFile(join(dir, 'nope.json'))).toThrow(rhoError('NOT_FOUND'));
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": ');
    try {
      Tokenizer.fromFile(dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RhoError);
      expect((e as RhoError).context.file).toBe(join(dir, 'tokenizer.json'));
    }
  });

  it('says when a tokenizer has no end-of-sequence token', () => {
    expect(() => Tokenizer.fromJSON(minimal).eosId).toThrow(/no end-of-sequence token/);
  });
});
