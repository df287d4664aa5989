import * as tf from '@tensorflow/tfjs-core';
import { RhoError } from '../errors.ts';
import { ADAMW, type AdamWKernelAttrs } from '../backend/adamw-kernel.ts';

export interface AdamWConfig {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Which tensors get weight decay, by Hugging Face name and shape. */
  decays: (name: string, shape: readonly number[]) => boolean;
}

/**
 * The usual Llama recipe: decay matrices, never norms, embeddings or biases (1-D tensors are
 * norms or biases whatever their name).
 */
export function decaysByDefault(name: string, shape: readonly number[]): boolean {
  if (shape.length < 2) return false;
  return !/(^|\.)(embed_tokens|wte|wpe)\.|norm|\.bias$/.test(name);
}

export const ADAMW_DEFAULTS: Readonly<AdamWConfig> = Object.freeze({
  beta1: 0.9,
  beta2: 0.95,
  eps: 1e-8,
  weightDecay: 0.1,
  decays: decaysByDefault,
});

/** Moments as plain arrays, keyed by parameter name: what a checkpoint stores. */
export interface AdamWState {
  /** Number of updates applied so far (bias correction depends on it). */
  t: number;
  expAvg: Map<string, Float32Array>;
  expAvgSq: Map<string, Float32Array>;
  /** Parameter shapes, so stored moments keep them (sizes are what importState checks). */
  shapes?: Map<string, number[]>;
}

/**
 * AdamW with decoupled weight decay, as torch.optim.AdamW computes it:
 *   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
 * Holds one m and one v variable per parameter, hence a class with dispose().
 */
export class AdamW {
  readonly cfg: Readonly<AdamWConfig>;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private disposed = false;

  constructor(cfg: Partial<AdamWConfig> = {}) {
    this.cfg = Object.freeze({ ...ADAMW_DEFAULTS, ...cfg });
  }

  get steps(): number {
    return this.t;
  }

  /** Apply one update with rate `lr` to every parameter that has a gradient. */
  apply(params: ReadonlyMap<string, tf.Variable>, grads: ReadonlyMap<string, tf.Tensor>, lr: number): void {
    if (this.disposed) throw new RhoError('RUNTIME', 'AdamW used after dispose()');
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.cfg;
    const stepSize = lr / (1 - beta1 ** this.t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** this.t);
    // one native pass per parameter where the kernel is registered (cpu/wasm with the addon)
    const native = tf.getKernel(ADAMW, tf.getBackend()) !== undefined;
    for (const [name, g] of grads) {
      const p = params.get(name);
      if (!p) throw new RhoError('BAD_INPUT', `gradient for unknown parameter ${name}`, { field: name });
      if (!sameShape(p.shape, g.shape))
        throw new RhoError('BAD_INPUT', `gradient shape does not match parameter ${name}`, { field: name, expected: p.shape, got: g.shape });
      const m = this.moment(this.m, name, p);
      const v = this.moment(this.v, name, p);
      const decay = weightDecay > 0 && this.cfg.decays(name, p.shape) ? 1 - lr * weightDecay : 1;
      tf.tidy(() => {
        if (native && g.dtype === 'float32') {
          const attrs: AdamWKernelAttrs = { beta1, beta2, eps, decay, stepSize, bc2Sqrt };
          const [p1, m1, v1] = tf.engine().runKernel(ADAMW, { p, g, m, v }, attrs) as tf.Tensor[];
          p.assign(p1!);
          m.assign(m1!);
          v.assign(v1!);
          return;
        }
        const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const denom = tf.add(tf.div(tf.sqrt(v1), bc2Sqrt), eps);
        const decayed = decay === 1 ? p : tf.mul(p, decay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m1, denom), stepSize)));
        m.assign(m1);
        v.assign(v1);
      });
    }
  }

  /** A copy of the moments, for a checkpoint. */
  exportState(): AdamWState {
    const read = (vars: Map<string, tf.Variable>) => new Map([...vars].map(([k, x]) => [k, Float32Array.from(x.dataSync() as Float32Array)]));
    return { t: this.t, expAvg: read(this.m), expAvgSq: read(this.v), shapes: new Map([...this.m].map(([k, x]) => [k, [...x.shape]])) };
  }

  /** Replace the moments with a checkpoint's; every parameter named there must exist in `params`. */
  importState(state: AdamWState, params: ReadonlyMap<string, tf.Variable>): void {
    this.clearMoments();
    this.t = state.t;
    for (const [which, src, dst] of [
      ['exp_avg', state.expAvg, this.m],
      ['exp_avg_sq', state.expAvgSq, this.v],
    ] as const) {
      for (const [name, data] of src) {
        const p = params.get(name);
        if (!p) throw new RhoError('BAD_INPUT', `optimizer state names a parameter the model does not have: ${name}`, { field: `${which}.${name}` });
        if (data.length !== p.size)
          throw new RhoError('BAD_INPUT', `optimizer ${which} for ${name} has the wrong size`, {
            field: `${which}.${name}`,
            expected: p.shape,
            got: data.length,
          });
        dst.set(
          name,
          newVariable(() => tf.tensor(data, p.shape, 'float32')),
        );
      }
    }
  }

  dispose(): void {
    this.clearMoments();
    this.disposed = true;
  }

  private clearMoments(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
    this.m.clear();
    this.v.clear();
  }

  private moment(store: Map<string, tf.Variable>, name: string, p: tf.Variable): tf.Variable {
    let x = store.get(name);
    if (!x) {
      x = newVariable(() => tf.zeros(p.shape, 'float32'));
      store.set(name, x);
    }
    return x;
  }
}

/** tidy frees the initial tensor; the variable keeps its data (variables outlive tidy). */
function newVariable(init: () => tf.Tensor): tf.Variable {
  return tf.tidy(() => tf.variable(init(), false));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
