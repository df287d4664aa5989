/**
 * A Hugging Face tokenizer.json as llama.cpp's tokenizer keys (tokenizer.ggml.*), so a converted
 * model tokenizes text in llama.cpp as the project does:
 *  - SentencePiece-style BPE (Llama, Mistral: `▁` for spaces, byte fallback) becomes model `llama`,
 *    llama.cpp's SPM tokenizer, which merges the pair whose result has the highest score; scores
 *    are minus the rank of the merge that makes each token, so the merge order is the file's.
 *  - Byte-level BPE (GPT-2 style, the project's trained tokenizers) becomes model `gpt2` with the
 *    merges in rank order and the pre-tokenizer named by the regex split llama.cpp should apply.
 * Anything else has no llama.cpp equivalent and is refused rather than tokenized differently.
 */
import { RhoError } from '../errors.ts';
import type { LlamaConfig } from '../config/llama-config.ts';
import { eosIds } from '../config/llama-config.ts';
import { Tokenizer } from '../tokenizer/tokenizer.ts';
import { BYTE_TO_CHAR } from '../tokenizer/bytelevel.ts';
import { TOKEN_TYPE } from './constants.ts';
import type { GgufEntry } from './writer.ts';

type Spec = { type?: string; [k: string]: unknown } | null | undefined;

const isByteToken = (t: string) => /^<0x[0-9A-F]{2}>$/.test(t);

/** How a tokenizer.json splits text before BPE, in llama.cpp's terms. */
export function tokenizerKind(
  json: { normalizer?: Spec; pre_tokenizer?: Spec; model: { type?: string; byte_fallback?: unknown } },
  file: string,
): { model: 'llama'; addSpacePrefix: boolean } | { model: 'gpt2'; pre: string } {
  const pre = json.pre_tokenizer ?? null;
  const parts = (s: Spec): Spec[] => (s == null ? [] : s.type === 'Sequence' ? ((s.pretokenizers ?? s.normalizers) as Spec[]).flatMap(parts) : [s]);
  const preParts = parts(pre);
  const byteLevel = preParts.find((p) => p?.type === 'ByteLevel');
  if (byteLevel) {
    if (byteLevel.use_regex === false) throw unsupported(file, 'a ByteLevel pre-tokenizer without its regex split has no llama.cpp pre-tokenizer');
    if (byteLevel.add_prefix_space === true) throw unsupported(file, 'a ByteLevel pre-tokenizer with add_prefix_space has no llama.cpp pre-tokenizer');
    const others = preParts.filter((p) => p !== byteLevel);
    if (others.length === 0) return { model: 'gpt2', pre: 'gpt-2' };
    // digits split one by one, then GPT-2's regex: llama.cpp's `refact` pre-tokenizer is exactly that
    if (others.length === 1 && others[0]?.type === 'Digits' && others[0].individual_digits === true) return { model: 'gpt2', pre: 'refact' };
    throw unsupported(file, `pre-tokenizers ${preParts.map((p) => p?.type).join(' + ')} have no llama.cpp equivalent`);
  }
  const normParts = parts(json.normalizer ?? null);
  const metaspace = preParts.find((p) => p?.type === 'Metaspace') ?? undefined;
  const replacesSpace = normParts.some((n) => n?.type === 'Replace' && JSON.stringify(n.content) === '"▁"');
  if (json.model.byte_fallback === true && (metaspace || replacesSpace)) {
    const prepends =
      normParts.some((n) => n?.type === 'Prepend' && n.prepend === '▁') ||
      (metaspace != null && metaspace.prepend_scheme !== 'never' && metaspace.add_prefix_space !== false);
    return { model: 'llama', addSpacePrefix: prepends };
  }
  throw unsupported(file, 'only SentencePiece-style BPE (▁ for spaces, byte fallback) and byte-level BPE tokenizers have llama.cpp equivalents');
}

function unsupported(file: string, why: string): RhoError {
  return new RhoError('UNSUPPORTED', `tokenizer cannot be written for llama.cpp: ${why}`, {
    file,
    field: 'pre_tokenizer',
    hint: 'convert without a tokenizer (remove tokenizer.json) to run token ids only',
  });
}

/**
 * The tokenizer.ggml.* keys for `tokenizerPath`, with `config.vocabSize` tokens (ids the tokenizer
 * does not use become `[PAD<id>]`, type UNUSED, as llama.cpp's converter writes them: llama.cpp
 * needs one token per embedding row).
 */
