/**
 * Training steps for the planner policy: SFT (masked cross-entropy) and GRPO (clipped surrogate
 * + k3 KL to a frozen reference), each followed by one AdamW update with global-norm clipping
 * and the warmup + cosine schedule. A step whose loss or gradient is NaN/Inf is skipped and
 * reported; the weights and optimizer state stay untouched.
 *
 * Large batches can be split into micro-batches (`microBatchSize`): gradients accumulate with
 * weights that make the result equal to the full-batch loss for every aggregation mode.
 *
 * @example
 * ```ts
 * const trainer = createTrainer(policy, { lr: 3e-3, warmupSteps: 10, totalSteps: 200 });
 * const r = trainer.sftStep(packBatch(seqs, masks));
 * if (r.skipped) console.warn(r.skipped);
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { argError } from '../errors.ts';
import { type GrpoBatch, type TokenBatch, checkGrpoBatch, checkTokenBatch } from './batch.ts';
import { type AggregationMode, AGGREGATION_MODES, aggregateLoss, grpoLoss, tokenLogProbs } from './losses.ts';
import { Transformer } from './model.ts';
import { TorchModel } from './torch/model.ts';
import type { NativeTorchTrainer } from './torch/native.ts';
import { AdamW, type AdamWState, globalNorm, learningRate } from './optimizer.ts';

export interface TrainerOptions {
  /** Peak learning rate (default 1e-3, sized for the small embedded models). */
  lr?: number;
  warmupSteps?: number;
  /** Length of the run for the cosine decay; omit for a constant rate after warmup. */
  totalSteps?: number;
  minLr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Global-norm clipping threshold (default 1.0); `Infinity` disables clipping. */
  maxGradNorm?: number;
  /** Rows per forward/backward pass; gradients accumulate over the batch (default: whole batch). */
  microBatchSize?: number;
  /** Aggregation of SFT and GRPO losses (default `token-mean`). */
  aggregation?: AggregationMode;
  /**
   * Dr.GRPO normaliser L of `seq-mean-token-sum-norm`: a constant, so that the loss of a sequence
   * does not depend on the other sequences of its batch (default: the model's `maxSeqLen`).
   */
  maxLen?: number;
  /**
   * Sampling temperature of the rollouts a GRPO step trains on (default 1): the current and
   * reference log-probs are taken under `softmax(logits / temperature)`, the distribution the
   * `oldLogProbs` came from (verl / TRL do the same). SFT steps ignore it.
   */
  temperature?: number;
  /** GRPO clip ε (default 0.2), upper ε (default = clipLow), dual-clip c (off by default). */
  clipLow?: number;
  clipHigh?: number;
  dualClip?: number;
  /** KL coefficient β (default 0.01). */
  klCoef?: number;
}

export interface StepReport {
  kind: 'sft' | 'grpo';
  /** Optimizer updates applied so far (unchanged by a skipped step). */
  step: number;
  /** The aggregated loss (NaN when skipped for that reason). */
  loss: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Learning rate used (0 when skipped). */
  lr: number;
  /** Tokens carrying loss. */
  tokens: number;
  /** Wall time of the step in ms. */
  ms: number;
  /** Why the step was skipped (weights untouched), if it was. */
  skipped?: string;
  /** GRPO: aggregated clipped surrogate, k3 KL, and fraction of clipped tokens. */
  pgLoss?: number;
  kl?: number;
  clipFrac?: number;
  /** torch backend: wall time (ms) of forward + loss, backward, and gradient norm + AdamW inside libtorch. */
  phases?: { forwardMs: number; backwardMs: number; optimizerMs: number };
}

interface Shifted {
  rows: number;
  cols: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
}

/** Inputs `tokens[:, :-1]`, targets `tokens[:, 1:]`, and per-token arrays shifted the same way. */
function shift(batch: TokenBatch, r0: number, r1: number): Shifted {
  const T = batch.seqLen;
  const cols = T - 1;
  const rows = r1 - r0;
  const inputs = new Int32Array(rows * cols);
  const targets = new Int32Array(rows * cols);
  const mask = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = (r0 + r) * T;
    for (let c = 0; c < cols; c++) {
      inputs[r * cols + c] = batch.tokens[src + c]!;
      targets[r * cols + c] = batch.tokens[src + c + 1]!;
      mask[r * cols + c] = batch.lossMask[src + c + 1]! ? 1 : 0;
    }
  }
  return { rows, cols, inputs, targets, mask };
}

