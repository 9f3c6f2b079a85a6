import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/policy/backend.ts';

/** Runs `f` on cpu and on wasm (with the replaced Slice/Unpack/SplitV kernels) and compares. */
async function same(f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const run = async (b: 'cpu' | 'wasm') => {
    await initBackend(b, { threads: 1 });
    const out = f();
    const list = Array.isArray(out) ? out : [out];
    const res = list.map((t) => ({ shape: t.shape, dtype: t.dtype, values: Array.from(t.dataSync() as ArrayLike<number>) }));
    tf.dispose(list);
    return res;
  };
  expect(await run('wasm')).toEqual(await run('cpu'));
}

const data = (shape: number[], dtype: 'float32' | 'int32' = 'float32') =>
  tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => (dtype === 'int32' ? i : i * 0.5 - 3)), shape, dtype);

describe('replaced WASM kernels match the cpu backend', () => {
  it('Slice: contiguous, 2-D column blocks, higher-rank strided (stock fallback), int32 and bool', async () => {
    await same(() => tf.slice(data([4, 6, 5]), [1, 0, 0], [2, 6, 5]));
    await same(() => tf.slice(data([7, 9]), [2, 3], [4, 5]));
    await same(() => tf.slice(data([7, 9], 'int32'), [0, 8], [7, 1]));
    await same(() => tf.slice(data([3, 4, 5]), [1, 1, 2], [2, 2, 3]));
    await same(() => tf.slice(data([10]), [3], [0]));
    await same(() => tf.slice(tf.greater(data([5, 4]), 0), [1, 1], [3, 2]));
  });

  it('Unpack on axis 0 and other axes', async () => {
    await same(() => tf.unstack(data([5, 3, 4])));
    await same(() => tf.unstack(data([5, 3, 4]), 1));
    await same(() => tf.unstack(data([6], 'int32')));
  });

  it('SplitV on axis 0, 2-D columns, and other axes', async () => {
    await same(() => tf.split(data([6, 4]), [1, 2, 3], 0));
    await same(() => tf.split(data([6, 10]), [4, 3, 3], 1));
    await same(() => tf.split(data([2, 6, 4]), 2, 1));
  });
});
