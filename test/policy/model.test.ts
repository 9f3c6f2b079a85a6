import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/policy/backend.ts';
import { resolveConfig, countParams, weightSpecs } from '../../src/policy/config.ts';
import { Transformer } from '../../src/policy/model.ts';
import { GRADIENT_KERNELS } from '../../src/policy/gradients.ts';
import { fixedBatchLoss, tinyConfig } from './helpers.ts';

const tiny = (tie: boolean) => tinyConfig(tie);
const lossOf = fixedBatchLoss;

async function gradsOn(backend: 'wasm' | 'cpu', tie: boolean) {
  await initBackend(backend, { threads: 1 });
  const m = new Transformer(tiny(tie), 1);
  const { value, grads } = tf.variableGrads(() => lossOf(m), m.variables());
  const out = m.variables().map((v) => Array.from(grads[v.name]!.dataSync()));
  const logits = Array.from(m.run(tf.tensor2d([[3, 1, 4, 1, 5]], [1, 5], 'int32')).logits.dataSync());
  const loss = value.dataSync()[0]!;
  tf.dispose([value, ...Object.values(grads)]);
  m.dispose();
  return { out, logits, loss };
}

describe('transformer', () => {
  it('counts parameters from the config', () => {
    const c = tiny(true);
    // embed 13·16 + per layer (2·16 norms + 16·32 q + 2·16·16 kv + 32·16 o + 2·8 qk-norm + 3·16·24 mlp) + 16 final norm
    expect(countParams(c)).toBe(13 * 16 + 2 * (32 + 512 + 512 + 512 + 16 + 1152) + 16);
    expect(countParams(tiny(false))).toBe(countParams(c) + 16 * 13);
    expect(weightSpecs(c)[0]!.name).toBe('model.embed_tokens.weight');
    expect(() => resolveConfig({ numHeads: 4, numKvHeads: 3 })).toThrow(/numKvHeads/);
    expect(() => resolveConfig({ headDim: 7 })).toThrow(/headDim/);
    expect(() => resolveConfig({ hiddenSize: 0 })).toThrow(/hiddenSize/);
    expect(() => resolveConfig({ hiddenSze: 3 } as never)).toThrow(/hiddenSze/);
  });

  for (const tie of [true, false]) {
    it(`wasm and cpu agree on logits, loss and every gradient (${tie ? 'tied' : 'untied'} embeddings)`, async () => {
      const cpu = await gradsOn('cpu', tie);
      const wasm = await gradsOn('wasm', tie);
      expect(wasm.loss).toBeCloseTo(cpu.loss, 5);
      for (let i = 0; i < cpu.logits.length; i++) expect(Math.abs(wasm.logits[i]! - cpu.logits[i]!)).toBeLessThan(1e-4);
      let maxDiff = 0;
      cpu.out.forEach((g, k) => g.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - wasm.out[k]![i]!)))));
      expect(maxDiff).toBeLessThan(1e-5);
      // no gradient is identically zero (every weight is reached)
      wasm.out.forEach((g, k) => expect(g.some((x) => x !== 0), weightSpecs(tiny(tie))[k]!.name).toBe(true));
    });
  }

  it('every kernel of a training step has a WASM kernel, and every differentiated kernel a gradient', async () => {
    await initBackend('wasm', { threads: 1 });
    const m = new Transformer(tiny(true), 2);
    const info = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => lossOf(m), m.variables());
      tf.dispose([value, ...Object.values(grads)]);
    });
    const names = new Set(info.kernels.map((k) => k.name));
    expect(names.size).toBeGreaterThan(10);
    for (const n of names) if (!n.endsWith('__op') && n !== 'unnamed scope') expect(tf.getKernel(n, 'wasm'), `WASM kernel ${n}`).toBeDefined();
    for (const n of GRADIENT_KERNELS) expect(tf.getGradient(n), `gradient ${n}`).toBeDefined();
    // the forward kernels that carry gradients are covered (matMul and gather have custom gradients)
    const forward = ['Add', 'Multiply', 'Square', 'Mean', 'Rsqrt', 'Sigmoid', 'Softmax', 'Reshape', 'Transpose', 'Exp'];
    for (const n of forward) expect(names.has(n), n).toBe(true);
    m.dispose();
  });

  it('a KV-cached continuation gives the same logits as the full pass', async () => {
    await initBackend('wasm');
    const m = new Transformer(tiny(true), 4);
    const full = m.run(tf.tensor2d([[3, 1, 4, 1, 5, 9]], [1, 6], 'int32')).logits;
    const pre = m.run(tf.tensor2d([[3, 1, 4]], [1, 3], 'int32'), { wantCache: true });
    const step1 = m.run(tf.tensor2d([[1]], [1, 1], 'int32'), { past: pre.cache!, wantCache: true, lastOnly: true });
    const rest = m.run(tf.tensor2d([[5, 9]], [1, 2], 'int32'), { past: step1.cache! });
    const want = Array.from(full.dataSync());
    const got = [...pre.logits.dataSync(), ...step1.logits.dataSync(), ...rest.logits.dataSync()];
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-4);
    m.dispose();
  });

  it('refuses sequences longer than maxSeqLen', async () => {
    await initBackend('wasm');
    const m = new Transformer(tiny(true), 4);
    expect(() => m.run(tf.zeros([1, 17], 'int32') as tf.Tensor2D)).toThrow(/maxSeqLen/);
    m.dispose();
  });
});