function shiftFloat(arr: Float32Array, T: number, r0: number, r1: number): Float32Array {
  const cols = T - 1;
  const out = new Float32Array((r1 - r0) * cols);
  for (let r = 0; r < r1 - r0; r++) out.set(arr.subarray((r0 + r) * T + 1, (r0 + r + 1) * T), r * cols);
  return out;
}

/** Share of the full-batch aggregate that rows [r0, r1) carry, per aggregation mode. */
function microWeight(mode: AggregationMode, mask: Float32Array | Uint8Array, T: number, r0: number, r1: number, B: number): number {
  if (mode === 'seq-mean-token-sum-norm' || mode === 'dr-grpo') return (r1 - r0) / B;
  let part = 0;
  let total = 0;
  for (let r = 0; r < B; r++) {
    let cnt = 0;
    for (let t = 1; t < T; t++) cnt += mask[r * T + t] ? 1 : 0;
    const unit = mode === 'token-mean' ? cnt : cnt > 0 ? 1 : 0;
    total += unit;
    if (r >= r0 && r < r1) part += unit;
  }
  return total === 0 ? 0 : part / total;
}

/**
 * Owns the optimizer state of one policy's weights and runs SFT / GRPO steps.
 */
export class Trainer {
  readonly options: Required<Omit<TrainerOptions, 'totalSteps' | 'dualClip' | 'clipHigh' | 'microBatchSize'>> &
    Pick<TrainerOptions, 'totalSteps' | 'dualClip' | 'clipHigh' | 'microBatchSize'>;
  private readonly model: Transformer | TorchModel;
  /** AdamW of a TensorFlow.js model. */
  private readonly optimizer: AdamW | undefined;
  /** AdamW state of a libtorch model (in the addon), and its update count. */
  private readonly native: NativeTorchTrainer | undefined;
  private nativeUpdates = 0;
  private skippedSteps = 0;

  constructor(model: Transformer | TorchModel, opts: TrainerOptions = {}) {
    this.model = model;
    this.options = {
      lr: opts.lr ?? 1e-3,
      warmupSteps: opts.warmupSteps ?? 0,
      totalSteps: opts.totalSteps,
      minLr: opts.minLr ?? 0,
      beta1: opts.beta1 ?? 0.9,
      beta2: opts.beta2 ?? 0.95,
      eps: opts.eps ?? 1e-8,
      weightDecay: opts.weightDecay ?? 0.01,
      maxGradNorm: opts.maxGradNorm ?? 1.0,
      microBatchSize: opts.microBatchSize,
      aggregation: opts.aggregation ?? 'token-mean',
      maxLen: opts.maxLen ?? model.config.maxSeqLen,
      temperature: opts.temperature ?? 1,
      clipLow: opts.clipLow ?? 0.2,
      clipHigh: opts.clipHigh,
      dualClip: opts.dualClip,
      klCoef: opts.klCoef ?? 0.01,
    };
    const o = this.options;
    if (!(o.lr > 0)) throw argError('range', 'lr', 'positive', o.lr);
    if (!(o.maxGradNorm > 0)) throw argError('range', 'maxGradNorm', 'positive', o.maxGradNorm);
    if (!(Number.isFinite(o.maxLen) && o.maxLen > 0)) throw argError('range', 'maxLen', 'a positive number', o.maxLen);
    if (!(Number.isFinite(o.temperature) && o.temperature > 0)) throw argError('range', 'temperature', 'a positive finite number', o.temperature);
    if (!(AGGREGATION_MODES as readonly string[]).includes(o.aggregation)) throw argError('range', 'aggregation', `one of ${AGGREGATION_MODES.join(', ')}`, o.aggregation);
    if (o.microBatchSize !== undefined && !(Number.isInteger(o.microBatchSize) && o.microBatchSize > 0)) {
      throw argError('range', 'microBatchSize', 'a positive integer', o.microBatchSize);
    }
    if (model instanceof Transformer) {
      this.optimizer = new AdamW(
        model.variables(),
        model.specs.map((s) => s.decay),
        { beta1: o.beta1, beta2: o.beta2, eps: o.eps, weightDecay: o.weightDecay },
      );
    } else {
      // Same checks as the TS AdamW, then the state lives in libtorch next to the weights.
      for (const [k, x] of [['beta1', o.beta1], ['beta2', o.beta2]] as const) if (!(x >= 0 && x < 1)) throw argError('range', k, 'in [0, 1)', x);
      if (!(o.eps > 0)) throw argError('range', 'eps', 'positive', o.eps);
      if (!(o.weightDecay >= 0)) throw argError('range', 'weightDecay', 'non-negative', o.weightDecay);
      this.native = TorchModel.createNativeTrainer(model, o.beta1, o.beta2, o.eps, o.weightDecay);
    }
  }

