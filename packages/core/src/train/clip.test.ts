import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipByGlobalNorm, globalNorm } from './clip.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('clipByGlobalNorm', () => {
  // norm of all entries together: sqrt(9+16+144) = 13
  const make = () =>
    new Map<string, tf.Tensor>([
      ['a', tf.tensor1d([3, 4])],
      ['b', tf.tensor2d([[12]])],
    ]);

  it('measures the norm over all tensors together', () => {
    const g = make();
    expect(globalNorm(g)).toBeCloseTo(13, 5);
    tf.dispose([...g.values()]);
  });

  it('scales every tensor by the same factor when over the bound', () => {
    const g = make();
    const { grads, norm } = clipByGlobalNorm(g, 6.5);
    expect(norm).toBeCloseTo(13, 5);
    expect(Array.from(grads.get('a')!.dataSync())).toEqual([expect.closeTo(1.5, 5), expect.closeTo(2, 5)]);
    expect(grads.get('b')!.dataSync()[0]).toBeCloseTo(6, 5);
    expect(globalNorm(grads)).toBeCloseTo(6.5, 4);
    tf.dispose([...g.values(), ...grads.values()]);
  });

  it('leaves gradients under the bound (or with clipping off) unchanged, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const g = make();
    for (const bound of [100, 0, Infinity]) {
      const { grads } = clipByGlobalNorm(g, bound);
      expect(Array.from(grads.get('a')!.dataSync())).toEqual([3, 4]);
      tf.dispose([...grads.values()]);
    }
    tf.dispose([...g.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
