/**
 * GRPO group-relative advantages, `A_i = (R_i − mean_g) / (std_g + ε)` per rollout group g
 * (DESIGN.md §1; TIER eq. in §2.3; verl/TRL `compute_grpo_outcome_advantage`).
 */
import { argError } from '../errors.ts';
import { rewardKernels, type RewardKernels } from './kernels.ts';

export interface AdvantageOptions {
  /** `unbiased` (n − 1, the default, like torch.std) or `biased` (n). */
  std?: 'unbiased' | 'biased';
  /** Added to the std before dividing; default 1e-6. */
  epsilon?: number;
  /** `std` (default) divides by std + ε; `mean` is Dr. GRPO: A = R − mean. */
  normalize?: 'std' | 'mean';
  /** Write the advantages here (length = rewards.length) instead of a new array: one buffer per training loop. */
  out?: Float64Array;
}

/** Defaults used when an option is left out. */
export const ADVANTAGE_DEFAULTS: Required<Omit<AdvantageOptions, 'out'>> = { std: 'unbiased', epsilon: 1e-6, normalize: 'std' };

function toFloat64(name: string, v: Float64Array | readonly number[]): Float64Array {
  if (v instanceof Float64Array) return v;
  if (Array.isArray(v)) return Float64Array.from(v as number[]);
  throw argError('type', name, 'a Float64Array or an array of numbers', v);
}

/** Validates a CSR offsets array: starts at 0, non-decreasing, ends at `length`. */
export function checkOffsets(name: string, offsets: unknown, length: number): Int32Array {
  if (!(offsets instanceof Int32Array)) throw argError('type', name, 'an Int32Array', offsets);
  if (offsets.length < 1) throw argError('range', name, 'non-empty (one entry more than the number of groups)');
  if (offsets[0] !== 0) throw argError('range', `${name}[0]`, '0', offsets[0]);
  for (let i = 1; i < offsets.length; i++) {
    if (offsets[i]! < offsets[i - 1]!) throw argError('range', `${name}[${i}]`, `>= ${name}[${i - 1}] (${offsets[i - 1]})`, offsets[i]);
  }
  const last = offsets[offsets.length - 1]!;
  if (last !== length) throw argError('range', `${name}[${offsets.length - 1}]`, `the batch length ${length}`, last);
  return offsets;
}

/** Throws unless every entry is finite, naming the first bad position. */
export function checkFiniteArray(name: string, a: Float64Array): void {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw argError('range', `${name}[${i}]`, 'a finite number', a[i]);
  }
}

/** Offsets for a batch of equal-size groups: `[0, G, 2G, …, n]`. */
export function uniformGroupOffsets(n: number, groupSize: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw argError('range', 'n', 'a non-negative integer', n);
  if (!Number.isInteger(groupSize) || groupSize < 1) throw argError('range', 'groupSize', 'a positive integer', groupSize);
  if (n % groupSize !== 0) throw argError('range', 'n', `a multiple of groupSize ${groupSize}`, n);
  const out = new Int32Array(n / groupSize + 1);
  for (let g = 0; g < out.length; g++) out[g] = g * groupSize;
  return out;
}

function resolve(options: AdvantageOptions | undefined): Required<Omit<AdvantageOptions, 'out'>> {
  const o = { ...ADVANTAGE_DEFAULTS, ...(options ?? {}) };
  if (o.std !== 'unbiased' && o.std !== 'biased') throw argError('range', 'std', '"unbiased" or "biased"', o.std);
  if (o.normalize !== 'std' && o.normalize !== 'mean') throw argError('range', 'normalize', '"std" or "mean"', o.normalize);
  if (typeof o.epsilon !== 'number' || !Number.isFinite(o.epsilon) || o.epsilon < 0) {
    throw argError('range', 'epsilon', 'a finite number >= 0', o.epsilon);
  }
  return o;
}

/**
 * Advantages for a whole batch of rollout groups in one kernel call. Group g is
 * `rewards[offsets[g] .. offsets[g+1])`. A group whose rewards are all equal (or of size 1) gets 0.
 *
 * @param kernels override the backend (tests pass the TS twins or the native kernels explicitly).
 * @example
 * ```ts
 * const r = Float64Array.of(1, 0, 0, 1, 1, 0, 0, 0);
 * groupAdvantages(r, Int32Array.of(0, 8)); // [1.207612, -0.724567, ...]
 * groupAdvantages(r, uniformGroupOffsets(8, 4), { normalize: 'mean' }); // Dr. GRPO
 * ```
 */
export function groupAdvantages(
  rewards: Float64Array | readonly number[],
  offsets: Int32Array,
  options?: AdvantageOptions,
  kernels: RewardKernels = rewardKernels(),
): Float64Array {
  const r = toFloat64('rewards', rewards);
  checkOffsets('offsets', offsets, r.length);
  checkFiniteArray('rewards', r);
  const o = resolve(options);
  const out = options?.out;
  if (out !== undefined && (!(out instanceof Float64Array) || out.length !== r.length)) {
    throw argError('type', 'out', `a Float64Array of length ${r.length}`, out);
  }
  if (out !== undefined && out.buffer === r.buffer) throw argError('range', 'out', 'a buffer distinct from rewards');
  return kernels.grpoAdvantages(r, offsets, o.std === 'unbiased', o.epsilon, o.normalize === 'mean', out);
}

/** Group statistics (mean and std under the chosen estimator), for reports and tests. */
export function groupStats(rewards: ArrayLike<number>, std: 'unbiased' | 'biased' = 'unbiased'): { mean: number; std: number } {
  const k = rewards.length;
  if (k === 0) return { mean: 0, std: 0 };
  let sum = 0;
  for (let i = 0; i < k; i++) sum += rewards[i]!;
  const mean = sum / k;
  let ss = 0;
  for (let i = 0; i < k; i++) ss += (rewards[i]! - mean) ** 2;
  const d = std === 'unbiased' ? k - 1 : k;
  return { mean, std: d > 0 ? Math.sqrt(ss / d) : 0 };
}
