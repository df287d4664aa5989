import { existsSync, statSync } from 'node:fs';
import { RhoError } from '@rho/core/base';
import { HttpCompletionModel, type ApiKind } from './http.ts';
import { LocalCheckpointModel } from './local.ts';
import type { CompletionModel } from './types.ts';
// types only: core is imported when a local checkpoint is opened
import type { EngineChoice, GpuChoice, Precision } from '@rho/core';

export interface OpenModelOptions {
  /** The name servers know the model by (OpenAI `model` field). */
  modelName?: string;
  batchSize?: number;
  concurrency?: number;
  requestTimeoutS?: number;
  /** Servers: the endpoint prompts go to (default completions). */
  api?: ApiKind;
  /** Local checkpoints: which engine runs the model, in which precision, and load progress. */
  engine?: EngineChoice;
  precision?: Precision;
  gpu?: GpuChoice;
  /** Local checkpoints on the native engine: key/value memory, and whether the shared prefix is cached. */
  kvMemBytes?: number;
  prefixCache?: boolean;
  onLoadProgress?: (done: number, total: number) => void;
}

const isUrl = (s: string) => /^https?:\/\//.test(s);

/**
 * `--model` values to a CompletionModel: URLs are OpenAI-compatible servers (several spread the
 * load), anything else a local checkpoint directory or GGUF file.
 */
export async function openModel(specs: string[], opts: OpenModelOptions = {}): Promise<CompletionModel> {
  if (specs.length === 0) throw new RhoError('BAD_CONFIG', 'no model given', { hint: 'pass a checkpoint directory or --model http://HOST:PORT/v1' });
  if (specs.every(isUrl)) {
    const model = new HttpCompletionModel(
      {
        urls: specs,
        model: opts.modelName ?? 'default',
        // --concurrency is per server
        concurrency: opts.concurrency !== undefined ? opts.concurrency * specs.length : undefined,
        requestTimeoutMs: opts.requestTimeoutS ? opts.requestTimeoutS * 1000 : undefined,
      },
      opts.api,
    );
    await model.checkReachable();
    return model;
  }
  if (specs.length > 1) throw new RhoError('BAD_CONFIG', 'several models given, but only servers (http://...) can be combined', { got: specs });
  const dir = specs[0]!;
  if (!existsSync(dir) || !(statSync(dir).isDirectory() || dir.endsWith('.gguf'))) {
    throw new RhoError('NOT_FOUND', 'model is neither a checkpoint directory, a .gguf file nor an http(s) URL', { file: dir });
  }
  return LocalCheckpointModel.open(dir, {
    batchSize: opts.batchSize,
    engine: opts.engine,
    precision: opts.precision,
    gpu: opts.gpu,
    kvMemBytes: opts.kvMemBytes,
    prefixCache: opts.prefixCache,
    onLoadProgress: opts.onLoadProgress,
  });
}
