import * as tf from '@tensorflow/tfjs-core';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { activePrecision, initBackendInfo, setPrecision } from '../backend/index.ts';
import { CONFIG_FILE, loadCheckpoint } from '../checkpoint/load.ts';
import { readConfigFile, type LlamaConfig } from '../config/llama-config.ts';
import { RhoError } from '../errors.ts';
import { generate } from '../generate/generate.ts';
import type { GenerateOptions, GenerateResult } from '../generate/run-generation.ts';
import type { LlamaModel } from '../model/llama.ts';
import type { CausalLm, OpenedCheckpoint, OpenOptions } from './types.ts';
import { checkpointWeightBytes, parameterCount } from './weights.ts';

/**
 * The tfjs engine: a LlamaModel (what training differentiates) behind CausalLm. Everything runs
 * on the inference weight copies (norms folded in), the path generation and scoring always used.
 * `model` stays reachable so parity checks can also exercise the training formula and both decoders.
 */
export class TfjsLm implements CausalLm {
  readonly engine = 'tfjs' as const;

  constructor(
    readonly model: LlamaModel,
    readonly description: string,
    /** the backend's matmul arithmetic (process-wide in tfjs); weights are FP32 tensors either way */
    readonly precision: 'bf16' | 'fp32' = 'fp32',
  ) {}

  get config() {
    return this.model.config;
  }

  checkIds(rows: readonly (readonly number[])[]): void {
    this.model.checkIds(rows);
  }

  generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): GenerateResult {
    return generate(this.model, prompts, opts);
  }

  logits(rows: readonly (readonly number[])[]): Float32Array[] {
    this.checkIds(rows);
    return byLength(rows, 1, (ids) => this.model.logits(ids, { inference: true }));
  }

  tokenLosses(rows: readonly (readonly number[])[]): Float32Array[] {
    this.checkIds(rows);
    // one token has no next token to score
    return byLength(rows, 2, (ids) => this.model.tokenLosses(ids, undefined, { inference: true }));
  }

  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Rows of equal length run as one batch and need no padding, so no row's numbers depend on
 * another's (a padded batch would differ in the last bits). Rows shorter than `minLength` get an
 * empty result. Results come back in the rows' order, each row-major.
 */
export function byLength(rows: readonly (readonly number[])[], minLength: number, run: (ids: tf.Tensor2D) => tf.Tensor): Float32Array[] {
  const out: Float32Array[] = rows.map(() => new Float32Array(0));
  const groups = new Map<number, number[]>();
  rows.forEach((r, i) => {
    if (r.length < minLength) return;
    const g = groups.get(r.length);
    if (g) g.push(i);
    else groups.set(r.length, [i]);
  });
  for (const [len, members] of groups) {
    const ids = tf.tensor2d(Int32Array.from(members.flatMap((i) => rows[i]!)), [members.length, len], 'int32');
    let res: tf.Tensor | undefined;
    try {
      res = run(ids);
      const data = res.dataSync() as Float32Array;
      const per = data.length / members.length;
      members.forEach((i, b) => (out[i] = data.slice(b * per, (b + 1) * per)));
    } finally {
      ids.dispose();
      res?.dispose();
    }
  }
  return out;
}

/**
 * Refuse, before loading, a checkpoint the tfjs engine cannot hold: it keeps FP32 variables plus
 * the FP32 inference copies, and the wasm backend's heap is 32-bit. Without this a 1.1B model dies
 * half-way through loading with `memory access out of bounds`.
 */
export function checkTfjsFits(config: LlamaConfig, backend: string, dir: string, memBytes = totalmem()): void {
  const need = 2 * 4 * parameterCount(config);
  const limit = backend === 'wasm' ? 4 * 2 ** 30 : memBytes;
  if (need <= limit) return;
  const gb = (x: number) => `${(x / 1e9).toFixed(1)} GB`;
  throw new RhoError(
    'UNSUPPORTED',
    `the tfjs engine needs about ${gb(need)} for this checkpoint (FP32 weights and their inference copies), more than the ${backend === 'wasm' ? `wasm backend's ${gb(limit)} heap` : `machine's ${gb(limit)} of memory`}`,
    {
      file: dir,
      expected: `<= ${gb(limit)}`,
      got: gb(need),
      hint: 'run it on the native engine (--engine native), which keeps the weights memory-mapped in their stored precision',
    },
  );
}

/**
 * Open a checkpoint directory on the tfjs engine (weights widened to FP32 in the tfjs backend's
 * memory). `note` is appended to the description (why this engine and not native).
 */
export async function openTfjsLm(dir: string, opts: OpenOptions = {}, note?: string): Promise<OpenedCheckpoint> {
  // before the backend starts: its matmul kernels read the precision in effect
  if (opts.precision) setPrecision(opts.precision);
  const info = await initBackendInfo({ precision: opts.precision });
  checkTfjsFits(readConfigFile(join(dir, CONFIG_FILE)), info.name, dir);
  const precision = info.matmul === 'tfjs' ? 'fp32' : activePrecision({ backend: info.name });
  const weightBytes = checkpointWeightBytes(dir);
  // loadCheckpoint reads everything in one go: progress can only say started and done
  opts.onLoadProgress?.(0, weightBytes);
  const { model, tokenizerPath, weightDtype } = await loadCheckpoint(dir);
  opts.onLoadProgress?.(weightBytes, weightBytes);
  const matmul = info.matmul === 'onednn' ? `oneDNN ${info.isa ?? ''}`.trim() : info.matmul === 'openblas' ? 'OpenBLAS' : 'tfjs';
  const lm = new TfjsLm(model, `tfjs engine, ${precision}, backend ${info.name} (${matmul} matmul)${note ? `; ${note}` : ''}`, precision);
  return { lm, tokenizerPath, weightDtype, weightBytes };
}
