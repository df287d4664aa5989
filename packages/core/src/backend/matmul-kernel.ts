import * as tf from '@tensorflow/tfjs-core';
import { planBatchMatmul } from './batch-offsets.ts';
import type { NativeKernels } from './native-kernels.ts';
import type { ResolvedPrecision } from './precision.ts';
import { storageFor } from './storage.ts';

/** Who computes one BatchMatMul: oneDNN with BF16 inputs, oneDNN in FP32, or OpenBLAS sgemm. */
export type GemmRoute = 'onednn-bf16' | 'onednn-f32' | 'openblas';

export interface GemmCaps {
  /** oneDNN's FP32 matmul is in the addon and usable */
  onednn: boolean;
  /** oneDNN multiplies BF16 natively here */
  bf16: boolean;
}

export interface RouteThresholds {
  /**
   * A BF16 product converts both FP32 operands per call (the m·k + k·n elements) to save on the
   * m·n·k multiply-adds: it pays once m·n/(m+n), the products per converted element, is at least
   * this. 64 from this machine's figures (BF16 matmul ~650 GFLOP/s, FP32 ~350, conversion ~30 GB/s);
   * below it, a decoding step's m = 1..16 say, FP32 is faster as well as exact.
   */
  bf16MinReuse: number;
  /**
   * Products with fewer multiply-adds (m·n·k) stay on OpenBLAS: oneDNN compiles a kernel per new
   * shape (milliseconds), which tfjs decoding, with a new attention length each step, would pay per
   * token; and OpenBLAS runs these single-threaded, so its threads never compete with oneDNN's.
   */
  onednnMinMacs: number;
}

export const DEFAULT_THRESHOLDS: RouteThresholds = { bf16MinReuse: 64, onednnMinMacs: 1 << 18 };

/** The route of a product of `batch` m×k by k×n matrices. */
export function routeGemm(m: number, n: number, k: number, precision: ResolvedPrecision, caps: GemmCaps, t: RouteThresholds = DEFAULT_THRESHOLDS): GemmRoute {
  if (!caps.onednn || m * n * k < t.onednnMinMacs) return 'openblas';
  if (precision === 'bf16' && caps.bf16 && m * n >= t.bf16MinReuse * (m + n)) return 'onednn-bf16';
  return 'onednn-f32';
}

export interface MatmulKernelOptions {
  /** read at every product, so a process can switch (benchmarks compare both); fp32 when absent */
  precision?: () => ResolvedPrecision;
  caps?: GemmCaps;
  thresholds?: RouteThresholds;
  /** told each product's route (tests, profiles) */
  onRoute?: (route: GemmRoute, m: number, n: number, k: number, batch: number) => void;
}

/** The addon's products this build and CPU offer, from its dnnlInfo. */
export function gemmCaps(kernels: Pick<NativeKernels, 'dnnlInfo'>): GemmCaps {
  const info = kernels.dnnlInfo();
  return { onednn: info.ready, bf16: info.ready && info.bf16 };
}

/** What the matrix-product kernels call. */
export type GemmApi = Pick<NativeKernels, 'sgemmBatched' | 'gemmBf16Batched' | 'gemmF32Batched' | 'dnnlInfo'>;

/**
 * Kernel configs that replace BatchMatMul and (unfused cases of) _FusedMatMul on `backendName`
 * with the addon's products: oneDNN (BF16 or FP32, see routeGemm) where built, OpenBLAS sgemm
 * otherwise and for small products. Anything outside float32 without bias/activation goes to
 * `fallback`, the backend's own kernel, so the replacement never narrows what the backend can do.
 * Gradients of matMul are matMuls too, so training's backward products take the same routes.
 */
export function nativeMatmulKernels(
  backendName: 'cpu' | 'wasm',
  kernels: GemmApi,
  fallback: { batchMatMul?: tf.KernelConfig; fusedMatMul?: tf.KernelConfig },
  options: MatmulKernelOptions = {},
): tf.KernelConfig[] {
  const caps = options.caps ?? gemmCaps(kernels);
  const precision = options.precision ?? (() => 'fp32' as const);
  const run = (a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean, backend: unknown) => {
    const plan = planBatchMatmul(a.shape, b.shape, transA, transB);
    const store = storageFor(backendName, backend);
    const out = store.alloc(plan.outShape);
    const batch = plan.aOffsets.length;
    if (batch > 0 && plan.m > 0 && plan.n > 0) {
      const route = routeGemm(plan.m, plan.n, plan.k, precision(), caps, options.thresholds);
      options.onRoute?.(route, plan.m, plan.n, plan.k, batch);
      const gemm = route === 'onednn-bf16' ? kernels.gemmBf16Batched : route === 'onednn-f32' ? kernels.gemmF32Batched : kernels.sgemmBatched;
      // views after alloc: a heap growth during alloc detaches earlier views
      gemm.call(kernels, store.view(a), store.view(b), out.view(), plan.aOffsets, plan.bOffsets, plan.m, plan.n, plan.k, transA, transB);
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
