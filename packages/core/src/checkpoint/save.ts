import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RhoError } from '../errors.ts';
import { fsyncDir, tempPathFor, writeFileSynced } from '../io/atomic.ts';
import { writeChecksums } from './checksums.ts';
import { configToHf } from '../config/llama-config.ts';
import type { LlamaModel } from '../model/llama.ts';
import { writeCheckpointTensors } from '../safetensors/sharded.ts';
import type { FloatDtype } from '../safetensors/dtype.ts';
import type { SafeTensor } from '../safetensors/format.ts';
import { CONFIG_FILE, TOKENIZER_FILE } from './load.ts';

export interface SaveOptions {
  /** Copied into the directory as tokenizer.json. */
  tokenizerJsonPath?: string;
  /** More files for the directory (trainer state, say), by file name. */
  extraFiles?: Record<string, Uint8Array | string>;
  /** Storage dtype of the weights; default: the config's torch_dtype. */
  dtype?: FloatDtype;
  /** Split into model-0000i-of-0000n.safetensors + index above this many bytes per shard. */
  maxShardBytes?: number;
  /** Also write checksums.sha256 (`sha256sum -c` reads it) over every file, checked on resume. */
  checksums?: boolean;
}

const DTYPE_OF: Record<string, FloatDtype> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };
const TORCH_OF: Record<FloatDtype, 'float32' | 'float16' | 'bfloat16'> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Save a model as a Hugging Face checkpoint directory. The whole directory is written beside the
 * target (each file fsynced) and renamed into place, so a kill at any instant leaves the old
 * checkpoint or the new one, never a mix; what a killed save leaves beside it is a temporary
 * named by tempPathFor, which `removeStaleTemps` clears.
 */
export async function saveCheckpoint(dir: string, model: LlamaModel, opts: SaveOptions = {}): Promise<void> {
  const target = resolve(dir);
  const dtype = opts.dtype ?? DTYPE_OF[model.config.torchDtype] ?? 'F32';
  const tmp = tempPathFor(target);
  let tokenizer: Uint8Array | undefined;
  if (opts.tokenizerJsonPath) {
    if (!existsSync(opts.tokenizerJsonPath)) throw new RhoError('NOT_FOUND', 'no tokenizer.json to copy', { file: opts.tokenizerJsonPath });
    tokenizer = readFileSync(opts.tokenizerJsonPath);
  }
  const tensors = new Map<string, SafeTensor>();
  for (const [name, v] of model.weights) tensors.set(name, { dtype, shape: [...v.shape], data: (await v.data()) as Float32Array });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSynced(join(tmp, CONFIG_FILE), `${JSON.stringify({ ...configToHf(model.config), torch_dtype: TORCH_OF[dtype] }, null, 2)}\n`);
    writeCheckpointTensors(tmp, tensors, { maxShardBytes: opts.maxShardBytes });
    if (tokenizer) writeFileSynced(join(tmp, TOKENIZER_FILE), tokenizer);
    for (const [name, content] of Object.entries(opts.extraFiles ?? {})) {
      if (name.includes('/') || name.includes('\\') || name.startsWith('.'))
        throw new RhoError('BAD_CONFIG', `extra file name must be a plain file name: ${name}`, { field: 'extraFiles' });
      writeFileSynced(join(tmp, name), content);
    }
    if (opts.checksums) writeChecksums(tmp);
    fsyncDir(tmp);
    // A checkpoint is replaced whole: files of an older one at this path do not carry over.
    const old = existsSync(target) ? `${tmp}.old` : null;
    if (old) renameSync(target, old);
    renameSync(tmp, target);
    if (old) rmSync(old, { recursive: true, force: true });
    fsyncDir(dirname(target));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
