import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/policy/backend.ts';
import { Transformer } from '../../src/policy/model.ts';
import { fixedBatchLoss, tinyConfig } from './helpers.ts';

/**
 * Finite-difference gradient check on WASM. For each weight tensor W with gradient g, the
 * directional derivative along u = g/|g| is |g| analytically and
 * (L(W + h·u) − L(W − h·u)) / 2h numerically (central differences, h = 1e-3: float32 keeps
 * about 7 digits, so smaller h drowns in rounding and larger h in curvature). Directions along
 * the gradient give the largest signal, so the comparison is meaningful for every tensor.
 */
function gradCheck(m: Transformer, h = 1e-3): { maxRel: number; worst: string } {
  const vars = m.variables();
  const { value, grads } = tf.variableGrads(() => fixedBatchLoss(m), vars);
  value.dispose();
  let maxRel = 0;
  let worst = '';
  vars.forEach((v, k) => {
    const g = grads[v.name]!.dataSync() as Float32Array;
    const base = v.dataSync().slice() as Float32Array;
    const norm = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    const at = (eps: number) => {
      const x = base.map((b, i) => b + (eps * g[i]!) / norm);
      tf.tidy(() => v.assign(tf.tensor(x, v.shape)));
      const l = fixedBatchLoss(m);
      const r = l.dataSync()[0]!;
      l.dispose();
      return r;
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
    const rel = Math.abs(fd - norm) / Math.max(Math.abs(fd), norm);
    if (rel > maxRel) {
      maxRel = rel;
      worst = `${m.specs[k]!.name}: numeric ${fd.toPrecision(6)} vs analytic ${norm.toPrecision(6)}`;
    }
  });
  tf.dispose(Object.values(grads));
  return { maxRel, worst };
}

describe('gradient check against finite differences (WASM)', () => {
  for (const tie of [true, false]) {
    it(`every weight tensor, ${tie ? 'tied' : 'untied'} embeddings`, async () => {
      await initBackend('wasm');
      const m = new Transformer(tinyConfig(tie), 11);
      const { maxRel, worst } = gradCheck(m);
      console.log(`gradcheck (${tie ? 'tied' : 'untied'}): max relative error ${maxRel.toExponential(2)} (worst ${worst})`);
      expect(maxRel).toBeLessThan(1e-2);
      m.dispose();
    });
  }
});
