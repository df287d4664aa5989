import { readFileSync, existsSync } from 'node:fs';
import { z } from 'zod';
import { RhoError } from '../errors.ts';

/** The Llama architecture, in camelCase; `configFromHf`/`configToHf` map it to Hugging Face config.json. */
export interface LlamaConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly intermediateSize: number;
  readonly numHiddenLayers: number;
  readonly numAttentionHeads: number;
  readonly numKeyValueHeads: number;
  readonly headDim: number;
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly maxPositionEmbeddings: number;
  readonly tieWordEmbeddings: boolean;
  readonly bosTokenId: number | null;
  /** Llama 3 style configs list several end ids; generation stops at any of them. */
  readonly eosTokenId: number | number[] | null;
  readonly padTokenId: number | null;
  readonly initializerRange: number;
  /** The dtype the weights are stored in (HF `torch_dtype`); the model always computes in float32. */
  readonly torchDtype: 'float32' | 'float16' | 'bfloat16';
  /** `llama` (LlamaForCausalLM) or `mistral` (MistralForCausalLM): the same layers, Mistral may add a window. */
  readonly modelType: ModelType;
  /**
   * Mistral's sliding window w: query position i attends to key positions j with i − w ≤ j ≤ i
   * (transformers ≥ 4.40, mistral-src). null: full causal attention (always for llama).
   */
  readonly slidingWindow: number | null;
}

export type ModelType = 'llama' | 'mistral';

