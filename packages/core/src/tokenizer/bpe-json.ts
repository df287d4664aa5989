/**
 * Writing a byte-level BPE as the tokenizer.json Hugging Face `tokenizers` reads, shared by the
 * trainer and the fixed byte vocabulary so both produce files the same loaders accept.
 */
import { RhoError } from '../errors.ts';

/** A tokenizer.json object as Hugging Face `tokenizers` writes it (loadable by Tokenizer.fromJSON). */
export type TokenizerJsonObject = Record<string, unknown>;

export interface ByteLevelBpeSpec {
  /** Every token by id: the id of a token is its index. */
  tokens: readonly string[];
  /** Merge rules, highest priority first, as `left right`. */
  merges: readonly string[];
  /** Tokens (already in `tokens`) that are special added tokens, matched whole in the input. */
  specials: readonly string[];
  /** The token the post-processor puts in front of every encoding; null for none. */
  bos: string | null;
  preTokenizer: Record<string, unknown>;
}

/** GPT-2's ByteLevel pre-tokenizer; with `splitDigits`, digits are isolated first (as Llama's tokenizer does). */
export function byteLevelPreTokenizer(splitDigits: boolean): { type: string; [k: string]: unknown } {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return splitDigits ? { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, byteLevel] } : byteLevel;
}

export function byteLevelBpeJson(spec: ByteLevelBpeSpec): TokenizerJsonObject {
  const { tokens, merges, specials, bos } = spec;
  const specialIds = specials.map((s) => tokens.indexOf(s));
  const missing = specials.filter((_, i) => specialIds[i]! < 0);
  if (missing.length) throw new RhoError('BAD_CONFIG', 'special tokens must be in the vocabulary', { field: 'specialTokens', got: missing });
  // the post-processor can only insert an added token
  if (bos !== null && !specials.includes(bos))
    throw new RhoError('BAD_CONFIG', 'the bos token must be one of the special tokens', { field: 'bosToken', got: bos, expected: specials.join(', ') });
  const vocab: Record<string, number> = {};
  tokens.forEach((t, id) => (vocab[t] = id));
  const bosPiece = bos === null ? [] : [{ SpecialToken: { id: bos, type_id: 0 } }];
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, i) => ({
      id: specialIds[i],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: spec.preTokenizer,
    post_processor: {
      type: 'TemplateProcessing',
      single: [...bosPiece, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        ...bosPiece,
        { Sequence: { id: 'A', type_id: 0 } },
        ...bosPiece.map((p) => ({ SpecialToken: { ...p.SpecialToken, type_id: 1 } })),
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: bos === null ? {} : { [bos]: { id: bos, ids: [specialIds[specials.indexOf(bos)]!], tokens: [bos] } },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [...merges],
    },
  };
}
