/**
 * Losses of the planner policy as pure functions over tfjs tensors (verl / TRL formulas):
 *
 * * {@link k3Kl}: the k3 ("low-variance") estimator of KL(π‖π_ref) per token,
 *   `exp(d) − d − 1` with `d = ref − logp` clamped to [−20, 20] *before* the exp and the result
 *   clamped to [−10, 10], as in verl (clamping only after the exp lets `exp` overflow to Inf
 *   and the backward pass compute 0·Inf = NaN, even for masked tokens).
 * * {@link clippedSurrogate}: the PPO/GRPO clipped objective as a loss,
 *   `max(−A·r, −A·clip(r, 1−ε, 1+ε))`, with optional dual clip (for A < 0, at most `−A·c`).
 * * {@link aggregateLoss}: `token-mean`, `seq-mean-token-mean`, and Dr.GRPO's
 *   `seq-mean-token-sum-norm` (sum over tokens / L, mean over sequences).
 * * {@link tokenLogProbs}, {@link sftLoss}, {@link grpoLoss}: what the trainer differentiates.
 *
 * Masks are 0/1 float tensors; tokens the policy did not write (prompt, tool cards, executor
 * output) have mask 0 and carry no loss.
 *
 * @example
 * ```ts
 * const kl = k3Kl(tf.tensor1d([-1]), tf.tensor1d([-1.2])); // [0.0187308]
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.ts';
import { argError } from '../errors.ts';

/** Loss aggregation modes (verl `loss_agg_mode` names; `dr-grpo` is an alias of the last). */
export const AGGREGATION_MODES = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum-norm', 'dr-grpo'] as const;
export type AggregationMode = (typeof AGGREGATION_MODES)[number];

/** k3 estimator of KL(π‖π_ref) per token: log-ratio clamped to [−20, 20], value to [−10, 10]. */
export function k3Kl(logp: tf.Tensor, refLogp: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const d = tf.clipByValue(tf.sub(refLogp, logp), -20, 20);
    return tf.clipByValue(tf.sub(tf.sub(tf.exp(d), d), 1), -10, 10);
  });
}

export interface ClipOptions {
  /** Lower clip ε (ratio ≥ 1 − ε); default 0.2. */
  clipLow?: number;
  /** Upper clip ε (ratio ≤ 1 + ε); default = clipLow. */
  clipHigh?: number;
  /** Dual-clip constant c > 1 (bounds the loss of negative advantages by −A·c); off by default. */
  dualClip?: number;
}

/**
 * Per-token clipped surrogate loss. `advantages` broadcasts against `ratio` (e.g. `[B, 1]` with
 * `[B, T]`).
 */
export function clippedSurrogate(advantages: tf.Tensor, ratio: tf.Tensor, opts: ClipOptions = {}): tf.Tensor {
  const lo = opts.clipLow ?? 0.2;
  const hi = opts.clipHigh ?? lo;
  if (!(lo >= 0 && lo < 1)) throw argError('range', 'clipLow', 'in [0, 1)', lo);
  if (!(hi >= 0)) throw argError('range', 'clipHigh', 'non-negative', hi);
  if (opts.dualClip !== undefined && !(opts.dualClip > 1)) throw argError('range', 'dualClip', 'greater than 1', opts.dualClip);
  return tf.tidy(() => {
    const negA = tf.neg(advantages);
    const l1 = tf.mul(negA, ratio);
    const l2 = tf.mul(negA, tf.clipByValue(ratio, 1 - lo, 1 + hi));
    const clipped = tf.maximum(l1, l2);
    if (opts.dualClip === undefined) return clipped;
    const l3 = tf.mul(negA, opts.dualClip);
    const dual = tf.minimum(clipped, l3);
    return tf.where(tf.less(advantages, 0), dual, clipped);
  });
}

/**
 * Aggregates a per-token loss `[B, T]` under a 0/1 mask `[B, T]` into a scalar.
 * `maxLen` is Dr.GRPO's constant normaliser L (default T). Sequences without any masked token
 * are left out of `seq-mean-token-mean`.
 */
