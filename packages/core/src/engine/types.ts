import type { LlamaConfig } from '../config/llama-config.ts';
import type { GenerateOptions, GenerateResult } from '../generate/run-generation.ts';
import type { Precision } from '../backend/precision.ts';
import type { FloatDtype } from '../safetensors/dtype.ts';

/**
 * Which code runs a model. `tfjs`: LlamaModel on the tfjs backend (what training differentiates);
 * `native`: the addon's engine (native/src/rho_engine.c) over the checkpoint's weights as stored
 * (memory-mapped BF16/F16/F32), prompt pass and KV-cache decoding alike, outside the wasm heap;
 * `llama.cpp`: llama.cpp through the optional node-llama-cpp (GGUF files, quantized weights, GPUs);
 * `auto`: llama.cpp for a GGUF file; for a checkpoint directory native when the addon is built, else tfjs.
 */
export type EngineChoice = 'auto' | 'native' | 'tfjs' | 'llama.cpp';
export type EngineName = Exclude<EngineChoice, 'auto'>;

/** Where llama.cpp runs: `auto` takes the best GPU backend node-llama-cpp finds, else the CPU. */
export type GpuChoice = 'auto' | 'cuda' | 'vulkan' | 'metal' | 'none';

/** F32/F16/BF16 for safetensors and GGUF floats; ggml's type name (Q8_0, ...) for quantized GGUF weights. */
export type WeightDtype = FloatDtype | 'Q8_0' | (string & {});

export type { Precision } from '../backend/precision.ts';

/** A causal LM behind one interface, whichever engine runs it: what eval, serve, scoring and checks use. */
export interface CausalLm {
  readonly config: LlamaConfig;
  /** The engine that runs it, resolved. */
  readonly engine: EngineName;
  /**
   * The precision in effect, resolved: `bf16` wherever matrix products take inputs of fewer than
   * 32 bits (BF16 products; on llama.cpp also F16 and quantized weights, whose products round the
   * activations to the weights' type), so comparisons widen their tolerances.
   */
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

/** Text to token ids and back: a Tokenizer, or llama.cpp's tokenizer of a GGUF file. */
export interface TextCodec {
  /**
   * With the beginning-of-sequence token where the tokenizer adds one; `addBos: false` leaves it
   * out (text that already holds it, e.g. a rendered chat template).
   */
  encode(text: string, opts?: { addBos?: boolean; addEos?: boolean }): number[];
  decode(ids: readonly number[], opts?: { skipSpecial?: boolean }): string;
}

export interface OpenOptions {
  engine?: EngineChoice;
  precision?: Precision;
  /** llama.cpp only: where it runs (default auto). */
  gpu?: GpuChoice;
  /** Progress while weights are mapped and prepared (bytes done, bytes in all). */
  onLoadProgress?: (done: number, total: number) => void;
}

export interface OpenedCheckpoint {
  lm: CausalLm;
  /** tokenizer.json of the directory, when it has one. */
  tokenizerPath?: string;
  /** A GGUF file's own tokenizer (llama.cpp's), when the model came from one. */
  textCodec?: TextCodec;
  /** The dtype most weights are stored in. */
  weightDtype: WeightDtype;
  /** Bytes of weights on disk. */
  weightBytes: number;
}