  /** Optimizer updates applied so far. */
  get step(): number {
    return this.optimizer ? this.optimizer.t : this.nativeUpdates;
  }

  /** Steps skipped for a non-finite loss or gradient. */
  get skipped(): number {
    return this.skippedSteps;
  }

  /** Learning rate the next update will use. */
  nextLr(): number {
    return learningRate(this.step + 1, this.options);
  }

  /**
   * One supervised step: cross-entropy on the tokens whose `lossMask` is 1.
   */
  sftStep(batch: TokenBatch): StepReport {
    checkTokenBatch(batch, this.model.config.vocabSize, this.model.config.maxSeqLen);
    if (this.native) return this.torchStep('sft', batch);
    const mode = this.options.aggregation;
    return this.runStep('sft', batch, (s) => {
      const logp = this.logp(s);
      const mask = tf.tensor2d(s.mask, [s.rows, s.cols]);
      return { loss: aggregateLoss(tf.neg(logp), mask, mode, this.options.maxLen) };
    });
  }

  /**
   * One GRPO step on sampled sequences with their advantages, sampling-time log-probs and
   * (optionally) reference log-probs, all aligned with `tokens`.
   */
  grpoStep(batch: GrpoBatch): StepReport {
    checkGrpoBatch(batch, this.model.config.vocabSize, this.model.config.maxSeqLen);
    if (this.native) return this.torchStep('grpo', batch);
    const o = this.options;
    const T = batch.seqLen;
    const perSeqAdv = batch.advantages.length === batch.batchSize;
    return this.runStep('grpo', batch, (s, r0, r1) => {
      const logp = this.logp(s, o.temperature);
      const shape: [number, number] = [s.rows, s.cols];
      const advantages = perSeqAdv
        ? tf.tensor2d(batch.advantages.subarray(r0, r1), [s.rows, 1])
        : tf.tensor2d(shiftFloat(batch.advantages, T, r0, r1), shape);
      const parts = grpoLoss(
        {
          logp,
          oldLogp: tf.tensor2d(shiftFloat(batch.oldLogProbs, T, r0, r1), shape),
          ...(batch.refLogProbs ? { refLogp: tf.tensor2d(shiftFloat(batch.refLogProbs, T, r0, r1), shape) } : {}),
          advantages,
          mask: tf.tensor2d(s.mask, shape),
        },
        {
          clipLow: o.clipLow,
          ...(o.clipHigh !== undefined ? { clipHigh: o.clipHigh } : {}),
          ...(o.dualClip !== undefined ? { dualClip: o.dualClip } : {}),
          klCoef: o.klCoef,
          aggregation: o.aggregation,
          maxLen: o.maxLen,
        },
      );
      return { loss: parts.loss, extras: { pgLoss: parts.pgLoss, kl: parts.kl, clipFrac: parts.clipFrac } };
    });
  }

  /** Log-probs `[rows, cols]` of the shifted targets under the current weights (differentiable). */
  private logp(s: Shifted, temperature = 1): tf.Tensor2D {
    const ids = tf.tensor2d(s.inputs, [s.rows, s.cols], 'int32');
    const { logits } = (this.model as Transformer).run(ids, { training: true });
    return tf.reshape(tokenLogProbs(logits, tf.tensor1d(s.targets, 'int32'), temperature), [s.rows, s.cols]) as tf.Tensor2D;
  }

