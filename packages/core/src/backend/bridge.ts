import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { wasmUnsortedSegmentSum } from './segment-sum.ts';
import { wasmIdentity, wasmOneHot, wasmReverse } from './wasm-kernels.ts';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

// complex64 and string tensors are stored differently by the two backends; no training needs them
const NOT_BRIDGED = new Set(['Complex', 'ComplexAbs', 'Real', 'Imag', 'FFT', 'IFFT', 'RFFT', 'IRFFT', 'Draw', 'StaticRegexReplace']);

/**
 * Kernels registered for `cpu` but not for `target`, by name. For wasm this includes
 * UnsortedSegmentSum, the gradient of gather (so of every embedding lookup).
 */
export function missingKernels(target: string, reference = 'cpu'): string[] {
  const have = new Set(tf.getKernelsForBackend(target).map((k) => k.kernelName));
  return tf
    .getKernelsForBackend(reference)
    .map((k) => k.kernelName)
    .filter((n) => !have.has(n));
}

/**
 * Registers our wasm UnsortedSegmentSum (the gradient of gather, on the hot path of every
 * training step) and, for every other kernel the wasm backend lacks, a bridge that copies the inputs out of the
 * wasm heap, runs the cpu backend's kernel on a private cpu backend, and copies the outputs back.
 * These kernels are off the hot path (the embedding gradient once per step), so the copies cost
 * little, and wasm becomes a superset of cpu rather than a backend on which training fails.
 */
export function bridgeMissingWasmKernels(): string[] {
  const own: string[] = [];
  if (!tf.getKernel(tf.UnsortedSegmentSum, 'wasm')) {
    tf.registerKernel(wasmUnsortedSegmentSum);
    own.push(tf.UnsortedSegmentSum);
  }
  // faster replacements for stock kernels on a training step's path
  // and a correct one where the stock kernel is wrong (OneHot ignores its dtype)
  for (const make of [wasmIdentity, wasmReverse, wasmOneHot]) {
    const config = make(undefined);
    const stock = tf.getKernel(config.kernelName, 'wasm');
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(make(stock));
  }
  const names = missingKernels('wasm').filter((n) => !NOT_BRIDGED.has(n));
  if (names.length === 0) return own;
  const cpu = new MathBackendCPU();
  const cpuKernels = new Map(tf.getKernelsForBackend('cpu').map((k) => [k.kernelName, k]));
  for (const name of names) {
    const ref = cpuKernels.get(name)!;
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as WasmBackendLike;
        const cpuInputs: tf.NamedTensorInfoMap = {};
        const made: tf.TensorInfo[] = [];
        for (const [key, t] of Object.entries(inputs)) {
          if (t == null) continue;
          // slice(): the cpu backend keeps the array, and the wasm heap view can be detached later
          const info = cpu.makeTensorInfo(t.shape, t.dtype, wasm.typedArrayFromHeap(t).slice());
          cpuInputs[key] = info;
          made.push(info);
        }
        try {
          const result = ref.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu });
          const outs = Array.isArray(result) ? result : [result];
          const copied = outs.map((o) => {
            const values = cpu.readSync(o.dataId) as tf.backend_util.TypedArray;
            const info = wasm.makeOutput(o.shape, o.dtype);
            wasm.typedArrayFromHeap(info).set(values);
            cpu.disposeIntermediateTensorInfo(o);
            return info;
          });
          return Array.isArray(result) ? copied : copied[0]!;
        } finally {
          for (const info of made) cpu.disposeIntermediateTensorInfo(info);
        }
      },
    });
  }
  return [...own, ...names];
}
