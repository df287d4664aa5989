import * as tf from '@tensorflow/tfjs-core';
import { planBatchMatmul } from './batch-offsets.ts';
import type { NativeBlas } from './native.ts';

/**
 * Storage access for the backends whose tensors live in this process's memory: the cpu backend
 * keeps JS typed arrays, the wasm backend a region of its heap. Either way we can hand OpenBLAS a
 * Float32Array view and let it write the product in place.
 */
interface Storage {
  view(t: tf.TensorInfo): Float32Array;
  /** allocates the output; views taken before this call may be stale (the wasm heap can grow) */
  alloc(shape: number[]): { info: tf.TensorInfo; view: () => Float32Array };
}

interface CpuBackendLike {
  data: { get(id: tf.DataId): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

function cpuStorage(backend: CpuBackendLike): Storage {
  return {
    view(t) {
      const v = backend.data.get(t.dataId).values;
      if (!(v instanceof Float32Array)) throw new Error('cpu tensor storage is not a Float32Array');
      return v;
    },
    alloc(shape) {
      const values = new Float32Array(tf.util.sizeFromShape(shape));
      const info = backend.makeTensorInfo(shape, 'float32', values);
      return { info, view: () => values };
    },
  };
}

function wasmStorage(backend: WasmBackendLike): Storage {
  return {
    view: (t) => backend.typedArrayFromHeap(t) as Float32Array,
    alloc(shape) {
      const info = backend.makeOutput(shape, 'float32');
      return { info, view: () => backend.typedArrayFromHeap(info) as Float32Array };
    },
  };
}

function storageFor(backendName: string, backend: unknown): Storage {
  if (backendName === 'wasm') return wasmStorage(backend as WasmBackendLike);
  return cpuStorage(backend as CpuBackendLike);
}

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
