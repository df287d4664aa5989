import * as tf from '@tensorflow/tfjs-core';
import type { LayerKv } from '../model/llama.ts';

/**
 * Keys and values of every layer for the tokens processed so far, plus the padding mask of those
 * tokens. Owns its tensors: `update` disposes the previous ones, `dispose` the current.
 */
export class KvCache {
  layers: LayerKv[] = [];
  /** Per row, 1 for a real token and 0 for padding, over all cached positions. */
  readonly mask: number[][];

  constructor(batch: number) {
    this.mask = Array.from({ length: batch }, () => []);
  }

  get length(): number {
    return this.mask[0]?.length ?? 0;
  }

  /** Replace the layers with `present` (which holds past + new), taking ownership. */
  update(present: LayerKv[]): void {
    const old = this.layers;
    this.layers = present;
    for (const kv of old) tf.dispose([kv.k, kv.v]);
  }

  /** Keep only the given rows (finished rows leave the batch, so the rest decodes faster). */
  select(rows: readonly number[]): void {
    const idx = tf.tensor1d(rows as number[], 'int32');
    const next = this.layers.map((kv) => ({ k: tf.gather(kv.k, idx) as tf.Tensor4D, v: tf.gather(kv.v, idx) as tf.Tensor4D }));
    idx.dispose();
    this.update(next);
    const kept = rows.map((r) => this.mask[r]!);
    this.mask.length = 0;
    this.mask.push(...kept);
  }

  maskTensor(): tf.Tensor2D {
    return tf.tensor2d(this.mask.flat(), [this.mask.length, this.length], 'int32');
  }

  dispose(): void {
    this.update([]);
  }
}