export function aggregateLoss(loss: tf.Tensor, mask: tf.Tensor, mode: AggregationMode = 'token-mean', maxLen?: number): tf.Scalar {
  if (!(AGGREGATION_MODES as readonly string[]).includes(mode)) throw argError('range', 'aggregation', `one of ${AGGREGATION_MODES.join(', ')}`, mode);
  if (loss.rank !== 2 || mask.rank !== 2 || loss.shape[0] !== mask.shape[0] || loss.shape[1] !== mask.shape[1]) {
    throw argError('range', 'mask', `the loss shape [${loss.shape}]`, `[${mask.shape}]`);
  }
  return tf.tidy(() => {
    const m = tf.cast(mask, 'float32');
    const masked = tf.mul(loss, m);
    if (mode === 'token-mean') return tf.div(tf.sum(masked), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
    const perSeq = tf.sum(masked, 1);
    if (mode === 'seq-mean-token-mean') {
      const counts = tf.sum(m, 1);
      const has = tf.cast(tf.greater(counts, 0), 'float32');
      const seqMeans = tf.div(perSeq, tf.maximum(counts, 1));
      return tf.div(tf.sum(tf.mul(seqMeans, has)), tf.maximum(tf.sum(has), 1)) as tf.Scalar;
    }
    const L = maxLen ?? loss.shape[1]!;
    if (!(L > 0)) throw argError('range', 'maxLen', 'positive', L);
    return tf.mean(tf.div(perSeq, L)) as tf.Scalar;
  });
}

/**
 * `logits[i, t_i] − logsumexp(logits[i])` with the analytic gradient `(onehot − softmax)·dy`:
 * no `[N, V]` log-softmax or one-hot in the forward pass, one `[N, V]` pass in the backward
 * (matters for large vocabularies such as Qwen3's 151k).
 */
const pickLogProbs = tf.customGrad(((logits: tf.Tensor2D, targets: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const [n, v] = logits.shape;
  const lse = tf.logSumExp(logits, 1);
  const flat = tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(v, 'int32')), targets);
  save([logits, lse, targets]);
  return {
    value: tf.sub(tf.gather(tf.reshape(logits, [n * v]), flat), lse),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [x, s, t] = saved as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
      const probs = tf.exp(tf.sub(x, tf.expandDims(s, 1)));
      // int32 one-hot then a cast: tfjs-wasm's OneHot ignores dtype 'float32' and writes int bits.
      const hot = tf.cast(tf.oneHot(t, v), 'float32');
      return [tf.mul(tf.sub(hot, probs), tf.expandDims(dy, 1)), tf.zerosLike(t)];
    },
  };
}) as never) as unknown as (logits: tf.Tensor2D, targets: tf.Tensor1D) => tf.Tensor1D;

/**
 * Log-probability of each target under `softmax(logits / temperature)`: `logits [N, V]`,
 * `targets` int32 `[N]` → `[N]`. Differentiable on every backend (custom gradient, no gather
 * gradient needed).
 */
export function tokenLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D, temperature = 1): tf.Tensor1D {
  if (targets.dtype !== 'int32') throw argError('type', 'targets', 'an int32 tensor', targets.dtype);
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw argError('range', 'temperature', 'a positive finite number', temperature);
  // GRPO's ratio must use the distribution the rollouts were sampled from: softmax(logits / T).
  return pickLogProbs(temperature === 1 ? logits : tf.div(logits, temperature), targets);
}

/** SFT cross-entropy: aggregated `−logp` over masked tokens (`logp`, `mask`: `[B, T]`). */
export function sftLoss(logp: tf.Tensor2D, mask: tf.Tensor2D, mode: AggregationMode = 'token-mean'): tf.Scalar {
  return tf.tidy(() => aggregateLoss(tf.neg(logp), mask, mode));
}

export interface GrpoLossInput {
  /** Current log-probs `[B, T]` (differentiable). */
  logp: tf.Tensor2D;
  /** Log-probs under the sampling policy `[B, T]`. */
  oldLogp: tf.Tensor2D;
  /** Log-probs under the frozen reference `[B, T]`; omit to drop the KL term. */
  refLogp?: tf.Tensor2D;
  /** Advantages: `[B, 1]` (one per sequence, GRPO) or `[B, T]`. */
  advantages: tf.Tensor2D;
  /** 0/1 `[B, T]`: tokens the policy wrote. */
  mask: tf.Tensor2D;
}

export interface GrpoLossOptions extends ClipOptions {
  /** KL coefficient β (default 0.01). */
  klCoef?: number;
  aggregation?: AggregationMode;
  /** Dr.GRPO normaliser L: a constant (e.g. the maximum response length), default T. */
  maxLen?: number;
}

export interface GrpoLossParts {
  /** The scalar to minimise: aggregated surrogate + β · aggregated k3. */
  loss: tf.Scalar;
  pgLoss: tf.Scalar;
  kl: tf.Scalar;
  /** Fraction of masked tokens whose ratio was clipped. */
  clipFrac: tf.Scalar;
}

/** GRPO loss (verl formulation): clipped surrogate plus β·k3 KL, both aggregated the same way. */
export function grpoLoss(input: GrpoLossInput, opts: GrpoLossOptions = {}): GrpoLossParts {
  const beta = opts.klCoef ?? 0.01;
  const mode = opts.aggregation ?? 'token-mean';
  const lo = opts.clipLow ?? 0.2;
  const hi = opts.clipHigh ?? lo;
  return tf.tidy(() => {
    const logRatio = tf.clipByValue(tf.sub(input.logp, input.oldLogp), -20, 20);
    const ratio = tf.exp(logRatio);
    const pg = clippedSurrogate(input.advantages, ratio, opts);
    const pgLoss = aggregateLoss(pg, input.mask, mode, opts.maxLen);
    let kl: tf.Scalar = tf.scalar(0);
    let loss = pgLoss;
    if (input.refLogp && beta !== 0) {
      kl = aggregateLoss(k3Kl(input.logp, input.refLogp), input.mask, mode, opts.maxLen);
      loss = tf.add(pgLoss, tf.mul(kl, beta));
    }
    const clippedTok = tf.cast(tf.logicalOr(tf.less(ratio, 1 - lo), tf.greater(ratio, 1 + hi)), 'float32');
    const clipFrac = aggregateLoss(clippedTok, input.mask, 'token-mean');
    return { loss, pgLoss, kl, clipFrac };
  });
}
