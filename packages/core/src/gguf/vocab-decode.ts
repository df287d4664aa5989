/**
 * Token ids to text from a GGUF file's own vocabulary, with Hugging Face's decoders' rules (what the
 * project's Tokenizer does for the same tokenizer.json): byte-level pieces map back to their bytes
 * (`gpt2`); SentencePiece pieces turn `▁` into spaces, `<0xXX>` into bytes and lose one leading
 * space (`llama`, HF's Strip decoder). llama.cpp's own detokenizer differs from both (it keeps that
 * space, and for `gpt2` drops spaces before punctuation), so eval and serve decode here.
 */
import { RhoError } from '../errors.ts';
import { CHAR_TO_BYTE } from '../tokenizer/bytelevel.ts';
import { TOKEN_TYPE } from './constants.ts';
import type { GgufHeader } from './reader.ts';

export type VocabDecoder = (ids: readonly number[], opts?: { skipSpecial?: boolean }) => string;

export function vocabDecoder(h: GgufHeader): VocabDecoder {
  const model = h.metadata.get('tokenizer.ggml.model');
  const tokens = h.metadata.get('tokenizer.ggml.tokens');
  const types = h.metadata.get('tokenizer.ggml.token_type');
  if (!Array.isArray(tokens) || (model !== 'llama' && model !== 'gpt2')) {
    throw new RhoError('UNSUPPORTED', `cannot decode the GGUF vocabulary of tokenizer model ${String(model)}`, {
      file: h.file,
      field: 'tokenizer.ggml.model',
      expected: ['llama', 'gpt2'],
    });
  }
  const text = tokens as string[];
  const type = Array.isArray(types) ? (types as number[]) : [];
  const addSpacePrefix = h.metadata.get('tokenizer.ggml.add_space_prefix') !== false;
  const utf8 = new TextDecoder('utf-8', { fatal: false });
  return (ids, opts = {}) => {
    const bytes: number[] = [];
    const push = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
    for (const id of ids) {
      const t = text[id];
      if (t === undefined) continue;
      const ty = type[id] ?? TOKEN_TYPE.NORMAL;
      if (ty === TOKEN_TYPE.CONTROL) {
        if (!opts.skipSpecial) push(t);
        continue;
      }
      if (ty === TOKEN_TYPE.UNUSED) continue;
      if (model === 'llama') {
        const byte = /^<0x([0-9A-Fa-f]{2})>$/.exec(t);
        if (ty === TOKEN_TYPE.BYTE && byte) bytes.push(parseInt(byte[1]!, 16));
        else push(t.replaceAll('▁', ' '));
      } else if (ty === TOKEN_TYPE.USER_DEFINED) {
        push(t);
      } else {
        for (const ch of t) {
          const b = CHAR_TO_BYTE.get(ch);
          if (b === undefined) push(ch);
          else bytes.push(b);
        }
      }
    }
    const s = utf8.decode(Uint8Array.from(bytes));
    return model === 'llama' && addSpacePrefix && s.startsWith(' ') ? s.slice(1) : s;
  };
}
