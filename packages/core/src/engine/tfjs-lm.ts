import * as tf from '@tensorflow/tfjs-core';
import { initBackendInfo } from '../backend/index.ts';
import { loadCheckpoint } from '../checkpoint/load.ts';
import { generate, type GenerateOptions, type GenerateResult } from '../generate/generate.ts';
import type { LlamaModel } from '../model/llama.ts';
import type { CausalLm, OpenedCheckpoint, OpenOptions } from './types.ts';
import { checkpointWeightBytes } from './weights.ts';

/**
 * The tfjs engine: a LlamaModel (what training differentiates) behind CausalLm. Everything runs
 * on the inference weight copies (norms folded in), the path generation and scoring always used.
 * `model` stays reachable so parity checks can also exercise the training formula and both decoders.
 */
export class TfjsLm implements CausalLm {
  readonly engine = 'tfjs' as const;
  // tfjs has no BF16 arithmetic: BF16 weights are widened at load and everything runs in FP32.
  readonly precision = 'fp32' as const;

  constructor(
    readonly model: LlamaModel,
    readonly description: string,
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
 * Open a checkpoint directory on the tfjs engine (weights widened to FP32 in the tfjs backend's
 * memory). `note` is appended to the description (why this engine and not native).
 */
export async function openTfjsLm(dir: string, opts: OpenOptions = {}, note?: string): Promise<OpenedCheckpoint> {
  const info = await initBackendInfo();
  const weightBytes = checkpointWeightBytes(dir);
  // loadCheckpoint reads everything in one go: progress can only say started and done
  opts.onLoadProgress?.(0, weightBytes);
  const { model, tokenizerPath, weightDtype } = await loadCheckpoint(dir);
  opts.onLoadProgress?.(weightBytes, weightBytes);
  const matmul = info.matmul === 'openblas' ? 'OpenBLAS matmul' : 'tfjs matmul';
  const lm = new TfjsLm(model, `tfjs engine, fp32, backend ${info.name} (${matmul})${note ? `; ${note}` : ''}`);
  return { lm, tokenizerPath, weightDtype, weightBytes };
}
