/**
 * Differentiable building blocks chosen for the tfjs WASM backend, where
 *
 * * only a 2-D, non-transposed `matMul` reaches XNNPACK (≈25 GFLOP/s per core here); transposed
 *   or batched products fall to a naive loop (≈1.5 GFLOP/s), and tfjs' own matMul gradient uses
 *   the transposed forms — so {@link mm} has a custom gradient with explicit transposes;
 * * there is no `UnsortedSegmentSum`, so `gather`'s gradient fails — {@link embed} has a custom
 *   gradient that scatters with `ScatterNd` (which sums duplicate rows).
 *
 * Every kernel used here and in the model has a WASM implementation; `test/policy/ops.test.ts`
 * checks forward and gradient of the model against the cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import './gradients.ts';

/** 2-D matrix product `a @ b` whose gradient uses explicit transposes (fast on WASM). */
export const mm = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)), tf.matMul(tf.transpose(sa), dy as tf.Tensor2D)];
    },
  };
}) as never) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * `a @ c` for a constant `c` (no gradient for it): the backward pass is one product with `cᵀ`,
 * precomputed by the caller as `cT`.
 */
export function mmConst(a: tf.Tensor2D, c: tf.Tensor2D, cT: tf.Tensor2D): tf.Tensor2D {
  const f = tf.customGrad(((x: tf.Tensor2D) => ({
    value: tf.matMul(x, c),
    gradFunc: (dy: tf.Tensor) => [tf.matMul(dy as tf.Tensor2D, cT)],
  })) as never) as unknown as (x: tf.Tensor2D) => tf.Tensor2D;
  return f(a);
}

/**
 * Batched product `[n, m, k] @ [n, k, p] → [n, m, p]`. Large slices run as separate 2-D
 * {@link mm} calls (XNNPACK); small ones (decode steps) as one batched matMul, whose naive loop
 * wins when the per-call overhead dominates.
 */
export function bmm(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [n, m, k] = a.shape;
  const p = b.shape[2];
  if (n === 1) return tf.reshape(mm(tf.reshape(a, [m, k]), tf.reshape(b, [k, p])), [1, m, p]);
  if (2 * m * k * p < BMM_LOOP_FLOPS) return bmmBatched(a, b);
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  return tf.stack(as.map((x, i) => mm(x, bs[i]!))) as tf.Tensor3D;
}

/**
 * Per-slice FLOPs above which {@link bmm} loops over 2-D XNNPACK products: the loop costs
 * ~0.1–0.3 ms of kernel overhead per slice, the batched naive kernel runs at ~1.5 GFLOP/s.
 */
export const BMM_LOOP_FLOPS = 400_000;

/** One batched matMul (naive WASM kernel) whose gradient uses explicit 3-D transposes. */
const bmmBatched = tf.customGrad(((a: tf.Tensor3D, b: tf.Tensor3D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved as [tf.Tensor3D, tf.Tensor3D];
      return [tf.matMul(dy as tf.Tensor3D, tf.transpose(sb, [0, 2, 1])), tf.matMul(tf.transpose(sa, [0, 2, 1]), dy as tf.Tensor3D)];
    },
  };
}) as never) as unknown as (a: tf.Tensor3D, b: tf.Tensor3D) => tf.Tensor3D;

/**
 * Embedding lookup `table[ids]` (ids int32 `[n]`) with a gradient that scatters into the table
 * (`ScatterNd` accumulates duplicate ids), since `gather`'s gradient needs UnsortedSegmentSum.
 */
export const embed = tf.customGrad(((table: tf.Tensor2D, ids: tf.Tensor1D, save: tf.GradSaveFunc) => {
  // Saved so the engine keeps `ids` alive until the backward pass.
  save([ids]);
  const shape = table.shape;
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.scatterND(tf.reshape(saved[0]!, [-1, 1]), dy, shape), tf.zerosLike(saved[0]!)],
  };
}) as never) as unknown as (table: tf.Tensor2D, ids: tf.Tensor1D) => tf.Tensor2D;

/** RMSNorm over the last axis: `x / sqrt(mean(x²) + eps) * w`. */
export function rmsNorm<T extends tf.Tensor>(x: T, w: tf.Tensor1D, eps: number): T {
  const ms = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(ms, eps))), w) as T;
}

/** SiLU (swish): `x · sigmoid(x)`. */
export function silu<T extends tf.Tensor>(x: T): T {
  return tf.mul(x, tf.sigmoid(x)) as T;
}
