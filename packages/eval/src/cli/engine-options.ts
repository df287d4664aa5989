import { Option } from 'commander';
import { RhoError } from '@rho/core/base';
// types only: core (and TensorFlow.js) loads when a local checkpoint is opened, not for HTTP runs
import type { EngineChoice, GpuChoice, Precision } from '@rho/core';

const ENGINES = ['auto', 'native', 'tfjs', 'llama.cpp'] as const satisfies readonly EngineChoice[];
const PRECISIONS = ['auto', 'bf16', 'fp32'] as const satisfies readonly Precision[];
const GPUS = ['auto', 'cuda', 'vulkan', 'metal', 'none'] as const satisfies readonly GpuChoice[];

/** `--engine`, `--precision` and `--gpu` as every command that runs a local checkpoint takes them. */
export function engineOptions(): Option[] {
  return [
    new Option(
      '--engine <engine>',
      'what runs a local checkpoint: native (memory-mapped weights in their stored precision, outside the wasm heap), tfjs (small checkpoints only), llama.cpp (GGUF files, quantized weights, GPUs; the optional node-llama-cpp) or auto (llama.cpp for a .gguf file, else native where built, else tfjs); default $RHO_ENGINE, else auto',
    ).choices(ENGINES),
    new Option(
      '--precision <p>',
      "matmul arithmetic of the native and tfjs engines: bf16 (BF16 inputs, FP32 accumulation), fp32, or auto (bf16 where the CPU has BF16 instructions); default auto. llama.cpp computes in the GGUF file's weight type",
    ).choices(PRECISIONS),
    new Option(
      '--gpu <gpu>',
      'llama.cpp engine: auto (the best GPU backend node-llama-cpp finds, else the CPU), cuda, vulkan, metal or none; default auto',
    ).choices(GPUS),
  ];
}

/** For options given on a server, where they change nothing: one clear error instead of silence. */
export function refuseEngineForServers(opts: { engine?: string; precision?: string; gpu?: string }, isServer: boolean): void {
  if (!isServer) return;
  for (const k of ['engine', 'precision', 'gpu'] as const) {
    if (opts[k] !== undefined)
      throw new RhoError('BAD_CONFIG', `--${k} applies to a local checkpoint, not to a server (--model http://...)`, { field: k, got: opts[k] });
  }
}
