import * as tf from '@tensorflow/tfjs-core';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.backend_util.TypedArray;
}

/**
 * UnsortedSegmentSum for wasm, computed in place on the wasm heap. It is the gradient of gather,
 * and a Llama step gathers twice: the embedding rows ([B·T, d] into [V, d]) and the target logits
 * ([B·T] into [B·T·V], 67 MB at the small preset), so copying through the cpu bridge would cost
 * more than the sum itself.
 */
export const wasmUnsortedSegmentSum: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as tf.UnsortedSegmentSumAttrs;
    const wasm = backend as unknown as WasmBackendLike;
    const idsRank = segmentIds.shape.length;
    const inner = x.shape.slice(idsRank).reduce((p, d) => p * d, 1);
    const outShape = [numSegments, ...x.shape.slice(idsRank)];
    const out = wasm.makeOutput(outShape, x.dtype);
    // views after makeOutput: the heap may have grown and detached earlier ones
    const o = wasm.typedArrayFromHeap(out);
    const xs = wasm.typedArrayFromHeap(x);
    const ids = wasm.typedArrayFromHeap(segmentIds);
    o.fill(0);
    for (let i = 0; i < ids.length; i++) {
      const s = ids[i]!;
      // TensorFlow drops negative ids; out-of-range ones are an error there, dropped here
      if (s < 0 || s >= numSegments) continue;
      const src = i * inner;
      const dst = s * inner;
      for (let j = 0; j < inner; j++) o[dst + j] = o[dst + j]! + xs[src + j]!;
    }
    return out;
  },
};
