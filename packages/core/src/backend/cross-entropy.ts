import * as tf from '@tensorflow/tfjs-core';
import { XENT, XENT_GRAD } from './cross-entropy-kernel.ts';

/**
 * Per-row cross-entropy −log softmax(logits)[target], [N], for logits [N, V] and int32 targets
 * [N], with the gradient written out: softmax − onehot(target), scaled by dy. Composing it from
 * tf ops (logSumExp, gather) makes autodiff differentiate the max inside logSumExp (an Equal, a
 * Cast and a Multiply over all N·V logits) and scatter the gathered targets back (an
 * UnsortedSegmentSum into N·V zeros); at the small preset those are 16.7M-element passes per step.
 * Where the native kernels are registered (cpu/wasm with the addon), forward and gradient are one
 * threaded pass each; elsewhere they are composed from tf ops.
 */
export function sparseCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [n, v] = logits.shape;
  if (targets.shape[0] !== n) {
    throw new Error(`sparseCrossEntropy: ${n} rows of logits but ${targets.shape[0]} targets`);
  }
  if (tf.getKernel(XENT, tf.getBackend())) return nativeOp(logits, targets);
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, t, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const ids = tf.cast(t, 'int32');
    const lse = tf.logSumExp(x, 1); // [N]
    const flat = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), ids);
    const picked = tf.gather(tf.reshape(x, [n * v]), flat);
    save([x, ids, lse]);
    return {
      value: tf.sub(lse, picked),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sids, slse] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const probs = tf.exp(tf.sub(sx, tf.expandDims(slse, 1)));
        const g = tf.sub(probs, tf.oneHot(sids, v, 1, 0, 'float32'));
        return [tf.mul(g, tf.expandDims(dy, 1)), tf.zerosLike(t)];
      },
    };
  });
  return op(logits, targets) as tf.Tensor1D;
}

function nativeOp(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [x, t, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    const ids = tf.cast(t, 'int32');
    const [loss, lse] = tf.engine().runKernel(XENT, { logits: x, targets: ids }, {}) as tf.Tensor[];
    save([x, ids, lse!]);
    return {
      value: loss!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sids, slse] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
        const dx = tf.engine().runKernel(XENT_GRAD, { logits: sx, targets: sids, lse: slse, dy: tf.cast(dy, 'float32') }, {}) as tf.Tensor;
        return [dx, tf.zerosLike(t)];
      },
    };
  });
  return op(logits, targets) as tf.Tensor1D;
}
