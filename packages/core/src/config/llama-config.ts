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
}

const posInt = z.number().int().positive();
const tokenId = z.number().int().nonnegative();

/**
 * config.json as Hugging Face writes it for LlamaForCausalLM. Keys we do not know are an error
 * (nanoGPT's rule); keys that only describe a feature we do not implement must hold the value
 * that means "off", so a config that needs, say, rope scaling is refused instead of silently misread.
 */
const HfLlamaConfigSchema = z
  .strictObject({
    vocab_size: posInt,
    hidden_size: posInt,
    intermediate_size: posInt,
    num_hidden_layers: posInt,
    num_attention_heads: posInt,
    num_key_value_heads: posInt.optional(),
    head_dim: posInt.optional(),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    max_position_embeddings: posInt.default(2048),
    tie_word_embeddings: z.boolean().default(false),
    bos_token_id: tokenId.nullable().default(1),
    eos_token_id: z.union([tokenId, z.array(tokenId).nonempty()]).nullable().default(2),
    pad_token_id: tokenId.nullable().optional(),
    initializer_range: z.number().positive().default(0.02),
    torch_dtype: z.enum(['float32', 'float16', 'bfloat16']).default('float32'),
    hidden_act: z.literal('silu').optional(),
    rope_scaling: z.null().optional(),
    attention_bias: z.literal(false).optional(),
    mlp_bias: z.literal(false).optional(),
    pretraining_tp: z.literal(1).optional(),
    attention_dropout: z.literal(0).optional(),
    // Metadata that does not change the computation.
    architectures: z.array(z.string()).optional(),
    model_type: z.literal('llama').optional(),
    transformers_version: z.string().optional(),
    use_cache: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    const kv = c.num_key_value_heads ?? c.num_attention_heads;
    if (c.num_attention_heads % kv !== 0) {
      ctx.addIssue({ code: 'custom', path: ['num_key_value_heads'], message: `num_attention_heads (${c.num_attention_heads}) must be a multiple of num_key_value_heads (${kv})` });
    }
    const hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    if (!Number.isInteger(hd) || hd % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['head_dim'], message: `head dimension ${hd} must be an even integer (hidden_size / num_attention_heads)` });
    }
  });

export type HfLlamaConfig = z.input<typeof HfLlamaConfigSchema>;

/** Validate a parsed config.json; `file` names it in errors. */
export function configFromHf(json: unknown, file = 'config.json'): LlamaConfig {
  const r = HfLlamaConfigSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || undefined;
    const unknown = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
    throw new RhoError('BAD_CONFIG', `invalid Llama config: ${issue.message}${unknown}`, {
      file,
      field,
      hint: issue.code === 'unrecognized_keys' ? 'only LlamaForCausalLM configs without rope scaling or biases are supported' : undefined,
    });
  }
  const c = r.data;
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
    maxPositionEmbeddings: c.max_position_embeddings,
    tieWordEmbeddings: c.tie_word_embeddings,
    bosTokenId: c.bos_token_id,
    eosTokenId: c.eos_token_id,
    padTokenId: c.pad_token_id ?? null,
    initializerRange: c.initializer_range,
    torchDtype: c.torch_dtype,
  });
}

/** config.json content for a config, as Hugging Face transformers would read it. */
export function configToHf(c: LlamaConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
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
  return out;
}

/** Build a config from partial HF-style fields (validated like a file). */
export function makeConfig(fields: HfLlamaConfig): LlamaConfig {
  return configFromHf(fields, '<config>');
}

export function readConfigFile(path: string): LlamaConfig {
  if (!existsSync(path)) throw new RhoError('NOT_FOUND', 'no config.json', { file: path, hint: 'a checkpoint directory holds config.json, model.safetensors and tokenizer.json' });
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
