import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, checkBackendName, initBackend } from '../../src/policy/backend.ts';
import { CocodaError } from '../../src/errors.ts';

// Runs in its own process (vitest forks): the threaded WASM module is process-global.
describe('backends', () => {
  it('rejects unknown names listing the valid ones', async () => {
    expect(BACKEND_NAMES).toEqual(['wasm', 'cpu', 'tensorflow', 'torch']);
    expect(() => checkBackendName('webgl')).toThrow('Expected "backend" to be one of wasm, cpu, tensorflow, torch (got "webgl")');
    await expect(initBackend('gpu')).rejects.toThrow(/one of wasm, cpu, tensorflow, torch/);
  });

  it('tensorflow without tfjs-node installed fails with a clear message', async () => {
    const err = await initBackend('tensorflow').catch((e) => e);
    expect(err).toBeInstanceOf(CocodaError);
    expect(err.code).toBe('ERR_POLICY_BACKEND');
    expect(err.message).toMatch(/needs @tensorflow\/tfjs-node or @tensorflow\/tfjs-node-gpu.*downloads libtensorflow/);
  });

  it('loads the threaded SIMD WASM build under Node and computes correctly, leaving no process listeners', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const info = await initBackend('wasm', { threads: 2 });
    expect(info.variant).toBe('wasm-simd-threads×2');
    expect(info.threads).toBe(2);
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
    const a = tf.tensor2d(Array.from({ length: 64 * 48 }, (_, i) => Math.sin(i)), [64, 48]);
    const b = tf.tensor2d(Array.from({ length: 48 * 32 }, (_, i) => Math.cos(i)), [48, 32]);
    const got = tf.matMul(a, b).dataSync();
    const av = a.dataSync();
    const bv = b.dataSync();
    let maxErr = 0;
    for (let i = 0; i < 64; i++) {
      for (let j = 0; j < 32; j++) {
        let s = 0;
        for (let k = 0; k < 48; k++) s += av[i * 48 + k]! * bv[k * 32 + j]!;
        maxErr = Math.max(maxErr, Math.abs(s - got[i * 32 + j]!));
      }
    }
    expect(maxErr).toBeLessThan(1e-4);
    // idempotent, and switching to cpu and back reuses the live module
    expect(await initBackend('wasm')).toBe(info);
    await initBackend('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend('wasm')).variant).toBe('wasm-simd-threads×2');
  });
});
