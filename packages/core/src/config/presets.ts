import { RhoError } from '../errors.ts';
import { configFromHf, makeConfig, type LlamaConfig } from './llama-config.ts';

/** Presets for training from scratch (they also fix a training shape, see presetTraining). */
export type PresetName = 'tiny' | 'small' | 'base';
export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'small', 'base'];

/** Presets with the exact architecture of a Hub model the paper builds on: TinyLlama-1.1B (Rho-Math-1B), Mistral-7B (Rho-Math-7B). */
export type HubPresetName = 'tinyllama-1.1b' | 'mistral-7b';
export const HUB_PRESET_NAMES: readonly HubPresetName[] = ['tinyllama-1.1b', 'mistral-7b'];
export const ALL_PRESET_NAMES: readonly string[] = [...PRESET_NAMES, ...HUB_PRESET_NAMES];

export type TorchDtype = LlamaConfig['torchDtype'];

/**
 * config.json of each Hub preset, field for field as the Hub serves it (TinyLlama's
 * intermediate-step-1431k-3T and mistralai/Mistral-7B-v0.1), so a random checkpoint made from it
 * has the very config a downloaded one has.
 */
const HUB_CONFIGS: Record<HubPresetName, Readonly<Record<string, unknown>>> = {
  'tinyllama-1.1b': {
    _name_or_path: 'TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T',
    architectures: ['LlamaForCausalLM'],
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: 2048,
    initializer_range: 0.02,
    intermediate_size: 5632,
    max_position_embeddings: 2048,
    mlp_bias: false,
    model_type: 'llama',
    num_attention_heads: 32,
    num_hidden_layers: 22,
    num_key_value_heads: 4,
    pretraining_tp: 1,
    rms_norm_eps: 1e-5,
    rope_scaling: null,
    rope_theta: 10000.0,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.41.2',
    use_cache: true,
    vocab_size: 32000,
  },
  'mistral-7b': {
    _name_or_path: 'mistralai/Mistral-7B-v0.1',
    architectures: ['MistralForCausalLM'],
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: 'silu',
    hidden_size: 4096,
    initializer_range: 0.02,
    intermediate_size: 14336,
    max_position_embeddings: 32768,
    model_type: 'mistral',
    num_attention_heads: 32,
    num_hidden_layers: 32,
    num_key_value_heads: 8,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    sliding_window: 4096,
    tie_word_embeddings: false,
    torch_dtype: 'bfloat16',
    transformers_version: '4.34.0',
    use_cache: true,
    vocab_size: 32000,
  },
};

export function isHubPreset(name: string): name is HubPresetName {
  return (HUB_PRESET_NAMES as readonly string[]).includes(name);
}

/** config.json content of a Hub preset, with `torchDtype` (default: the Hub's) as its torch_dtype. */
export function presetHfConfig(name: string, torchDtype?: TorchDtype): Record<string, unknown> {
  if (!isHubPreset(name)) throw new RhoError('BAD_CONFIG', `no Hub config for preset ${name}`, { field: 'preset', expected: HUB_PRESET_NAMES, got: name });
  const json = structuredClone(HUB_CONFIGS[name]) as Record<string, unknown>;
  if (torchDtype) json.torch_dtype = torchDtype;
  return json;
}

/**
 * What a preset fixes besides the architecture: the training shape (sequence length, batch, AdamW
 * settings) that `pnpm bench core` and `pnpm bench slm` measure, so figures from different runs and
 * the PyTorch comparison describe the same work.
 */
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

/**
 * The architecture of a named preset. Training presets: untied, fp32, full multi-head attention;
 * Hub presets: the Hub model's config (BF16 storage, grouped-query attention).
 */
export function presetConfig(name: string): LlamaConfig {
  if (isHubPreset(name)) return configFromHf(presetHfConfig(name), `preset ${name}`);
  const s = spec[name as PresetName];
  if (!s) throw new RhoError('BAD_CONFIG', `unknown preset: ${name}`, { field: 'preset', expected: ALL_PRESET_NAMES, got: name });
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
  if (isHubPreset(name))
    throw new RhoError('BAD_CONFIG', `preset ${name} is an architecture for inference and has no training shape`, {
      field: 'preset',
      expected: PRESET_NAMES,
      got: name,
    });
  const s = spec[name as PresetName];
  if (!s) throw new RhoError('BAD_CONFIG', `unknown preset: ${name}`, { field: 'preset', expected: PRESET_NAMES, got: name });
  return Object.freeze({ seqLen: s.seqLen, batchSize: s.batchSize, lr: 3e-4, weightDecay: 0.1 });
}
