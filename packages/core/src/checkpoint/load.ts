import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { readConfigFile, type LlamaConfig } from '../config/llama-config.ts';
import { checkTensorShapes, LlamaModel } from '../model/llama.ts';
import { readCheckpointTensors, weightFiles } from '../safetensors/sharded.ts';
import type { FloatDtype } from '../safetensors/dtype.ts';

export const CONFIG_FILE = 'config.json';
export const TOKENIZER_FILE = 'tokenizer.json';

export interface LoadedCheckpoint {
  config: LlamaConfig;
  model: LlamaModel;
  /** tokenizer.json of the directory, when it has one. */
  tokenizerPath?: string;
  /** The dtype the weights were stored in (the model computes in float32 regardless). */
  weightDtype: FloatDtype;
}

/**
 * Load a Hugging Face checkpoint directory: config.json, model.safetensors (or a sharded index),
 * tokenizer.json if present. Weights are checked against the config before any tensor is made.
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new RhoError('NOT_FOUND', 'checkpoint directory does not exist', {
      file: dir,
      hint: 'create one with `pnpm core init` or download a Hugging Face Llama checkpoint',
    });
  }
  const config = readConfigFile(join(dir, CONFIG_FILE));
  const raw = readCheckpointTensors(dir);
  const where = weightFiles(dir).files.length === 1 ? weightFiles(dir).files[0] : dir;
  checkTensorShapes(config, new Map([...raw].map(([k, t]) => [k, t.shape])), where);
  const dtypes = new Set([...raw.values()].map((t) => t.dtype));
  const weightDtype: FloatDtype = dtypes.has('F32') ? 'F32' : dtypes.has('BF16') ? 'BF16' : dtypes.has('F16') ? 'F16' : 'F32';
  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const [name, t] of raw) {
      tensors.set(name, tf.tensor(t.data, t.shape, 'float32'));
      raw.delete(name); // let the JS copy go as soon as the backend holds one (large checkpoints)
    }
    const model = LlamaModel.fromWeights(config, tensors, where);
    const tok = join(dir, TOKENIZER_FILE);
    return {
      config,
      model,
      tokenizerPath: existsSync(tok) ? tok : undefined,
      weightDtype,
    };
  } finally {
    tf.dispose([...tensors.values()]);
  }
}
