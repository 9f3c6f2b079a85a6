import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/policy/backend.ts';
import { createPolicy, createTrainer, type Policy } from '../../src/policy/policy.ts';
import { packBatch, type GrpoBatch } from '../../src/policy/batch.ts';
import { AdamW, learningRate } from '../../src/policy/optimizer.ts';
import type { AggregationMode } from '../../src/policy/losses.ts';

const config = { vocabSize: 20, hiddenSize: 16, numLayers: 1, numHeads: 2, numKvHeads: 1, headDim: 8, intermediateSize: 32, maxSeqLen: 12 };
const seqs = [[1, 2, 3, 4, 5], [1, 6, 7], [1, 8, 9, 10, 11, 12], [1, 2], [1, 13, 14, 15]];
const masks = seqs.map((s) => s.map((_, t) => (t >= 2 ? 1 : 0)));

function grpoBatch(policy: Policy): GrpoBatch {
  const b = packBatch(seqs, masks);
  return { ...b, advantages: Float32Array.from([1, -0.5, 0.3, 2, -1]), oldLogProbs: policy.logProbs(b) };
}

async function flatWeights(p: Policy): Promise<Float32Array> {
  const w = await p.model.readWeights();
  return Float32Array.from([...w.values()].flatMap((x) => Array.from(x)));
}

describe('optimizer', () => {
  beforeAll(async () => {
    await initBackend('wasm');
  });

  it('warmup then cosine', () => {
    const s = { lr: 1, warmupSteps: 10, totalSteps: 110, minLr: 0.1 };
    expect(learningRate(1, s)).toBeCloseTo(0.1);
    expect(learningRate(10, s)).toBeCloseTo(1);
    expect(learningRate(60, s)).toBeCloseTo(0.55);
    expect(learningRate(110, s)).toBeCloseTo(0.1);
    expect(learningRate(500, s)).toBeCloseTo(0.1);
    expect(learningRate(7, { lr: 0.3 })).toBe(0.3);
  });

  it('AdamW: first step is lr·sign(g) plus decoupled decay; gradient scale is applied first', () => {
    const p = tf.variable(tf.tensor1d([1, -2, 3]));
    const q = tf.variable(tf.tensor1d([1, -2, 3]));
    const opt = new AdamW([p, q], [true, false], { weightDecay: 0.1, eps: 1e-12 });
    opt.apply([tf.tensor1d([0.5, -4, 0]), tf.tensor1d([0.5, -4, 0])], 0.01);
    const got = Array.from(p.dataSync());
    expect(got[0]).toBeCloseTo(1 - 0.01 - 0.01 * 0.1 * 1, 6);
    expect(got[1]).toBeCloseTo(-2 + 0.01 + 0.01 * 0.1 * 2, 6);
    expect(got[2]).toBeCloseTo(3 - 0.01 * 0.1 * 3, 6);
    expect(Array.from(q.dataSync())[2]).toBeCloseTo(3, 6); // no decay on q (a norm gain)
    // second step: m̂ = g, v̂ = g² for a constant gradient, so the step is again lr·sign(g)
    const before = Array.from(q.dataSync());
    opt.apply([tf.tensor1d([1, 1, 1]), tf.tensor1d([2, 2, 2])], 0.01, 0.5); // q's gradient scaled to 1
    const after = Array.from(q.dataSync());
    expect(before[0]! - after[0]!).toBeGreaterThan(0);
    opt.dispose();
  });
});