const ARCHITECTURE_OF: Record<ModelType, string> = { llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM' };
/** What `architectures` may list, and the model type each means ('LLaMAForCausalLM': early conversions). */
const MODEL_TYPE_OF: Record<string, ModelType> = { LlamaForCausalLM: 'llama', LLaMAForCausalLM: 'llama', MistralForCausalLM: 'mistral' };

const posInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();
const torchDtype = z.enum(['float32', 'float16', 'bfloat16']);

/**
 * Keys that would change the computation if they held anything but their "off" value, and are not
 * implemented: such a config is refused with the key and the reason instead of being silently misread.
 */
const UNIMPLEMENTED: Record<string, { off: readonly unknown[]; reason: string }> = {
  rope_scaling: { off: [null], reason: 'rope scaling (linear, dynamic, yarn, longrope, llama3) changes the rotary angles and is not implemented' },
  attention_bias: { off: [false], reason: 'biases on the q/k/v/o projections are not implemented' },
  mlp_bias: { off: [false], reason: 'biases on the gate/up/down projections are not implemented' },
  // transformers maps both names to the same SiLU
  hidden_act: { off: ['silu', 'swish'], reason: 'only the SwiGLU MLP with silu is implemented' },
  pretraining_tp: { off: [1], reason: 'pretraining_tp > 1 (the projections computed in slices) is not implemented' },
  attention_dropout: { off: [0], reason: 'dropout on the attention probabilities is not implemented' },
  quantization_config: { off: [], reason: 'quantized weights (bitsandbytes, GPTQ, AWQ, ...) are not supported; use a float32/float16/bfloat16 checkpoint' },
  auto_map: { off: [], reason: 'the checkpoint names its own modeling code, which is not run here' },
};

/**
 * Keys real Hub configs carry that do not change the forward pass: provenance, defaults of
 * PretrainedConfig that older transformers wrote out in full, and generation defaults (generation
 * here is driven by its own options). Accepted and ignored.
 */
const METADATA_KEYS = [
  '_name_or_path',
  'transformers_version',
  'use_cache',
  'tokenizer_class',
  'max_sequence_length',
  'torchscript',
  'use_bfloat16',
  'output_attentions',
  'output_hidden_states',
  'return_dict',
  'is_decoder',
  'is_encoder_decoder',
  'add_cross_attention',
  'tie_encoder_decoder',
  'cross_attention_hidden_size',
  'chunk_size_feed_forward',
  'pruned_heads',
  'id2label',
  'label2id',
  'problem_type',
  'finetuning_task',
  'prefix',
  'task_specific_params',
  'sep_token_id',
  'decoder_start_token_id',
  'tf_legacy_loss',
  'max_length',
  'min_length',
  'do_sample',
  'early_stopping',
  'num_beams',
  'num_beam_groups',
  'diversity_penalty',
  'temperature',
  'top_k',
  'top_p',
  'typical_p',
  'repetition_penalty',
  'length_penalty',
  'no_repeat_ngram_size',
  'encoder_no_repeat_ngram_size',
  'bad_words_ids',
  'num_return_sequences',
  'output_scores',
  'return_dict_in_generate',
  'forced_bos_token_id',
  'forced_eos_token_id',
  'remove_invalid_values',
  'exponential_decay_length_penalty',
  'suppress_tokens',
  'begin_suppress_tokens',
] as const;
const metadataShape = Object.fromEntries(METADATA_KEYS.map((k) => [k, z.unknown().optional()])) as Record<
  (typeof METADATA_KEYS)[number],
  z.ZodOptional<z.ZodUnknown>
>;

/**
 * config.json as Hugging Face writes it for LlamaForCausalLM and MistralForCausalLM. Keys we do not
 * know are an error (nanoGPT's rule), so a feature we do not implement is never silently ignored;
 * the keys of UNIMPLEMENTED are checked (with their reason) before this schema.
 */
const HfLlamaConfigSchema = z
  .strictObject({
    vocab_size: posInt,
    hidden_size: posInt,
    intermediate_size: posInt,
    num_hidden_layers: posInt,
    num_attention_heads: posInt,
    num_key_value_heads: posInt.optional(),
    head_dim: posInt.nullable().optional(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    max_position_embeddings: posInt.optional(),
    tie_word_embeddings: z.boolean().default(false),
    bos_token_id: tokenId.nullable().default(1),
    eos_token_id: z
      .union([tokenId, z.array(tokenId).nonempty()])
      .nullable()
      .default(2),
    pad_token_id: tokenId.nullable().optional(),
    initializer_range: z.number().positive().default(0.02),
    torch_dtype: torchDtype.optional(),
    // transformers ≥ 4.56 writes `dtype` where older releases wrote `torch_dtype`
    dtype: torchDtype.optional(),
    sliding_window: posInt.nullable().optional(),
    architectures: z.array(z.string()).optional(),
    model_type: z.enum(['llama', 'mistral']).optional(),
    hidden_act: z.enum(['silu', 'swish']).optional(),
    rope_scaling: z.null().optional(),
    attention_bias: z.literal(false).optional(),
    mlp_bias: z.literal(false).optional(),
    pretraining_tp: z.literal(1).optional(),
    attention_dropout: z.literal(0).optional(),
    ...metadataShape,
  })
  .superRefine((c, ctx) => {
    const kv = c.num_key_value_heads ?? c.num_attention_heads;
    if (c.num_attention_heads % kv !== 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['num_key_value_heads'],
        message: `num_attention_heads (${c.num_attention_heads}) must be a multiple of num_key_value_heads (${kv})`,
      });
    }
    const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    if (!Number.isInteger(hd) || hd % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['head_dim'], message: `head dimension ${hd} must be an even integer (hidden_size / num_attention_heads)` });
    }
    if (c.torch_dtype && c.dtype && c.torch_dtype !== c.dtype) {
      ctx.addIssue({ code: 'custom', path: ['dtype'], message: `dtype ${c.dtype} contradicts torch_dtype ${c.torch_dtype}` });
    }
  });

export type HfLlamaConfig = z.input<typeof HfLlamaConfigSchema>;

/** Refuse a key of UNIMPLEMENTED that asks for its feature, naming the key and why. */
function checkUnimplemented(json: Record<string, unknown>, file: string): void {
  for (const [key, { off, reason }] of Object.entries(UNIMPLEMENTED)) {
    if (!(key in json) || off.includes(json[key])) continue;
    throw new RhoError('UNSUPPORTED', `invalid Llama config: ${key} = ${JSON.stringify(json[key])} is not supported: ${reason}`, {
      file,
      field: key,
      expected: off.length ? off : 'absent',
      got: json[key],
      hint: off.length
        ? `only ${key}: ${off.map((v) => JSON.stringify(v)).join(' or ')} (or no ${key}) can be run`
        : `remove ${key} only if the weights do not need it`,
    });
  }
}

