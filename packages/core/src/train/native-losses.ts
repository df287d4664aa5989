import * as tf from '@tensorflow/tfjs-core';
import { XENT } from '../backend/cross-entropy-kernel.ts';
import { loadNativeKernels } from '../backend/native.ts';
import type { NativeTrainApi } from '../backend/native-kernels.ts';
import { activePrecision, type ResolvedPrecision } from '../backend/precision.ts';
import { storageFor } from '../backend/storage.ts';
import { expectedTensorShapes, type LlamaConfig } from '../config/llama-config.ts';
import { RhoError } from '../errors.ts';

/** The model's weights in the order trainForward takes them. */
export function nativeWeightOrder(config: LlamaConfig): string[] {
  // a checkpoint's own order: embedding, per layer (input norm, q, k, v, o, post norm, gate, up, down), norm, lm_head
  return [...expectedTensorShapes(config).keys()];
}

/**
 * Why the native training pass cannot serve `backend`, or null when it can: the path
 * LlamaModel.tokenLosses takes (but for inference-only scoring) when it can. RHO_NATIVE_TRAIN=0
 * turns it off.
 */
export function nativeTrainUnavailable(backend: string = tf.getBackend(), env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.RHO_NATIVE_TRAIN === '0') return 'disabled by RHO_NATIVE_TRAIN=0';
  if (env.RHO_NATIVE === '0') return 'disabled by RHO_NATIVE=0';
  if (backend !== 'cpu' && backend !== 'wasm') return `the ${backend} backend trains with its own kernels`;
  // a kernel choice made where the addon's kernels were installed (initBackend), as the matmul is:
  // a bare tf.setBackend('cpu') stays pure tfjs
  if (!tf.getKernel(XENT, backend)) return `the addon's kernels are not installed on ${backend} (initBackend)`;
  const native = loadNativeKernels();
  return native.ok ? null : native.reason;
}

function trainApi(): NativeTrainApi {
  const native = loadNativeKernels();
  if (!native.ok) throw new RhoError('UNSUPPORTED', `native training pass unavailable: ${native.reason}`);
  return native.kernels;
}

/** What a native pass needs of a model (LlamaModel has it). */
export interface NativeTrainModel {
  readonly config: LlamaConfig;
  readonly weights: ReadonlyMap<string, tf.Variable>;
}

export interface NativeLossOptions {
  /** defaults to the process's active precision (RHO_PRECISION, the CPU) */
  precision?: ResolvedPrecision;
}

/**
 * Per-token losses [B,T−1] (0 where the target is padding), as LlamaModel.tokenLosses computes
 * them, by one native forward; differentiable with respect to every weight variable through one
 * native backward (a customGrad whose inputs are the variables, so tf.variableGrads gets each
 * weight's gradient). dy, the upstream gradient of the losses, carries the loss function's
 * weighting (SLM token selection, masks) into the backward.
 */
export function nativeTokenLosses(model: NativeTrainModel, ids: tf.Tensor2D, mask?: tf.Tensor2D, opts: NativeLossOptions = {}): tf.Tensor2D {
  const api = trainApi();
  const c = model.config;
  const [b, t] = ids.shape;
  if (t < 2) throw new RhoError('BAD_INPUT', 'per-token losses need at least 2 tokens a row', { field: 'seqLen', got: t });
  const names = nativeWeightOrder(c);
  const vars = names.map((n) => {
    const v = model.weights.get(n);
    if (!v) throw new RhoError('RUNTIME', `model has no weight ${n}`);
    return v;
  });
  const precision = opts.precision ?? activePrecision({ backend: tf.getBackend() });
  const dims = Int32Array.from([
    b,
    t,
    c.numHiddenLayers,
    c.hiddenSize,
    c.numAttentionHeads,
    c.numKeyValueHeads,
    c.headDim,
    c.intermediateSize,
    c.vocabSize,
    c.slidingWindow ?? -1,
    c.tieWordEmbeddings ? 1 : 0,
    precision === 'bf16' ? 1 : 0,
  ]);
  const idData = Int32Array.from(ids.dataSync());
  const maskData = mask ? Int32Array.from(mask.dataSync()) : null;
  // Outside a gradient tape (evaluation) nothing is kept for a backward that will not come.
  const taping = tf.engine().isTapeOn();
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const ws = args.slice(0, vars.length) as tf.Tensor[];
    const losses = new Float32Array(b * (t - 1));
    const handle = nativeCall('forward', () => api.trainForward(weightViews(ws), idData, maskData, dims, c.rmsNormEps, c.ropeTheta, losses, taping));
    return {
      value: tf.tensor2d(losses, [b, t - 1]),
      gradFunc: (dy: tf.Tensor) => {
        if (!handle) throw new RhoError('RUNTIME', 'native training pass: a gradient was asked of a forward run outside a gradient tape');
        const dl = Float32Array.from(dy.dataSync());
        // the gradients are written where the backend keeps them (no copy of every weight's size)
        const store = storageFor(tf.getBackend(), tf.backend());
        const grads = ws.map((w) => store.alloc([...w.shape]));
        // views last: a heap growth (wasm) detaches earlier ones
        nativeCall('backward', () =>
          api.trainBackward(
            handle,
            weightViews(ws),
            dl,
            grads.map((g) => g.view()),
          ),
        );
        return grads.map((g) => tf.engine().makeTensorFromTensorInfo(g.info));
      },
    };
  });
  return op(...vars) as tf.Tensor2D;
}

/** A native failure (out of memory, a failed oneDNN product) as a RhoError. */
function nativeCall<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new RhoError(
      'RUNTIME',
      `native training ${what} failed: ${e instanceof Error ? e.message : String(e)}`,
      { hint: 'RHO_NATIVE_TRAIN=0 trains on tfjs kernels instead' },
      { cause: e },
    );
  }
}

/** Float32Array views of tensors' storage (no copies on cpu and wasm), else copies. */
function weightViews(ts: readonly tf.Tensor[]): Float32Array[] {
  const store = storageFor(tf.getBackend(), tf.backend());
  return ts.map((x) => {
    try {
      const v = store.view(x);
      if (v.length === x.size) return v;
    } catch {
      // not a backend whose storage we can see: copy below
    }
    return x.dataSync() as Float32Array;
  });
}
