/**
 * A LlamaConfig as GGUF `llama.*` metadata, and back. llama.cpp runs Mistral checkpoints as the
 * `llama` architecture (as its own converter writes them); their sliding window goes into
 * `llama.attention.sliding_window`, which this project reads back to know where the model it runs
 * stops matching the checkpoint.
 */
import { RhoError } from '../errors.ts';
import type { LlamaConfig } from '../config/llama-config.ts';
import type { GgufValue, GgufHeader } from './reader.ts';
import type { GgufEntry } from './writer.ts';

export const LLAMA_ARCH = 'llama';
export const SLIDING_WINDOW_KEY = `${LLAMA_ARCH}.attention.sliding_window`;

export function llamaMetadata(c: LlamaConfig, name: string): Map<string, GgufEntry> {
  const a = LLAMA_ARCH;
  const m = new Map<string, GgufEntry>();
  m.set('general.architecture', { type: 'string', value: a });
  m.set('general.name', { type: 'string', value: name });
  m.set(`${a}.vocab_size`, { type: 'u32', value: c.vocabSize });
  m.set(`${a}.context_length`, { type: 'u32', value: c.maxPositionEmbeddings });
  m.set(`${a}.embedding_length`, { type: 'u32', value: c.hiddenSize });
  m.set(`${a}.block_count`, { type: 'u32', value: c.numHiddenLayers });
  m.set(`${a}.feed_forward_length`, { type: 'u32', value: c.intermediateSize });
  m.set(`${a}.rope.dimension_count`, { type: 'u32', value: c.headDim });
  m.set(`${a}.rope.freq_base`, { type: 'f32', value: c.ropeTheta });
  m.set(`${a}.attention.head_count`, { type: 'u32', value: c.numAttentionHeads });
  m.set(`${a}.attention.head_count_kv`, { type: 'u32', value: c.numKeyValueHeads });
  m.set(`${a}.attention.key_length`, { type: 'u32', value: c.headDim });
  m.set(`${a}.attention.value_length`, { type: 'u32', value: c.headDim });
  m.set(`${a}.attention.layer_norm_rms_epsilon`, { type: 'f32', value: c.rmsNormEps });
  if (c.slidingWindow !== null) m.set(SLIDING_WINDOW_KEY, { type: 'u32', value: c.slidingWindow });
  return m;
}

/**
 * The architecture of a GGUF file; anything but `llama` is refused, naming whether llama.cpp
 * itself lacks it (`known`: the architectures the installed llama.cpp has, when known).
 */
export function checkArchitecture(h: GgufHeader, known?: readonly string[]): void {
  const arch = h.metadata.get('general.architecture');
  if (typeof arch !== 'string') throw new RhoError('BAD_INPUT', 'GGUF file has no general.architecture', { file: h.file, field: 'general.architecture' });
  if (arch === LLAMA_ARCH) return;
  if (known && !known.includes(arch)) {
    throw new RhoError(
      'UNSUPPORTED',
      `architecture '${arch}' is not one llama.cpp has (the installed node-llama-cpp knows ${known.length} architectures, e.g. ${known.slice(0, 6).join(', ')})`,
      {
        file: h.file,
        field: 'general.architecture',
        got: arch,
        hint: 'convert a Hugging Face Llama or Mistral checkpoint with `pnpm core convert <dir> --to gguf`',
      },
    );
  }
  throw new RhoError('UNSUPPORTED', `architecture '${arch}': this project runs the llama architecture only (Llama and Mistral checkpoints)`, {
    file: h.file,
    field: 'general.architecture',
    expected: LLAMA_ARCH,
    got: arch,
  });
}

/** The LlamaConfig a llama-architecture GGUF describes; a missing key is an error naming it. */
export function configFromGguf(h: GgufHeader): LlamaConfig {
  const a = LLAMA_ARCH;
  const num = (key: string, fallback?: number): number => {
    const v: GgufValue | undefined = h.metadata.get(key);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (fallback !== undefined) return fallback;
    throw new RhoError('BAD_INPUT', `GGUF file lacks ${key}`, { file: h.file, field: key });
  };
  const optNum = (key: string): number | null => {
    const v = h.metadata.get(key);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : null;
  };
  const embd = h.tensors.get('token_embd.weight');
  if (!embd) throw new RhoError('BAD_INPUT', 'GGUF file lacks tensor token_embd.weight', { file: h.file, field: 'token_embd.weight' });
  const tokens = h.metadata.get('tokenizer.ggml.tokens');
  const hidden = num(`${a}.embedding_length`);
  const heads = num(`${a}.attention.head_count`);
  const window = optNum(SLIDING_WINDOW_KEY);
  return Object.freeze({
    vocabSize: num(`${a}.vocab_size`, Array.isArray(tokens) ? tokens.length : embd.dims[1]),
    hiddenSize: hidden,
    intermediateSize: num(`${a}.feed_forward_length`),
    numHiddenLayers: num(`${a}.block_count`),
    numAttentionHeads: heads,
    numKeyValueHeads: num(`${a}.attention.head_count_kv`, heads),
    headDim: num(`${a}.attention.key_length`, num(`${a}.rope.dimension_count`, hidden / heads)),
    rmsNormEps: num(`${a}.attention.layer_norm_rms_epsilon`),
    ropeTheta: num(`${a}.rope.freq_base`, 10000),
    maxPositionEmbeddings: num(`${a}.context_length`),
    tieWordEmbeddings: !h.tensors.has('output.weight'),
    bosTokenId: optNum('tokenizer.ggml.bos_token_id'),
    eosTokenId: optNum('tokenizer.ggml.eos_token_id'),
    padTokenId: optNum('tokenizer.ggml.padding_token_id'),
    initializerRange: 0.02,
    torchDtype: 'float32',
    modelType: window !== null ? 'mistral' : 'llama',
    slidingWindow: window,
  });
}
