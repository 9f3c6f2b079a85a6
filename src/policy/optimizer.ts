/**
 * AdamW with decoupled weight decay, global-norm gradient clipping, and a linear-warmup +
 * cosine learning-rate schedule (the CoCoDA paper's settings: β = (0.9, 0.95), weight decay
 * 0.01, clip 1.0).
 *
 * @example
 * ```ts
 * const lr = learningRate(10, { lr: 1e-3, warmupSteps: 20, totalSteps: 200, minLr: 1e-4 }); // 5e-4
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { argError } from '../errors.ts';

export interface ScheduleOptions {
  /** Peak learning rate. */
  lr: number;
  /** Linear warmup from 0 over this many steps (default 0). */
  warmupSteps?: number;
  /** Steps of the whole run; after warmup the rate follows a cosine to `minLr`. Omit for constant. */
  totalSteps?: number;
  /** Floor of the cosine (default 0). */
  minLr?: number;
}

/** Learning rate at 1-based step `step`. */
export function learningRate(step: number, s: ScheduleOptions): number {
  const warm = s.warmupSteps ?? 0;
  const minLr = s.minLr ?? 0;
  if (warm > 0 && step <= warm) return (s.lr * step) / warm;
  if (s.totalSteps === undefined || s.totalSteps <= warm) return s.lr;
  const progress = Math.min(1, (step - warm) / (s.totalSteps - warm));
  return minLr + 0.5 * (s.lr - minLr) * (1 + Math.cos(Math.PI * progress));
}

/** AdamW's state: step count and first/second moments, one array per variable. */
export interface AdamWState {
  t: number;
  m: Float32Array[];
  v: Float32Array[];
}

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * AdamW over a fixed list of variables. `decay[i]` says whether variable i gets weight decay
 * (norm gains do not).
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly vars: tf.Variable[];
  private readonly decay: boolean[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  /** Updates applied so far. */
  t = 0;

  constructor(vars: tf.Variable[], decay: boolean[], opts: AdamWOptions = {}) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.95;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    for (const [k, x] of [['beta1', this.beta1], ['beta2', this.beta2]] as const) {
      if (!(x >= 0 && x < 1)) throw argError('range', k, 'in [0, 1)', x);
    }
    if (!(this.eps > 0)) throw argError('range', 'eps', 'positive', this.eps);
    if (!(this.weightDecay >= 0)) throw argError('range', 'weightDecay', 'non-negative', this.weightDecay);
    this.vars = vars;
    this.decay = decay;
    this.m = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
    this.v = vars.map((x) => tf.tidy(() => tf.variable(tf.zerosLike(x), false)));
  }

  /**
   * One update with gradients `grads[i]` (same order as the variables), each scaled by
   * `gradScale` (the clipping factor) first.
   */
  apply(grads: tf.Tensor[], lr: number, gradScale = 1): void {
    this.t += 1;
    const { beta1: b1, beta2: b2, eps, weightDecay: wd, t } = this;
    const bc1 = 1 - Math.pow(b1, t);
    const bc2 = 1 - Math.pow(b2, t);
    const stepSize = (lr * Math.sqrt(bc2)) / bc1;
    const epsHat = eps * Math.sqrt(bc2);
    tf.tidy(() => {
      this.vars.forEach((p, i) => {
        const g = gradScale === 1 ? grads[i]! : tf.mul(grads[i]!, gradScale);
        const m = tf.add(tf.mul(this.m[i]!, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v[i]!, b2), tf.mul(tf.square(g), 1 - b2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        let next = tf.sub(p, tf.mul(tf.div(m, tf.add(tf.sqrt(v), epsHat)), stepSize));
        if (wd > 0 && this.decay[i]) next = tf.sub(next, tf.mul(p, lr * wd));
        p.assign(next);
      });
    });
  }

  /** Moments and step count as plain arrays (for checkpoints); order = the variables'. */
  async exportState(): Promise<AdamWState> {
    const m = await Promise.all(this.m.map(async (x) => Float32Array.from(await x.data())));
    const v = await Promise.all(this.v.map(async (x) => Float32Array.from(await x.data())));
    return { t: this.t, m, v };
  }

  /** Restores {@link exportState}'s output; throws naming the first moment whose size differs. */
  importState(state: AdamWState): void {
    if (!Number.isInteger(state?.t) || state.t < 0) throw argError('range', 'state.t', 'a non-negative integer', state?.t);
    for (const [name, arr, own] of [['m', state.m, this.m], ['v', state.v, this.v]] as const) {
      if (!Array.isArray(arr) || arr.length !== own.length) throw argError('range', `state.${name}`, `${own.length} moment arrays`, arr?.length);
      arr.forEach((a, i) => {
        if (!(a instanceof Float32Array) || a.length !== own[i]!.size) throw argError('range', `state.${name}[${i}]`, `a Float32Array of ${own[i]!.size} values`, a?.length);
      });
    }
    state.m.forEach((a, i) => this.m[i]!.assign(tf.tensor(a, this.m[i]!.shape)));
    state.v.forEach((a, i) => this.v[i]!.assign(tf.tensor(a, this.v[i]!.shape)));
    this.t = state.t;
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}

/**
 * Global L2 norm of a list of gradients (one host read). Non-finite if any entry is.
 */
export function globalNorm(grads: tf.Tensor[]): number {
  const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
  const n = Math.sqrt(sq.dataSync()[0]!);
  sq.dispose();
  return n;
}
