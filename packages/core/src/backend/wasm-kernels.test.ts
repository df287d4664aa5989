import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { installBackendKernels } from './index.ts';

/** values of f computed on the cpu backend, for comparison with the wasm result */
async function onCpu(f: () => tf.Tensor): Promise<number[]> {
  await tf.setBackend('cpu');
  const out = Array.from(f().dataSync());
  await tf.setBackend('wasm');
  return out;
}

describe('our wasm kernels', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('wasm')).toBe(true);
    installBackendKernels('wasm', { RHO_NATIVE: '0' });
  }, 60_000);

  const values = Array.from({ length: 2 * 3 * 2 * 20 }, (_, i) => i * 0.5 - 7);
  for (const dims of [0, 1, 2, 3, -1, [1, 3]] as const) {
    it(`Reverse along ${JSON.stringify(dims)} matches the cpu backend`, async () => {
      const f = () => tf.reverse(tf.tensor4d(values, [2, 3, 2, 20]), dims as number | number[]);
      const want = await onCpu(f);
      expect(Array.from(f().dataSync())).toEqual(want);
    });
  }

  it('Reverse of int32 and of a scalar', async () => {
    expect(Array.from(tf.reverse(tf.tensor1d([1, 2, 3], 'int32')).dataSync())).toEqual([3, 2, 1]);
    expect(Array.from(tf.reverse(tf.scalar(4)).dataSync())).toEqual([4]);
  });

  it('OneHot honours its dtype and values (the stock wasm kernel writes int32 bits into float32)', async () => {
    const f = () => tf.oneHot(tf.tensor1d([2, 0, 5, -1], 'int32'), 4, 3, -1, 'float32');
    const want = await onCpu(f);
    expect(want).toEqual([-1, -1, 3, -1, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
    expect(Array.from(f().dataSync())).toEqual(want);
    expect(Array.from(tf.oneHot(tf.tensor1d([1], 'int32'), 2).dataSync())).toEqual([0, 1]);
  });

  it('Identity shares storage safely: the copy outlives the original', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const y = tf.clone(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
    const z = tf.add(y, 1);
    expect(Array.from(z.dataSync())).toEqual([2, 3, 4, 5]);
    const before = tf.memory().numBytes;
    y.dispose();
    z.dispose();
    expect(tf.memory().numBytes).toBeLessThan(before);
  });
});
