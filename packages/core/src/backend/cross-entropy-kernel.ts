import type * as tf from '@tensorflow/tfjs-core';
import type { NativeKernels } from './native-kernels.ts';
import { storageFor } from './storage.ts';

/** Kernel names of the native sparse cross-entropy (see native/src/rho_loss.c and cross-entropy.ts). */
export const XENT = 'RhoSparseCrossEntropy';
export const XENT_GRAD = 'RhoSparseCrossEntropyGrad';

type LossApi = Pick<NativeKernels, 'crossEntropyForward' | 'crossEntropyBackward' | 'threads'>;

/**
 * Kernels for `backendName` (cpu or wasm, whose tensors live in this process): XENT takes logits
 * [N,V] and int32 targets [N] and returns the losses and each row's log-sum-exp, [N] each;
 * XENT_GRAD takes those logits, targets and log-sum-exps and dy [N] and returns
 * dy·(softmax − onehot(target)), [N,V].
 */
export function nativeCrossEntropyKernels(backendName: 'cpu' | 'wasm', kernels: LossApi): tf.KernelConfig[] {
  return [
    {
      kernelName: XENT,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const { logits, targets } = inputs as { logits: tf.TensorInfo; targets: tf.TensorInfo };
        const [n, v] = logits.shape as [number, number];
        const store = storageFor(backendName, backend);
        const loss = store.alloc([n]);
        const lse = store.alloc([n]);
        // views after alloc: a heap growth during alloc detaches earlier views
        if (n > 0) kernels.crossEntropyForward(store.view(logits), store.viewInt32(targets), v, loss.view(), lse.view(), kernels.threads());
        return [loss.info, lse.info];
      },
    },
    {
      kernelName: XENT_GRAD,
      backendName,
      kernelFunc: ({ inputs, backend }) => {
        const { logits, targets, lse, dy } = inputs as Record<'logits' | 'targets' | 'lse' | 'dy', tf.TensorInfo>;
        const [n, v] = logits.shape as [number, number];
        const store = storageFor(backendName, backend);
        const dx = store.alloc([n, v]);
        if (n > 0) kernels.crossEntropyBackward(store.view(logits), store.viewInt32(targets), store.view(lse), store.view(dy), v, dx.view(), kernels.threads());
        return dx.info;
      },
    },
  ];
}
