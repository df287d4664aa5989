import { existsSync, statSync } from 'node:fs';
import { freemem, totalmem } from 'node:os';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { expectedTensorShapes, readConfigFile, type LlamaConfig } from '../config/llama-config.ts';
import { checkTensorShapes } from '../model/llama.ts';
import { DTYPE_BYTES, FLOAT_DTYPES, type FloatDtype } from '../safetensors/dtype.ts';
import { readSafetensorsHeader } from '../safetensors/format.ts';
import { weightFiles } from '../safetensors/sharded.ts';

/** Where one tensor's bytes lie. */
export interface TensorPlace {
  file: string;
  /** Byte offset of the tensor's data in the file. */
  offset: number;
  dtype: FloatDtype;
  shape: number[];
}

export interface CheckpointPlan {
  dir: string;
  config: LlamaConfig;
  tensors: Map<string, TensorPlace>;
  files: string[];
  /** Bytes of tensor data on disk. */
  weightBytes: number;
  /** The dtype most of the weight bytes are stored in. */
  weightDtype: FloatDtype;
  tokenizerPath?: string;
}

/**
 * Everything about a checkpoint directory that can be known without reading its weights: config,
 * every shard's header, each tensor's place, dtype and shape checked against the config. All the
 * errors a bad checkpoint can give (missing or truncated shard, wrong shapes, unsupported dtype)
 * come from here, in seconds, before any long work.
 */
export function planCheckpoint(dir: string): CheckpointPlan {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new RhoError('NOT_FOUND', 'checkpoint directory does not exist', {
      file: dir,
      hint: 'create one with `pnpm core init` or download a Hugging Face Llama checkpoint',
    });
  }
  const config = readConfigFile(join(dir, 'config.json'));
  checkConfigFitsInMemory(config, join(dir, 'config.json'));
  const { files, weightMap } = weightFiles(dir);
  const tensors = new Map<string, TensorPlace>();
  for (const file of files) {
    const header = readSafetensorsHeader(file);
    for (const [name, e] of header.tensors) {
      if (!FLOAT_DTYPES.includes(e.dtype as FloatDtype)) {
        throw new RhoError('UNSUPPORTED', `tensor ${name} has dtype ${e.dtype}, which the kernels lack`, {
          file,
          field: name,
          expected: FLOAT_DTYPES,
          got: e.dtype,
          hint: 'convert the checkpoint to bfloat16, float16 or float32',
        });
      }
      const dtype = e.dtype as FloatDtype;
      const want = e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
      if (e.data_offsets[1] - e.data_offsets[0] !== want) {
        throw new RhoError(
          'BAD_INPUT',
          `tensor ${name}: shape [${e.shape}] of ${dtype} needs ${want} bytes, the header gives ${e.data_offsets[1] - e.data_offsets[0]}`,
          { file, field: name },
        );
      }
      if (tensors.has(name)) throw new RhoError('BAD_INPUT', `tensor ${name} appears in more than one shard`, { file, field: name });
      tensors.set(name, { file, offset: header.dataStart + e.data_offsets[0], dtype, shape: [...e.shape] });
    }
  }
  if (weightMap) {
    for (const [name, f] of weightMap) {
      if (!tensors.has(name))
        throw new RhoError('BAD_INPUT', `the index names tensor ${name}, its shard does not hold it`, { file: join(dir, f), field: name });
    }
  }
  const where = files.length === 1 ? files[0] : dir;
  checkTensorShapes(config, new Map([...tensors].map(([k, t]) => [k, t.shape])), where);
  const bytesBy = new Map<FloatDtype, number>();
  let weightBytes = 0;
  for (const name of expectedTensorShapes(config).keys()) {
    const t = tensors.get(name)!;
    const b = t.shape.reduce((a, x) => a * x, 1) * DTYPE_BYTES[t.dtype];
    weightBytes += b;
    bytesBy.set(t.dtype, (bytesBy.get(t.dtype) ?? 0) + b);
  }
  const weightDtype = [...bytesBy].sort((a, b) => b[1] - a[1])[0]![0];
  const tok = join(dir, 'tokenizer.json');
  return { dir, config, tensors, files, weightBytes, weightDtype, tokenizerPath: existsSync(tok) ? tok : undefined };
}

/**
 * Bytes the engine holds for the weights at a precision: 16-bit weights are used in place
 * (mapped), FP32 matrices at bf16 become BF16 copies, F16 matrices at bf16 too.
 */
export function residentWeightBytes(plan: CheckpointPlan, precision: 'bf16' | 'fp32'): number {
  let total = 0;
  for (const name of expectedTensorShapes(plan.config).keys()) {
    const t = plan.tensors.get(name)!;
    const n = t.shape.reduce((a, x) => a * x, 1);
    const matrix = t.shape.length === 2 && name !== 'model.embed_tokens.weight';
    if (t.shape.length === 1) total += 4 * n;
    else if (t.dtype === 'BF16') total += 2 * n;
    else if (t.dtype === 'F32')
      total += matrix && precision === 'bf16' ? 2 * n + 4 * n : 4 * n; // the mapped F32 pages are read once while rounding
    else total += 2 * n; // F16: in place, or rounded to a BF16 copy at bf16
  }
  return total;
}

/**
 * Refuses a config whose weights alone, at two bytes each (the least any supported dtype takes),
 * exceed this machine's memory: said from config.json before a shard is opened.
 */
export function checkConfigFitsInMemory(config: LlamaConfig, file: string, memory = totalmem()): void {
  let params = 0;
  for (const shape of expectedTensorShapes(config).values()) params += shape.reduce((a, x) => a * x, 1);
  const need = 2 * params;
  if (need > 0.9 * memory) {
    const gb = (x: number) => `${(x / 1e9).toFixed(1)} GB`;
    throw new RhoError(
      'UNSUPPORTED',
      `the config describes ${(params / 1e9).toFixed(1)}B parameters: ${gb(need)} even in 16 bits, this machine has ${gb(memory)}`,
      {
        file,
        expected: `<= ${gb(0.9 * memory)}`,
        got: gb(need),
        hint: 'use a machine with more memory, or a quantized GGUF through llama.cpp',
      },
    );
  }
}

/**
 * Refuses, before loading, a checkpoint whose weights cannot fit in this machine's memory
 * (with a tenth kept back for activations, the cache and the runtime).
 */
export function checkFitsInMemory(plan: CheckpointPlan, precision: 'bf16' | 'fp32', memory = totalmem()): void {
  const need = residentWeightBytes(plan, precision);
  if (need > 0.9 * memory) {
    const gb = (x: number) => `${(x / 1e9).toFixed(1)} GB`;
    throw new RhoError('UNSUPPORTED', `the weights need ${gb(need)} of memory at ${precision}, this machine has ${gb(memory)} (${gb(freemem())} free)`, {
      file: plan.dir,
      expected: `<= ${gb(0.9 * memory)}`,
      got: gb(need),
      hint:
        precision === 'fp32' ? 'try --precision bf16, or a machine with more memory' : 'use a machine with more memory, or a quantized GGUF through llama.cpp',
    });
  }
}
