import { statSync } from 'node:fs';
import type { LlamaConfig } from '../config/llama-config.ts';
import { expectedTensorShapes } from '../config/llama-config.ts';
import { weightFiles } from '../safetensors/sharded.ts';

/** Bytes of a checkpoint's weight files on disk (model.safetensors, or every shard its index names). */
export function checkpointWeightBytes(dir: string): number {
  return weightFiles(dir).files.reduce((n, f) => n + statSync(f).size, 0);
}

/** Parameters a config's weights hold. */
export function parameterCount(config: LlamaConfig): number {
  let n = 0;
  for (const shape of expectedTensorShapes(config).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}
