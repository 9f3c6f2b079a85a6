import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig, type PolicyConfig } from '../../src/policy/config.ts';
import type { Transformer } from '../../src/policy/model.ts';
import { grpoLoss, sftLoss, tokenLogProbs } from '../../src/policy/losses.ts';

/** A model small enough for finite differences and cross-backend comparisons. */
export const tinyConfig = (tie: boolean, extra: Partial<PolicyConfig> = {}): PolicyConfig =>
  resolveConfig({
    vocabSize: 13, hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 8,
    intermediateSize: 24, maxSeqLen: 16, tieEmbeddings: tie, initStd: 0.2, ...extra,
  });

/**
 * GRPO (+ k3 KL, dual clip) plus SFT loss on a fixed batch: exercises every kernel of a training
 * step. The sampling and reference log-probs are constants, as in training.
 */
export function fixedBatchLoss(m: Transformer): tf.Scalar {
  return tf.tidy(() => {
    const ids = tf.tensor2d([[1, 2, 3, 4, 5, 6], [6, 7, 8, 9, 1, 0]], [2, 6], 'int32');
    const inp = tf.slice(ids, [0, 0], [2, 5]) as tf.Tensor2D;
    const tgt = tf.reshape(tf.slice(ids, [0, 1], [2, 5]), [-1]) as tf.Tensor1D;
    const logp = tf.reshape(tokenLogProbs(m.run(inp, { training: true }).logits, tgt), [2, 5]) as tf.Tensor2D;
    const mask = tf.tensor2d([[0, 0, 1, 1, 1], [0, 1, 1, 1, 0]]);
    const oldLogp = tf.tensor2d([[-2.4, -2.6, -2.5, -2.3, -2.7], [-2.5, -2.45, -2.55, -2.6, -2.4]]);
    const refLogp = tf.tensor2d([[-2.2, -2.8, -2.5, -2.6, -2.3], [-2.6, -2.5, -2.4, -2.7, -2.5]]);
    const grpo = grpoLoss({ logp, oldLogp, refLogp, advantages: tf.tensor2d([[1], [-0.5]]), mask }, { dualClip: 3, klCoef: 0.1 }).loss;
    return tf.add(grpo, tf.mul(sftLoss(logp, mask), 0.5)) as tf.Scalar;
  });
}
