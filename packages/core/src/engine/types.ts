import type { LlamaConfig } from '../config/llama-config.ts';
import type { GenerateOptions, GenerateResult } from '../generate/generate.ts';
import type { FloatDtype } from '../safetensors/dtype.ts';

/**
 * Which code runs a model. `tfjs`: LlamaModel on the tfjs backend (what training differentiates);
 * `native`: the addon's engine (native/src/rho_engine.c) over the checkpoint's weights as stored
 * (memory-mapped BF16/F16/F32), prompt pass and KV-cache decoding alike, outside the wasm heap;
 * `auto`: native when the addon is built, else tfjs.
 */
export type EngineChoice = 'auto' | 'native' | 'tfjs';

/**
 * Arithmetic of the matrix products. `bf16`: BF16 inputs, FP32 accumulation (oneDNN, where the CPU
 * has BF16 instructions), everything else FP32; `fp32`: FP32 throughout. `auto`: bf16 where supported.
 */
export type Precision = 'auto' | 'bf16' | 'fp32';

/** A causal LM behind one interface, whichever engine runs it: what eval, serve, scoring and checks use. */
export interface CausalLm {
  readonly config: LlamaConfig;
  /** The engine that runs it, resolved ('native' or 'tfjs'). */
  readonly engine: 'native' | 'tfjs';
  /** The precision in effect, resolved ('bf16' or 'fp32'). */
  readonly precision: 'bf16' | 'fp32';
  /** One line for logs and metrics, e.g. `native engine, bf16 (oneDNN avx512_core_bf16), 2 threads`. */
  readonly description: string;
  /** Token ids must index the vocabulary; throws a BAD_INPUT RhoError naming the id otherwise. */
  checkIds(rows: readonly (readonly number[])[]): void;
  /** KV-cache generation; prompts of different lengths in one call. Same contract as core's `generate`. */
  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): GenerateResult;
  /** Logits of every position of each row, row-major [T, V] per row. */
  logits(rows: readonly (readonly number[])[]): Float32Array[];
  /** Cross-entropy of each next token, length T-1 per row (scoring). */
  tokenLosses(rows: readonly (readonly number[])[]): Float32Array[];
  dispose(): void;
}

export interface OpenOptions {
  engine?: EngineChoice;
  precision?: Precision;
  /** Progress while weights are mapped and prepared (bytes done, bytes in all). */
  onLoadProgress?: (done: number, total: number) => void;
}

export interface OpenedCheckpoint {
  lm: CausalLm;
  /** tokenizer.json of the directory, when it has one. */
  tokenizerPath?: string;
  /** The dtype most weights are stored in. */
  weightDtype: FloatDtype;
  /** Bytes of weights on disk. */
  weightBytes: number;
}
