import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
  incRef(dataId: tf.DataId): void;
}

/**
 * Identity without a copy: the output shares the input's storage (tfjs counts references, as the
 * cpu backend's Identity and wasm's own Reshape do). The stock wasm kernel copies, and gradients
 * call Identity on every activation-sized tensor (tf.cast to the same dtype, tape bookkeeping).
 */
export function wasmIdentity(fallback: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string' && fallback) return fallback.kernelFunc(args);
      (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}

/**
 * Reverse along one axis as block copies: rotary embeddings reverse a size-2 axis of every query
 * and key (and the gradient reverses back), where the stock kernel maps indices per element.
 * Several axes go to the stock kernel.
 */
export function wasmReverse(fallback: tf.KernelConfig | undefined): tf.KernelConfig {
  return {
    kernelName: tf.Reverse,
    backendName: 'wasm',
    // the stock kernel (our fallback) binds its wasm function in its setup
    setupFunc: fallback?.setupFunc,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      const { dims } = args.attrs as unknown as tf.ReverseAttrs;
      const axes = x.shape.length === 0 ? [] : tf.util.parseAxisParam(dims, x.shape);
      if (axes.length !== 1 || x.dtype === 'string') {
        if (!fallback) throw new Error('Reverse: only one axis is supported');
        return fallback.kernelFunc(args);
      }
      const axis = axes[0]!;
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput([...x.shape], x.dtype);
      const src = backend.typedArrayFromHeap(x);
      const dst = backend.typedArrayFromHeap(out);
      const dim = x.shape[axis]!;
      const inner = x.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
      const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
      const block = dim * inner;
      for (let o = 0; o < outer; o++) {
        const base = o * block;
        for (let i = 0; i < dim; i++) {
          const from = base + (dim - 1 - i) * inner;
          const to = base + i * inner;
          if (inner >= 16) {
            dst.set(src.subarray(from, from + inner), to);
          } else {
            for (let j = 0; j < inner; j++) dst[to + j] = src[from + j]!;
          }
        }
      }
      return out;
    },
  };
}

/**
 * OneHot with the requested dtype. The stock wasm kernel writes int32 bit patterns whatever the
 * dtype, so `tf.oneHot(ids, depth, 1, 0, 'float32')` reads back 1.4e-45 instead of 1.
 */
export function wasmOneHot(): tf.KernelConfig {
  return {
    kernelName: tf.OneHot,
    backendName: 'wasm',
    kernelFunc: (args) => {
      const { indices } = args.inputs as { indices: tf.TensorInfo };
      const { depth, onValue, offValue, dtype } = args.attrs as unknown as tf.OneHotAttrs;
      const backend = args.backend as unknown as WasmBackendLike;
      const out = backend.makeOutput([...indices.shape, depth], dtype);
      const dst = backend.typedArrayFromHeap(out);
      const ids = backend.typedArrayFromHeap(indices);
      dst.fill(offValue);
      for (let i = 0; i < ids.length; i++) {
        const k = ids[i]!;
        // out-of-range indices give an all-off row, as in TensorFlow
        if (k >= 0 && k < depth) dst[i * depth + k] = onValue;
      }
      return out;
    },
  };
}