/** The model type a config declares through `model_type` and `architectures`; they must agree. */
function modelTypeOf(c: { model_type?: ModelType; architectures?: string[] }, file: string): ModelType {
  const fromArch = new Set<ModelType>();
  for (const a of c.architectures ?? []) {
    const t = MODEL_TYPE_OF[a];
    if (!t)
      throw new RhoError('UNSUPPORTED', `invalid Llama config: architectures lists ${a}, only ${Object.keys(MODEL_TYPE_OF).join(', ')} are implemented`, {
        file,
        field: 'architectures',
        expected: Object.keys(MODEL_TYPE_OF),
        got: a,
      });
    fromArch.add(t);
  }
  const type = c.model_type ?? [...fromArch][0] ?? 'llama';
  if (fromArch.size > 1 || (fromArch.size === 1 && !fromArch.has(type))) {
    throw new RhoError('BAD_CONFIG', `invalid Llama config: architectures ${JSON.stringify(c.architectures)} contradicts model_type ${type}`, {
      file,
      field: 'architectures',
      expected: [ARCHITECTURE_OF[type]],
      got: c.architectures,
    });
  }
  return type;
}

/** Validate a parsed config.json; `file` names it in errors. */
export function configFromHf(json: unknown, file = 'config.json'): LlamaConfig {
  if (json && typeof json === 'object' && !Array.isArray(json)) checkUnimplemented(json as Record<string, unknown>, file);
  const r = HfLlamaConfigSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || undefined;
    const unknown = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
    throw new RhoError('BAD_CONFIG', `invalid Llama config: ${field && issue.code !== 'unrecognized_keys' ? `${field}: ` : ''}${issue.message}${unknown}`, {
      file,
      field: field ?? (issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined),
      hint:
        issue.code === 'unrecognized_keys'
          ? 'only LlamaForCausalLM and MistralForCausalLM configs are read; an unknown key is refused rather than ignored, as it may change the computation'
          : undefined,
    });
  }
  const c = r.data;
  const modelType = modelTypeOf(c, file);
  if (modelType === 'llama' && c.sliding_window != null) {
    throw new RhoError(
      'UNSUPPORTED',
      `invalid Llama config: sliding_window = ${c.sliding_window} is not supported for model_type llama: LlamaForCausalLM attends to every earlier token`,
      {
        file,
        field: 'sliding_window',
        expected: null,
        got: c.sliding_window,
        hint: 'a windowed model is model_type "mistral" (MistralForCausalLM)',
      },
    );
  }
  // MistralConfig's defaults where a key is absent: a 4096 window, 4096 * 32 positions
  const slidingWindow = modelType === 'mistral' ? (c.sliding_window === undefined ? 4096 : c.sliding_window) : null;
  return Object.freeze({
    vocabSize: c.vocab_size,
    hiddenSize: c.hidden_size,
    intermediateSize: c.intermediate_size,
    numHiddenLayers: c.num_hidden_layers,
    numAttentionHeads: c.num_attention_heads,
    numKeyValueHeads: c.num_key_value_heads ?? c.num_attention_heads,
    headDim: c.head_dim ?? c.hidden_size / c.num_attention_heads,
    rmsNormEps: c.rms_norm_eps,
    ropeTheta: c.rope_theta,
    maxPositionEmbeddings: c.max_position_embeddings ?? (modelType === 'mistral' ? 4096 * 32 : 2048),
    tieWordEmbeddings: c.tie_word_embeddings,
    bosTokenId: c.bos_token_id,
    eosTokenId: c.eos_token_id,
    padTokenId: c.pad_token_id ?? null,
    initializerRange: c.initializer_range,
    torchDtype: c.torch_dtype ?? c.dtype ?? 'float32',
    modelType,
    slidingWindow,
  });
}

