import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/policy/backend.ts';
import { aggregateLoss, clippedSurrogate, grpoLoss, k3Kl, sftLoss, tokenLogProbs } from '../../src/policy/losses.ts';

const val = (t: tf.Tensor): number => {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
};

describe.each(['wasm', 'cpu'] as const)('losses on %s (issue test vectors)', (backend) => {
  beforeAll(async () => {
    await initBackend(backend, { threads: 1 });
  });

  it('k3 estimator', () => {
    expect(val(k3Kl(tf.scalar(-1), tf.scalar(-1.2)))).toBeCloseTo(0.0187308, 6);
    expect(val(k3Kl(tf.scalar(-2), tf.scalar(-1)))).toBeCloseTo(0.7182818, 6);
    expect(val(k3Kl(tf.scalar(-1.5), tf.scalar(-1.5)))).toBe(0);
  });

  it('clipped surrogate, with and without dual clip', () => {
    const loss = (a: number, r: number, dualClip?: number) =>
      val(clippedSurrogate(tf.scalar(a), tf.scalar(r), dualClip === undefined ? {} : { dualClip }));
    expect(loss(1.2, 1.3)).toBeCloseTo(-1.44, 5);
    expect(loss(-0.72, 0.7)).toBeCloseTo(0.576, 5);
    expect(loss(-0.72, 5)).toBeCloseTo(3.6, 5);
    expect(loss(-0.72, 5, 3)).toBeCloseTo(2.16, 5);
    expect(loss(1.2, 0.5)).toBeCloseTo(-0.6, 5);
    // dual clip leaves positive advantages alone
    expect(loss(1.2, 0.5, 3)).toBeCloseTo(-0.6, 5);
  });

  it('aggregation modes', () => {
    const loss = tf.tensor2d([[1, 2, 0], [3, 4, 5], [7, 0, 0]]);
    const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1], [1, 0, 0]]);
    expect(val(aggregateLoss(loss, mask, 'token-mean'))).toBeCloseTo(3.6667, 4);
    expect(val(aggregateLoss(loss, mask, 'seq-mean-token-mean'))).toBeCloseTo(4.1667, 4);
    expect(val(aggregateLoss(loss, mask, 'seq-mean-token-sum-norm', 3))).toBeCloseTo(2.4444, 4);
    expect(val(aggregateLoss(loss, mask, 'dr-grpo'))).toBeCloseTo(2.4444, 4);
    // an all-masked row does not count in seq-mean-token-mean
    const mask2 = tf.tensor2d([[1, 1, 0], [0, 0, 0], [1, 0, 0]]);
    expect(val(aggregateLoss(loss, mask2, 'seq-mean-token-mean'))).toBeCloseTo((1.5 + 7) / 2, 5);
    expect(() => aggregateLoss(loss, tf.ones([3, 2]), 'token-mean')).toThrow(/mask/);
    expect(() => aggregateLoss(loss, mask, 'nope' as never)).toThrow(/aggregation/);
    tf.dispose([loss, mask, mask2]);
  });

  it('grpo loss combines surrogate and k3 (β = 0.01) and reports the clip fraction', () => {
    const logp = tf.tensor2d([[Math.log(1.3), -1], [Math.log(0.7), -2]]);
    const oldLogp = tf.tensor2d([[0, -1], [0, -2]]);
    const refLogp = tf.tensor2d([[Math.log(1.3), -1.2], [Math.log(0.7), -1]]);
    const advantages = tf.tensor2d([[1.2], [-0.72]]);
    const mask = tf.tensor2d([[1, 1], [1, 1]]);
    const parts = grpoLoss({ logp, oldLogp, refLogp, advantages, mask });
    // tokens: (1.2, 1.3) → -1.44; (1.2, 1) → -1.2; (-0.72, 0.7) → 0.576; (-0.72, 1) → 0.72
    const pg = (-1.44 - 1.2 + 0.576 + 0.72) / 4;
    const kl = (0 + 0.0187308 + 0 + 0.7182818) / 4;
    expect(val(parts.pgLoss)).toBeCloseTo(pg, 5);
    expect(val(parts.kl)).toBeCloseTo(kl, 5);
    expect(val(parts.loss)).toBeCloseTo(pg + 0.01 * kl, 5);
    expect(val(parts.clipFrac)).toBeCloseTo(0.5, 5);
    tf.dispose([logp, oldLogp, refLogp, advantages, mask]);
  });

  it('k3 KL does not overflow: the log-ratio is clamped before the exp (finite gradient, masked token 0)', () => {
    const logp = tf.variable(tf.tensor2d([[-1, -95]]));
    const ref = tf.tensor2d([[-1.2, -5]]);
    const mask = tf.tensor2d([[1, 0]]);
    const { grads, value } = tf.variableGrads(() =>
      grpoLoss({ logp: logp as unknown as tf.Tensor2D, oldLogp: tf.tensor2d([[-1, -95]]), refLogp: ref, advantages: tf.tensor2d([[1]]), mask }).loss,
    );
    const g = Array.from(grads[logp.name]!.dataSync());
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    expect(g[0]).toBeCloseTo(-0.998, 3); // −A + β·(1 − e^{−0.2})
    expect(g[1]! + 0).toBe(0); // (−0 is fine)
    // the per-token value is finite too, even 90 nats apart
    const kl = Array.from(k3Kl(tf.tensor1d([-95]), tf.tensor1d([-5])).dataSync());
    expect(kl[0]).toBe(10);
    tf.dispose([logp, ref, mask, value, ...Object.values(grads)]);
  });

  it('token log-probs at a temperature are those of softmax(logits / T)', () => {
    const logits = tf.tensor2d([[Math.log(3), 0, 0, 0]]);
    const lp = tokenLogProbs(logits, tf.tensor1d([0], 'int32'), 0.5).dataSync()[0]!;
    expect(lp).toBeCloseTo(Math.log(9 / 12), 5); // 3^(1/0.5) = 9 among 9 + 1 + 1 + 1
    expect(() => tokenLogProbs(logits, tf.tensor1d([0], 'int32'), 0)).toThrow(/temperature/);
  });

  it('token log-probs and SFT loss', () => {
    const logits = tf.tensor2d([[0, 0, 0, 0], [Math.log(3), 0, 0, 0]]);
    const lp = tokenLogProbs(logits, tf.tensor1d([2, 0], 'int32'));
    const arr = Array.from(lp.dataSync());
    expect(arr[0]).toBeCloseTo(Math.log(0.25), 5);
    expect(arr[1]).toBeCloseTo(Math.log(0.5), 5);
    const loss = sftLoss(tf.reshape(lp, [1, 2]) as tf.Tensor2D, tf.tensor2d([[1, 0]]));
    expect(val(loss)).toBeCloseTo(-Math.log(0.25), 5);
  });
});
