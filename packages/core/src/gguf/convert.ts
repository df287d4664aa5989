/**
 * A Hugging Face Llama/Mistral checkpoint directory as a GGUF file llama.cpp runs: tensors renamed
 * to llama.cpp's names, the rows of q_proj and k_proj permuted, weights stored as asked, the
 * tokenizer as llama.cpp's keys. One tensor is in memory at a time, so a 1.1B model converts in
 * a few hundred MB.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { RhoError } from '../errors.ts';
import type { LlamaConfig } from '../config/llama-config.ts';
import { planCheckpoint, type CheckpointPlan } from '../engine/checkpoint-plan.ts';
import { DTYPE_BYTES, decodeFloats, type FloatDtype } from '../safetensors/dtype.ts';
import { GGML_TYPE, LLAMA_FILE_TYPE } from './constants.ts';
import { llamaMetadata } from './llama-meta.ts';
import { bf16Bytes, f16Bytes, f32Bytes, q8_0Bytes, Q8_0_BLOCK, Q8_0_BLOCK_BYTES } from './quantize.ts';
import { idsOnlyMetadata, tokenizerMetadata } from './tokenizer-meta.ts';
import { writeGguf, type GgufEntry, type GgufTensorOut } from './writer.ts';

export type GgufOutType = 'f32' | 'f16' | 'bf16' | 'q8_0';
export const GGUF_OUT_TYPES: readonly GgufOutType[] = ['f32', 'f16', 'bf16', 'q8_0'];

const FILE_TYPE: Record<GgufOutType, number> = { f32: LLAMA_FILE_TYPE.F32, f16: LLAMA_FILE_TYPE.F16, bf16: LLAMA_FILE_TYPE.BF16, q8_0: LLAMA_FILE_TYPE.Q8_0 };

/** The out type that keeps a checkpoint's stored values exactly. */
export function losslessType(dtype: FloatDtype): GgufOutType {
  return dtype === 'F32' ? 'f32' : dtype === 'F16' ? 'f16' : 'bf16';
}

/** llama.cpp's name for a Hugging Face Llama tensor. */
export function ggufTensorName(hf: string): string {
  const fixed: Record<string, string> = {
    'model.embed_tokens.weight': 'token_embd.weight',
    'model.norm.weight': 'output_norm.weight',
    'lm_head.weight': 'output.weight',
  };
  if (fixed[hf]) return fixed[hf];
  const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(hf);
  const part: Record<string, string> = {
    input_layernorm: 'attn_norm',
    'self_attn.q_proj': 'attn_q',
    'self_attn.k_proj': 'attn_k',
    'self_attn.v_proj': 'attn_v',
    'self_attn.o_proj': 'attn_output',
    post_attention_layernorm: 'ffn_norm',
    'mlp.gate_proj': 'ffn_gate',
    'mlp.up_proj': 'ffn_up',
    'mlp.down_proj': 'ffn_down',
  };
  if (!m || !part[m[2]!]) throw new RhoError('UNSUPPORTED', `no llama.cpp name for tensor ${hf}`, { field: hf });
  return `blk.${m[1]}.${part[m[2]!]}.weight`;
}

/**
 * Hugging Face rotates the two halves of each head's dimensions (rotate_half); llama.cpp's llama
 * rotates adjacent pairs. Interleaving each head's halves (row h·d + j·d/2 + i goes to h·d + 2i + j)
 * makes the same product: llama.cpp's converter does the same to q_proj and k_proj.
 */