/** config.json content for a config, as Hugging Face transformers would read it. */
export function configToHf(c: LlamaConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architectures: [ARCHITECTURE_OF[c.modelType]],
    model_type: c.modelType,
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    num_key_value_heads: c.numKeyValueHeads,
    head_dim: c.headDim,
    max_position_embeddings: c.maxPositionEmbeddings,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    hidden_act: 'silu',
    tie_word_embeddings: c.tieWordEmbeddings,
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenId,
    initializer_range: c.initializerRange,
    torch_dtype: c.torchDtype,
  };
  if (c.padTokenId !== null) out.pad_token_id = c.padTokenId;
  // MistralConfig reads an absent key as a 4096 window, so "none" is written out as null
  if (c.modelType === 'mistral') out.sliding_window = c.slidingWindow;
  return out;
}

/** Build a config from partial HF-style fields (validated like a file). */
export function makeConfig(fields: HfLlamaConfig): LlamaConfig {
  return configFromHf(fields, '<config>');
}

export function readConfigFile(path: string): LlamaConfig {
  if (!existsSync(path))
    throw new RhoError('NOT_FOUND', 'no config.json', { file: path, hint: 'a checkpoint directory holds config.json, model.safetensors and tokenizer.json' });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `config is not valid JSON: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  return configFromHf(json, path);
}

/** The end-of-sequence ids of a config as a list (empty when none). */
export function eosIds(c: LlamaConfig): number[] {
  return c.eosTokenId === null ? [] : Array.isArray(c.eosTokenId) ? c.eosTokenId : [c.eosTokenId];
}

/** Tensor names and HF shapes ([out, in] for linear layers) a checkpoint of this config holds. */
export function expectedTensorShapes(c: LlamaConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  const d = c.hiddenSize;
  const q = c.numAttentionHeads * c.headDim;
  const kv = c.numKeyValueHeads * c.headDim;
  m.set('model.embed_tokens.weight', [c.vocabSize, d]);
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}input_layernorm.weight`, [d]);
    m.set(`${p}self_attn.q_proj.weight`, [q, d]);
    m.set(`${p}self_attn.k_proj.weight`, [kv, d]);
    m.set(`${p}self_attn.v_proj.weight`, [kv, d]);
    m.set(`${p}self_attn.o_proj.weight`, [d, q]);
    m.set(`${p}post_attention_layernorm.weight`, [d]);
    m.set(`${p}mlp.gate_proj.weight`, [c.intermediateSize, d]);
    m.set(`${p}mlp.up_proj.weight`, [c.intermediateSize, d]);
    m.set(`${p}mlp.down_proj.weight`, [d, c.intermediateSize]);
  }
  m.set('model.norm.weight', [d]);
  if (!c.tieWordEmbeddings) m.set('lm_head.weight', [c.vocabSize, d]);
  return m;
}

/** Keys transformers types as float: Python writes them with a decimal point or exponent (10000.0, 1e-05). */
const FLOAT_KEYS = new Set(['rms_norm_eps', 'rope_theta', 'initializer_range', 'attention_dropout']);

/** A number as Python's float repr writes it: shortest round-trip digits, `.0` on integers, exponents from 1e-4 down and 1e16 up. */
export function pythonFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [mant, exp] = x.toExponential().split('e') as [string, string];
    const sign = exp.startsWith('-') ? '-' : '+';
    return `${mant}e${sign}${exp.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  const s = String(x);
  return Number.isInteger(x) ? `${s}.0` : s;
}

/**
 * config.json text as transformers writes it (indent 2, float fields in Python's notation), so a
 * config built here reads, byte for byte, like one from the Hub.
 */
export function formatHfConfig(json: Record<string, unknown>): string {
  const floats: string[] = [];
  const marked = Object.fromEntries(
    Object.entries(json).map(([k, v]) => {
      if (!FLOAT_KEYS.has(k) || typeof v !== 'number') return [k, v];
      floats.push(pythonFloat(v));
      return [k, `\u0000float${floats.length - 1}\u0000`];
    }),
  );
  return `${JSON.stringify(marked, null, 2).replace(/"\\u0000float(\d+)\\u0000"/g, (_, i: string) => floats[Number(i)]!)}\n`;
}