  private runStep(
    kind: 'sft' | 'grpo',
    batch: TokenBatch,
    lossOf: (s: Shifted, r0: number, r1: number) => { loss: tf.Scalar; extras?: Record<string, tf.Scalar> },
  ): StepReport {
    const start = performance.now();
    const B = batch.batchSize;
    const T = batch.seqLen;
    const micro = Math.min(this.options.microBatchSize ?? B, B);
    const vars = (this.model as Transformer).variables();
    const optimizer = this.optimizer!;
    let acc: tf.Tensor[] | undefined;
    let loss = 0;
    let tokens = 0;
    const extras: Record<string, number> = {};
    for (let r0 = 0; r0 < B; r0 += micro) {
      const r1 = Math.min(B, r0 + micro);
      const weight = micro === B ? 1 : microWeight(this.options.aggregation, batch.lossMask, T, r0, r1, B);
      const clipWeight = micro === B ? 1 : microWeight('token-mean', batch.lossMask, T, r0, r1, B);
      const s = shift(batch, r0, r1);
      for (const x of s.mask) tokens += x;
      const kept: Record<string, tf.Scalar> = {};
      const { value, grads } = tf.variableGrads(() => {
        const out = lossOf(s, r0, r1);
        for (const [k, t] of Object.entries(out.extras ?? {})) kept[k] = tf.keep(tf.mul(t, k === 'clipFrac' ? clipWeight : weight) as tf.Scalar);
        return tf.mul(out.loss, weight) as tf.Scalar;
      }, vars);
      loss += value.dataSync()[0]!;
      value.dispose();
      for (const [k, t] of Object.entries(kept)) {
        extras[k] = (extras[k] ?? 0) + t.dataSync()[0]!;
        t.dispose();
      }
      const list = vars.map((v) => grads[v.name]!);
      if (!acc) acc = list;
      else {
        const sum = acc.map((a, i) => tf.add(a, list[i]!));
        tf.dispose([...acc, ...list]);
        acc = sum;
      }
    }
    const grads = acc!;
    const gradNorm = globalNorm(grads);
    const report: StepReport = { kind, step: optimizer.t, loss, gradNorm, lr: 0, tokens, ms: 0, ...extras };
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
      tf.dispose(grads);
      this.skippedSteps += 1;
      report.skipped = `non-finite ${!Number.isFinite(loss) ? `loss (${loss})` : `gradient norm (${gradNorm})`}: step skipped, weights untouched`;
      report.ms = performance.now() - start;
      return report;
    }
    const lr = learningRate(optimizer.t + 1, this.options);
    const scale = gradNorm > this.options.maxGradNorm ? this.options.maxGradNorm / (gradNorm + 1e-6) : 1;
    optimizer.apply(grads, lr, scale);
    tf.dispose(grads);
    report.step = optimizer.t;
    report.lr = lr;
    report.ms = performance.now() - start;
    return report;
  }

  /**
   * The same step on a libtorch model, in one addon call: the batch is shifted and the
   * micro-batch weights computed here exactly as for TensorFlow.js; forward, backward (autograd),
   * clipping and AdamW run in libtorch with the formulas of losses.ts / optimizer.ts.
   */
  private torchStep(kind: 'sft' | 'grpo', batch: TokenBatch | GrpoBatch): StepReport {
    const start = performance.now();
    const o = this.options;
    const B = batch.batchSize;
    const T = batch.seqLen;
    const grpo = kind === 'grpo';
    if (grpo) {
      // The checks clippedSurrogate makes on the TS backends.
      const hi = o.clipHigh ?? o.clipLow;
      if (!(o.clipLow >= 0 && o.clipLow < 1)) throw argError('range', 'clipLow', 'in [0, 1)', o.clipLow);
      if (!(hi >= 0)) throw argError('range', 'clipHigh', 'non-negative', hi);
      if (o.dualClip !== undefined && !(o.dualClip > 1)) throw argError('range', 'dualClip', 'greater than 1', o.dualClip);
    }
    const micro = Math.min(o.microBatchSize ?? B, B);
    const starts: number[] = [];
    const weights: number[] = [];
    const clipWeights: number[] = [];
    for (let r0 = 0; r0 < B; r0 += micro) {
      const r1 = Math.min(B, r0 + micro);
      starts.push(r0);
      weights.push(micro === B ? 1 : microWeight(o.aggregation, batch.lossMask, T, r0, r1, B));
      clipWeights.push(micro === B ? 1 : microWeight('token-mean', batch.lossMask, T, r0, r1, B));
    }
    starts.push(B);
    const s = shift(batch, 0, B);
    let tokens = 0;
    for (const x of s.mask) tokens += x;
    const g = batch as GrpoBatch;
    const perSeq = grpo && g.advantages.length === B;
    const mode = ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum-norm', 'seq-mean-token-sum-norm'][AGGREGATION_MODES.indexOf(o.aggregation)]!;
    const lossOptions = Float64Array.of(
      ['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum-norm'].indexOf(mode),
      o.maxLen,
      o.clipLow,
      o.clipHigh ?? o.clipLow,
      o.dualClip ?? 0,
      o.klCoef,
      grpo ? o.temperature : 1,
    );
    const lr = learningRate(this.nativeUpdates + 1, o);
    const r = this.native!.step(
      grpo, B, T - 1, s.inputs, s.targets, s.mask,
      grpo ? (perSeq ? Float32Array.from(g.advantages) : shiftFloat(g.advantages, T, 0, B)) : null,
      perSeq,
      grpo ? shiftFloat(g.oldLogProbs, T, 0, B) : null,
      grpo && g.refLogProbs ? shiftFloat(g.refLogProbs, T, 0, B) : null,
      Float64Array.from(starts), Float64Array.from(weights), Float64Array.from(clipWeights), lossOptions, lr, o.maxGradNorm,
    );
    const [loss, gradNorm, applied, pgLoss, kl, clipFrac, updates, forwardMs, backwardMs, optimizerMs] = r as unknown as number[];
    this.nativeUpdates = updates!;
    const report: StepReport = {
      kind, step: this.nativeUpdates, loss: loss!, gradNorm: gradNorm!, lr: 0, tokens, ms: 0,
      ...(grpo ? { pgLoss, kl, clipFrac } : {}),
      phases: { forwardMs: forwardMs!, backwardMs: backwardMs!, optimizerMs: optimizerMs! },
    };
    if (!applied) {
      this.skippedSteps += 1;
      report.skipped = `non-finite ${!Number.isFinite(loss) ? `loss (${loss})` : `gradient norm (${gradNorm})`}: step skipped, weights untouched`;
    } else report.lr = lr;
    report.ms = performance.now() - start;
    return report;
  }

  /**
   * Optimizer state for a checkpoint: AdamW moments (in the order of the model's weight specs,
   * TS layout, so a state saved on one backend restores on the other), the update count and the
   * skipped-step count. Restore with {@link importState}; a trainer restored into the same weights
   * continues exactly as if it had never stopped.
   */
  async exportState(): Promise<TrainerState> {
    const names = this.model.specs.map((s) => s.name);
    if (this.native) {
      const st = this.native.exportState();
      return { t: this.nativeUpdates, m: st.m, v: st.v, skipped: this.skippedSteps, names };
    }
    return { ...(await this.optimizer!.exportState()), skipped: this.skippedSteps, names };
  }

  /** Restores {@link exportState}'s output (same model config); throws naming the mismatch. */
  importState(state: TrainerState): void {
    const names = this.model.specs.map((s) => s.name);
    if (!Array.isArray(state?.names) || state.names.length !== names.length || state.names.some((n, i) => n !== names[i])) {
      throw argError('range', 'state.names', `the weight names of this model (${names.length})`, state?.names?.length);
    }
    if (this.native) {
      if (!Number.isInteger(state?.t) || state.t < 0) throw argError('range', 'state.t', 'a non-negative integer', state?.t);
      const sizes = this.model.specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
      for (const [name, arr] of [['m', state.m], ['v', state.v]] as const) {
        if (!Array.isArray(arr) || arr.length !== sizes.length) throw argError('range', `state.${name}`, `${sizes.length} moment arrays`, arr?.length);
        arr.forEach((a, i) => {
          if (!(a instanceof Float32Array) || a.length !== sizes[i]) throw argError('range', `state.${name}[${i}]`, `a Float32Array of ${sizes[i]} values`, a?.length);
        });
      }
      this.native.importState(state.t, state.m, state.v);
      this.nativeUpdates = state.t;
    } else this.optimizer!.importState(state);
    this.skippedSteps = Number.isInteger(state.skipped) && state.skipped >= 0 ? state.skipped : 0;
  }

  dispose(): void {
    this.optimizer?.dispose();
    this.native?.dispose();
  }
}

/** What {@link Trainer.exportState} returns. */
export interface TrainerState extends AdamWState {
  /** Steps skipped for a non-finite loss or gradient. */
  skipped: number;
  /** Weight names, in the order of `m` and `v`. */
  names: string[];
}