export function permuteRotaryRows(w: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const d = rows / heads;
  const half = d / 2;
  const out = new Float32Array(w.length);
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const from = (h * d + j * half + i) * cols;
        const to = (h * d + 2 * i + j) * cols;
        out.set(w.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

function readTensor(plan: CheckpointPlan, name: string): Float32Array {
  const t = plan.tensors.get(name)!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  const buf = Buffer.alloc(n * DTYPE_BYTES[t.dtype]);
  const fd = openSync(t.file, 'r');
  try {
    let got = 0;
    while (got < buf.length) {
      const r = readSync(fd, buf, got, buf.length - got, t.offset + got);
      if (r === 0) throw new RhoError('BAD_INPUT', `tensor ${name} is cut short`, { file: t.file, field: name });
      got += r;
    }
  } finally {
    closeSync(fd);
  }
  return decodeFloats(buf, t.dtype);
}

/** The ggml type a tensor is stored as: norms in F32; Q8_0 where rows split into 32-value blocks, else F16 (as llama.cpp's converter falls back). */
function tensorType(shape: number[], type: GgufOutType): number {
  if (shape.length === 1 || type === 'f32') return GGML_TYPE.F32;
  if (type === 'f16') return GGML_TYPE.F16;
  if (type === 'bf16') return GGML_TYPE.BF16;
  return shape[shape.length - 1]! % Q8_0_BLOCK === 0 ? GGML_TYPE.Q8_0 : GGML_TYPE.F16;
}

function encode(x: Float32Array, ggmlType: number): Uint8Array {
  if (ggmlType === GGML_TYPE.F32) return f32Bytes(x);
  if (ggmlType === GGML_TYPE.F16) return f16Bytes(x);
  if (ggmlType === GGML_TYPE.BF16) return bf16Bytes(x);
  return q8_0Bytes(x);
}

function bytesOf(elements: number, ggmlType: number): number {
  if (ggmlType === GGML_TYPE.F32) return 4 * elements;
  if (ggmlType === GGML_TYPE.Q8_0) return (elements / Q8_0_BLOCK) * Q8_0_BLOCK_BYTES;
  return 2 * elements;
}

export interface ConvertOptions {
  type: GgufOutType;
  out: string;
  /** general.name (default: the directory's name). */
  name?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface ConvertResult {
  out: string;
  bytes: number;
  config: LlamaConfig;
  tensors: number;
  /** Tensors kept in F16 because their rows do not split into Q8_0 blocks. */
  f16Fallbacks: string[];
  tokenizer: string;
}

/** Every check of the checkpoint (config, shards, shapes, tokenizer) runs before the first byte is written. */
export function convertToGguf(dir: string, opts: ConvertOptions): ConvertResult {
  if (!GGUF_OUT_TYPES.includes(opts.type))
    throw new RhoError('BAD_CONFIG', `type must be one of ${GGUF_OUT_TYPES.join(', ')}, got '${opts.type}'`, {
      field: 'type',
      expected: GGUF_OUT_TYPES,
      got: opts.type,
    });
  const plan = planCheckpoint(dir);
  const c = plan.config;
  const meta = new Map<string, GgufEntry>(llamaMetadata(c, opts.name ?? basename(resolve(dir))));
  meta.set('general.file_type', { type: 'u32', value: FILE_TYPE[opts.type] });
  if (opts.type === 'q8_0') meta.set('general.quantization_version', { type: 'u32', value: 2 });
  const tok = plan.tokenizerPath ? tokenizerMetadata(plan.tokenizerPath, c) : idsOnlyMetadata(c);
  for (const [k, v] of tok) meta.set(k, v);

  const names = [...plan.tensors.keys()].filter((n) => !(c.tieWordEmbeddings && n === 'lm_head.weight'));
  const order = (n: string) =>
    n === 'model.embed_tokens.weight' ? -2 : n.startsWith('model.layers.') ? Number(n.split('.')[2]) : n === 'model.norm.weight' ? 1e9 : 1e9 + 1;
  names.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const f16Fallbacks: string[] = [];
  const tensors: GgufTensorOut[] = names.map((name) => {
    const shape = plan.tensors.get(name)!.shape;
    const type = tensorType(shape, opts.type);
    if (opts.type === 'q8_0' && shape.length === 2 && type === GGML_TYPE.F16) f16Fallbacks.push(name);
    const elements = shape.reduce((a, b) => a * b, 1);
    return {
      name: ggufTensorName(name),
      dims: [...shape].reverse(),
      type,
      bytes: bytesOf(elements, type),
      data: () => {
        let x = readTensor(plan, name);
        if (name.endsWith('self_attn.q_proj.weight')) x = permuteRotaryRows(x, shape[0]!, shape[1]!, c.numAttentionHeads);
        if (name.endsWith('self_attn.k_proj.weight')) x = permuteRotaryRows(x, shape[0]!, shape[1]!, c.numKeyValueHeads);
        return encode(x, type);
      },
    };
  });
  const { bytes } = writeGguf(opts.out, meta, tensors, opts.onProgress);
  return {
    out: opts.out,
    bytes,
    config: c,
    tensors: tensors.length,
    f16Fallbacks,
    tokenizer: plan.tokenizerPath ? String((tok.get('tokenizer.ggml.model') as { value: string }).value) : 'none (token ids only)',
  };
}
