/**
 * The byte vocabulary (UTF-8 bytes 0–255, `<s>` 256, `</s>` 257) as a tokenizer.json, so a model
 * trained on raw bytes is a checkpoint every tokenizer.json reader can run: a byte-level BPE with
 * no merges encodes each byte as its own token, whatever the pre-tokenizer's word split.
 */
import { byteLevelBpeJson, byteLevelPreTokenizer, type TokenizerJsonObject } from './bpe-json.ts';
import { BYTE_TO_CHAR } from './bytelevel.ts';

export const BYTE_VOCAB_SIZE = 258;
export const BYTE_BOS_ID = 256;
export const BYTE_EOS_ID = 257;

/**
 * Byte b is id b; `<s>` and `</s>` are special added tokens. The post-processor puts `<s>` first,
 * as prepared corpora put it before every document, so default encoding is what the model saw.
 * Like any Hugging Face tokenizer, `<s>` written in the text is read as the special token unless
 * encoding is told not to parse specials.
 */
export function byteTokenizerJson(): TokenizerJsonObject {
  const specials = ['<s>', '</s>'];
  return byteLevelBpeJson({ tokens: [...BYTE_TO_CHAR, ...specials], merges: [], specials, bos: '<s>', preTokenizer: byteLevelPreTokenizer(false) });
}