describe('trainer', () => {
  it('skips a step with a NaN loss, reports it, and leaves weights and optimizer state untouched', async () => {
    const policy = await createPolicy({ config, seed: 1 });
    const trainer = createTrainer(policy, { lr: 1e-2 });
    const ok = trainer.grpoStep(grpoBatch(policy));
    expect(ok.skipped).toBeUndefined();
    expect(trainer.step).toBe(1);
    const w0 = await flatWeights(policy);
    const bad = grpoBatch(policy);
    bad.advantages[2] = NaN;
    const r = trainer.grpoStep(bad);
    expect(r.skipped).toMatch(/non-finite loss/);
    expect(r.step).toBe(1);
    expect(trainer.step).toBe(1);
    expect(trainer.skipped).toBe(1);
    expect(await flatWeights(policy)).toEqual(w0);
    const inf = grpoBatch(policy);
    inf.oldLogProbs[3] = -Infinity; // ratio overflows → clipped, still finite? the log-ratio clamp keeps it finite
    const r2 = trainer.grpoStep(inf);
    expect(Number.isFinite(r2.loss)).toBe(true);
    // the next good step proceeds from the same state
    const r3 = trainer.sftStep(packBatch(seqs, masks));
    expect(r3.skipped).toBeUndefined();
    expect(r3.step).toBe(3);
    trainer.dispose();
    policy.dispose();
  });

  it('rejects mismatched shapes and bad ids with errors naming the field', async () => {
    const policy = await createPolicy({ config, seed: 1 });
    const trainer = createTrainer(policy);
    const b = grpoBatch(policy);
    expect(() => trainer.grpoStep({ ...b, advantages: new Float32Array(3) })).toThrow(/batch\.advantages\.length/);
    expect(() => trainer.grpoStep({ ...b, oldLogProbs: new Float32Array(4) })).toThrow(/batch\.oldLogProbs\.length/);
    expect(() => trainer.grpoStep({ ...b, refLogProbs: new Float32Array(4) })).toThrow(/batch\.refLogProbs\.length/);
    expect(() => trainer.sftStep({ ...b, lossMask: new Float32Array(2) })).toThrow(/batch\.lossMask\.length/);
    expect(() => trainer.sftStep({ ...b, tokens: Int32Array.from(b.tokens, (x, i) => (i === 7 ? 20 : x)) })).toThrow(/batch\.tokens\[7\]/);
    expect(() => trainer.sftStep({ ...b, seqLen: 13, tokens: new Int32Array(65), lossMask: new Float32Array(65) })).toThrow(/maxSeqLen/);
    expect(() => trainer.sftStep({ ...b, tokens: Array.from(b.tokens) as never })).toThrow(/Int32Array/);
    expect(() => createTrainer(policy, { aggregation: 'mean' as never })).toThrow(/aggregation/);
    expect(trainer.step).toBe(0);
    trainer.dispose();
    policy.dispose();
  });

  for (const aggregation of ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'] as AggregationMode[]) {
    it(`micro-batches accumulate to the full-batch update (${aggregation})`, async () => {
      const full = await createPolicy({ config, seed: 3 });
      const split = await createPolicy({ config, seed: 3 });
      const t1 = createTrainer(full, { lr: 1e-2, aggregation });
      const t2 = createTrainer(split, { lr: 1e-2, aggregation, microBatchSize: 2 });
      const b = grpoBatch(full);
      const r1 = t1.grpoStep(b);
      const r2 = t2.grpoStep(b);
      expect(r2.loss).toBeCloseTo(r1.loss, 5);
      expect(r2.gradNorm).toBeCloseTo(r1.gradNorm, 4);
      expect(r2.pgLoss!).toBeCloseTo(r1.pgLoss!, 5);
      expect(r2.clipFrac!).toBeCloseTo(r1.clipFrac!, 5);
      const s1 = t1.sftStep(b);
      const s2 = t2.sftStep(b);
      expect(s2.loss).toBeCloseTo(s1.loss, 5);
      const w1 = await flatWeights(full);
      const w2 = await flatWeights(split);
      let d = 0;
      w1.forEach((x, i) => (d = Math.max(d, Math.abs(x - w2[i]!))));
      expect(d).toBeLessThan(1e-5);
      [t1, t2, full, split].forEach((x) => x.dispose());
    });
  }

  it('Dr.GRPO normalises by a constant maxLen: padding a batch wider does not change its loss', async () => {
    const policy = await createPolicy({ config, seed: 5 });
    const t = createTrainer(policy, { aggregation: 'dr-grpo', lr: 1e-9 });
    expect(t.options.maxLen).toBe(config.maxSeqLen);
    const b = grpoBatch(policy);
    const wide = packBatch([...seqs.slice(0, 4), [...seqs[4]!, 0, 0, 0, 0, 0]], [...masks.slice(0, 4), [...masks[4]!, 0, 0, 0, 0, 0]]);
    const bw: GrpoBatch = { ...wide, advantages: b.advantages, oldLogProbs: policy.logProbs(wide) };
    expect(bw.seqLen).toBeGreaterThan(b.seqLen);
    const r1 = t.grpoStep(b);
    const r2 = t.grpoStep(bw);
    expect(r2.pgLoss!).toBeCloseTo(r1.pgLoss!, 6);
    expect(() => createTrainer(policy, { maxLen: 0 })).toThrow(/maxLen/);
    t.dispose();
    policy.dispose();
  });

  it('GRPO scores at the sampling temperature: on-policy rollouts at T have ratio 1 (no clipping)', async () => {
    const policy = await createPolicy({ config: { ...config, initStd: 0.3 }, seed: 6 });
    const prompts = [[1, 2], [1, 5, 6], [1, 9]];
    const T = 0.6;
    const out = await policy.generate(prompts, { maxNewTokens: 6, temperature: T, seed: 2 });
    const seqsT = prompts.map((p, i) => [...p, ...out.tokens[i]!]);
    const b = packBatch(seqsT, prompts.map((p, i) => [...p.map(() => 0), ...out.tokens[i]!.map(() => 1)]));
    const old = new Float32Array(b.tokens.length);
    prompts.forEach((p, i) => old.set(out.logProbs[i]!, i * b.seqLen + p.length));
    const batch: GrpoBatch = { ...b, advantages: Float32Array.from([1, 1, 1]), oldLogProbs: old };
    const atT = createTrainer(policy, { temperature: T, lr: 1e-9 }).grpoStep(batch);
    expect(atT.pgLoss!).toBeCloseTo(-1, 4); // ratio 1 everywhere
    expect(atT.clipFrac!).toBe(0);
    const at1 = createTrainer(policy, { lr: 1e-9 }).grpoStep(batch); // the old bug: ratio ≠ 1
    expect(Math.abs(at1.pgLoss! + 1)).toBeGreaterThan(1e-3);
    expect(() => createTrainer(policy, { temperature: 0 })).toThrow(/temperature/);
    policy.dispose();
  });

  it('repeated GRPO steps on one batch raise positive-advantage log-probs until the ratio clips', async () => {
    const policy = await createPolicy({ config, seed: 4 });
    const trainer = createTrainer(policy, { lr: 2e-2 });
    const b = grpoBatch(policy);
    const lp0 = policy.logProbs(b);
    let last = trainer.grpoStep(b);
    for (let i = 0; i < 6; i++) last = trainer.grpoStep(b);
    const lp1 = policy.logProbs(b);
    const rowMean = (lp: Float32Array, r: number) => {
      let s = 0, n = 0;
      for (let t = 0; t < b.seqLen; t++) if (b.lossMask[r * b.seqLen + t]) { s += lp[r * b.seqLen + t]!; n++; }
      return s / n;
    };
    expect(rowMean(lp1, 0)).toBeGreaterThan(rowMean(lp0, 0)); // A = 1
    expect(rowMean(lp1, 4)).toBeLessThan(rowMean(lp0, 4)); // A = -1
    expect(last.clipFrac!).toBeGreaterThan(0);
    trainer.dispose();
    policy.dispose();
  });
});
