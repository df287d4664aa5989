import type * as tf from '@tensorflow/tfjs-core';
import type { NativeKernels } from './native-kernels.ts';
import { storageFor } from './storage.ts';

/** Kernel name of the native AdamW update (see native/src/rho_optim.c and train/adamw.ts). */
export const ADAMW = 'RhoAdamWUpdate';

/**
 * What train/adamw.ts computes on the host for one step (float32 scalars in tfjs's composition). A
 * type rather than an interface, so that it is the tf.NamedAttrMap runKernel takes.
 */
export type AdamWKernelAttrs = {
  beta1: number;
  beta2: number;
  eps: number;
  /** 1 − lr·weightDecay, or 1 for a parameter without decay */
  decay: number;
  /** lr / (1 − β1^t) */
  stepSize: number;
  /** √(1 − β2^t) */
  bc2Sqrt: number;
};

type OptimApi = Pick<NativeKernels, 'adamwUpdate' | 'threads'>;

/**
 * ADAMW on `backendName` (cpu or wasm): inputs p, g, m, v (float32, one shape), attrs
 * AdamWKernelAttrs; returns the new [p, m, v] in one pass instead of a dozen elementwise ops.
 */
export function nativeAdamWKernel(backendName: 'cpu' | 'wasm', kernels: OptimApi): tf.KernelConfig {
  return {
    kernelName: ADAMW,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { p, g, m, v } = inputs as Record<'p' | 'g' | 'm' | 'v', tf.TensorInfo>;
      const a = attrs as AdamWKernelAttrs;
      const store = storageFor(backendName, backend);
      const outs = [store.alloc(p.shape), store.alloc(p.shape), store.alloc(p.shape)] as const;
      const coefs = Float64Array.from([a.beta1, a.beta2, a.eps, a.decay, a.stepSize, a.bc2Sqrt]);
      // views after alloc: a heap growth during alloc detaches earlier views
      kernels.adamwUpdate(store.view(p), store.view(g), store.view(m), store.view(v), outs[0].view(), outs[1].view(), outs[2].view(), coefs, kernels.threads());
      return outs.map((o) => o.info);
    },
  };
}
