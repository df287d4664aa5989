import type { LlamaModel } from '../model/llama.ts';
import { NativeLm } from '../engine/native-lm.ts';
import { activePrecision } from '../backend/precision.ts';

const copies = new WeakMap<LlamaModel, { from: object[]; precision: 'bf16' | 'fp32'; lm: NativeLm }>();

/**
 * The engine over the model's current weights: copied into native memory once, and again only
 * after they change (a training step gives each variable a new dataId) or the precision does. At
 * bf16 (the process's precision by default, as for training's products) the matrices are BF16
 * copies, half the bytes each decoding step reads; at fp32 the arithmetic is the tfjs model's.
 */
export function nativeEngineFor(model: LlamaModel, precision: 'bf16' | 'fp32' = activePrecision()): NativeLm {
  const vars = model.trainableVariables();
  const have = copies.get(model);
  if (have && have.precision === precision && have.from.length === vars.length && have.from.every((id, i) => vars[i]!.dataId === id)) return have.lm;
  have?.lm.dispose();
  const lm = NativeLm.fromTensors(model.config, (name) => model.weights.get(name)!.dataSync() as Float32Array, precision);
  if (!have) model.onDispose(() => releaseNativeEngine(model));
  copies.set(model, { from: vars.map((v) => v.dataId), precision, lm });
  return lm;
}

/** Frees the native copy of a model's weights (it is rebuilt on the next native generation). */
export function releaseNativeEngine(model: LlamaModel): void {
  copies.get(model)?.lm.dispose();
  copies.delete(model);
}
