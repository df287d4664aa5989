import * as tf from '@tensorflow/tfjs-core';
import { planBatchMatmul } from './batch-offsets.ts';
import type { NativeBlas } from './native.ts';
import { storageFor } from './storage.ts';

/**
 * Kernel configs that replace BatchMatMul and (unfused cases of) _FusedMatMul on `backendName`
 * with OpenBLAS sgemm. Anything outside float32 without bias/activation goes to `fallback`, the
 * backend's own kernel, so the replacement never narrows what the backend can do.
 */
export function nativeMatmulKernels(
  backendName: 'cpu' | 'wasm',
  blas: NativeBlas,
  fallback: { batchMatMul?: tf.KernelConfig; fusedMatMul?: tf.KernelConfig },
): tf.KernelConfig[] {
  const run = (a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean, backend: unknown) => {
    const plan = planBatchMatmul(a.shape, b.shape, transA, transB);
    const store = storageFor(backendName, backend);
    const out = store.alloc(plan.outShape);
    if (plan.aOffsets.length > 0 && plan.m > 0 && plan.n > 0) {
      // views after alloc: a heap growth during alloc detaches earlier views
      blas.sgemmBatched(store.view(a), store.view(b), out.view(), plan.aOffsets, plan.bOffsets,
        plan.m, plan.n, plan.k, transA, transB);
    }
    return out.info;
  };

  const configs: tf.KernelConfig[] = [];
  const batchFallback = fallback.batchMatMul;
  configs.push({
    kernelName: tf.BatchMatMul,
    backendName,
    setupFunc: batchFallback?.setupFunc,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
      if (a.dtype !== 'float32' || b.dtype !== 'float32') {
        if (!batchFallback) throw new Error(`native BatchMatMul: dtype ${a.dtype}x${b.dtype} unsupported`);
        return batchFallback.kernelFunc(args);
      }
      return run(a, b, transposeA, transposeB, args.backend);
    },
  });
  const fusedFallback = fallback.fusedMatMul;
  if (fusedFallback) {
    configs.push({
      kernelName: tf._FusedMatMul,
      backendName,
      setupFunc: fusedFallback.setupFunc,
      kernelFunc: (args) => {
        const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, tf.TensorInfo | undefined>;
        const { transposeA, transposeB, activation } = args.attrs as unknown as tf._FusedMatMulAttrs;
        const plain = bias == null && preluActivationWeights == null && (activation ?? 'linear') === 'linear';
        if (!plain || a?.dtype !== 'float32' || b?.dtype !== 'float32') return fusedFallback.kernelFunc(args);
        return run(a, b, transposeA, transposeB, args.backend);
      },
    });
  }
  return configs;
}