export function tokenizerMetadata(tokenizerPath: string, config: LlamaConfig): Map<string, GgufEntry> {
  const tok = Tokenizer.fromFile(tokenizerPath);
  try {
    const json = tok.json as unknown as {
      normalizer?: Spec;
      pre_tokenizer?: Spec;
      model: { type?: string; byte_fallback?: unknown; merges: (string | [string, string])[]; vocab: Record<string, number>; unk_token?: string | null };
      added_tokens: { id: number; content: string; special: boolean }[];
    };
    if (tok.vocabSize > config.vocabSize) {
      throw new RhoError('BAD_INPUT', `the tokenizer uses ${tok.vocabSize} ids, the config's vocab_size is ${config.vocabSize}`, {
        file: tokenizerPath,
        field: 'vocab_size',
      });
    }
    const kind = tokenizerKind(json, tokenizerPath);
    const n = config.vocabSize;
    const tokens: string[] = new Array(n);
    const types = new Int32Array(n);
    for (let id = 0; id < n; id++) {
      const t = tok.idToToken(id);
      tokens[id] = t ?? `[PAD${id}]`;
      types[id] = t === undefined ? TOKEN_TYPE.UNUSED : TOKEN_TYPE.NORMAL;
    }
    for (const a of json.added_tokens) types[a.id] = a.special ? TOKEN_TYPE.CONTROL : TOKEN_TYPE.USER_DEFINED;
    const merges = json.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
    const meta = new Map<string, GgufEntry>();
    meta.set('tokenizer.ggml.model', { type: 'string', value: kind.model });
    if (kind.model === 'llama') {
      const unk = json.model.unk_token ? tok.tokenToId(json.model.unk_token) : undefined;
      for (let id = 0; id < n; id++) if (isByteToken(tokens[id]!) && types[id] === TOKEN_TYPE.NORMAL) types[id] = TOKEN_TYPE.BYTE;
      if (unk !== undefined) types[unk] = TOKEN_TYPE.UNKNOWN;
      // SPM merges the pair whose result scores highest: minus the rank of the merge that first makes it
      const scores = new Float32Array(n);
      const made = new Set<number>();
      merges.forEach((m, rank) => {
        const id = tok.tokenToId(m.replace(' ', ''));
        if (id !== undefined && !made.has(id)) {
          made.add(id);
          scores[id] = -(rank + 1);
        }
      });
      meta.set('tokenizer.ggml.pre', { type: 'string', value: 'default' });
      meta.set('tokenizer.ggml.tokens', { type: 'string[]', value: tokens });
      meta.set('tokenizer.ggml.scores', { type: 'f32[]', value: scores });
      meta.set('tokenizer.ggml.token_type', { type: 'i32[]', value: types });
      meta.set('tokenizer.ggml.add_space_prefix', { type: 'bool', value: kind.addSpacePrefix });
      if (unk !== undefined) meta.set('tokenizer.ggml.unknown_token_id', { type: 'u32', value: unk });
    } else {
      meta.set('tokenizer.ggml.pre', { type: 'string', value: kind.pre });
      meta.set('tokenizer.ggml.tokens', { type: 'string[]', value: tokens });
      meta.set('tokenizer.ggml.token_type', { type: 'i32[]', value: types });
      meta.set('tokenizer.ggml.merges', { type: 'string[]', value: merges });
    }
    const probe = tok.encode('a');
    const bos = config.bosTokenId ?? safe(() => tok.bosId);
    const eos = eosIds(config)[0] ?? safe(() => tok.eosId);
    if (bos !== undefined) meta.set('tokenizer.ggml.bos_token_id', { type: 'u32', value: bos });
    if (eos !== undefined) meta.set('tokenizer.ggml.eos_token_id', { type: 'u32', value: eos });
    const pad = config.padTokenId ?? tok.padId;
    if (pad !== undefined && pad !== null) meta.set('tokenizer.ggml.padding_token_id', { type: 'u32', value: pad });
    meta.set('tokenizer.ggml.add_bos_token', { type: 'bool', value: bos !== undefined && probe[0] === bos });
    meta.set('tokenizer.ggml.add_eos_token', { type: 'bool', value: eos !== undefined && probe.length > 1 && probe.at(-1) === eos });
    return meta;
  } finally {
    tok.dispose();
  }
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/**
 * For a checkpoint without tokenizer.json: a placeholder vocabulary so llama.cpp loads the model and
 * runs it on token ids. Its `none` vocabulary would do, but llama.cpp aborts the process when asked
 * to tokenize with it (node-llama-cpp does while loading), so ids below 256 are GPT-2's byte
 * characters (llama.cpp finds its newline there) and the rest `[rho<id>]`, with no merges; text
 * through it means nothing, as the checkpoint has no tokenizer.
 */
export function idsOnlyMetadata(config: LlamaConfig): Map<string, GgufEntry> {
  const n = config.vocabSize;
  const tokens = Array.from({ length: n }, (_, id) => (id < 256 ? BYTE_TO_CHAR[id]! : `[rho${id}]`));
  const types = new Int32Array(n).fill(TOKEN_TYPE.NORMAL);
  const meta = new Map<string, GgufEntry>();
  meta.set('tokenizer.ggml.model', { type: 'string', value: 'gpt2' });
  meta.set('tokenizer.ggml.pre', { type: 'string', value: 'gpt-2' });
  meta.set('tokenizer.ggml.tokens', { type: 'string[]', value: tokens });
  meta.set('tokenizer.ggml.merges', { type: 'string[]', value: [] });
  const special = (key: string, id: number | undefined | null) => {
    if (id === undefined || id === null || id >= n) return;
    meta.set(key, { type: 'u32', value: id });
    types[id] = TOKEN_TYPE.CONTROL;
  };
  special('tokenizer.ggml.bos_token_id', config.bosTokenId);
  special('tokenizer.ggml.eos_token_id', eosIds(config)[0]);
  meta.set('tokenizer.ggml.token_type', { type: 'i32[]', value: types });
  meta.set('tokenizer.ggml.add_bos_token', { type: 'bool', value: false });
  meta.set('rho.tokenizer', { type: 'string', value: 'none' });
  return meta;
}
