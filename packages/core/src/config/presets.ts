import { RhoError } from '../errors.ts';
import { makeConfig, type LlamaConfig } from './llama-config.ts';

export type PresetName = 'tiny' | 'small' | 'base';
export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'small', 'base'];

/** What a preset fixes besides the architecture: the training shape the benchmarks use (issue 4). */
export interface PresetTraining {
  readonly seqLen: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly weightDecay: number;
}

/** Llama's SwiGLU width: 2/3 of 4d, rounded up to a multiple of 64. */
export function swigluWidth(d: number, multiple = 64): number {
  return Math.ceil((2 * 4 * d) / 3 / multiple) * multiple;
}

const spec = {
  tiny: { vocab: 4096, d: 128, layers: 4, heads: 4, seqLen: 128, batchSize: 16 },
  small: { vocab: 8192, d: 384, layers: 6, heads: 6, seqLen: 256, batchSize: 8 },
  base: { vocab: 32000, d: 512, layers: 8, heads: 8, seqLen: 512, batchSize: 4 },
} as const;

/** The architecture of a named preset: untied, fp32, full multi-head attention. */
export function presetConfig(name: string): LlamaConfig {
  const s = spec[name as PresetName];
  if (!s) throw new RhoError('BAD_CONFIG', `unknown preset: ${name}`, { field: 'preset', expected: PRESET_NAMES, got: name });
  return makeConfig({
    vocab_size: s.vocab,
    hidden_size: s.d,
    intermediate_size: swigluWidth(s.d),
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.heads,
    // RoPE needs no table, so this only records how far the model is meant to reach.
    max_position_embeddings: Math.max(2048, s.seqLen),
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: 'float32',
  });
}

export function presetTraining(name: string): PresetTraining {
  const s = spec[name as PresetName];
  if (!s) throw new RhoError('BAD_CONFIG', `unknown preset: ${name}`, { field: 'preset', expected: PRESET_NAMES, got: name });
  return Object.freeze({ seqLen: s.seqLen, batchSize: s.batchSize, lr: 3e-4, weightDecay: 0.1 });
}
