import * as tf from '@tensorflow/tfjs-core';

/**
 * Storage access for the backends whose tensors live in this process's memory: the cpu backend
 * keeps JS typed arrays, the wasm backend a region of its heap. Either way we can hand OpenBLAS a
 * Float32Array view and let it write the product in place.
 */
export interface Storage {
  view(t: tf.TensorInfo): Float32Array;
  viewInt32(t: tf.TensorInfo): Int32Array;
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
    viewInt32(t) {
      const v = backend.data.get(t.dataId).values;
      if (!(v instanceof Int32Array)) throw new Error('cpu tensor storage is not an Int32Array');
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
    viewInt32: (t) => backend.typedArrayFromHeap(t) as Int32Array,
    alloc(shape) {
      const info = backend.makeOutput(shape, 'float32');
      return { info, view: () => backend.typedArrayFromHeap(info) as Float32Array };
    },
  };
}

export function storageFor(backendName: string, backend: unknown): Storage {
  if (backendName === 'wasm') return wasmStorage(backend as WasmBackendLike);
  return cpuStorage(backend as CpuBackendLike);
}
