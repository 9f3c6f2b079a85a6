/**
 * Reward kernels: each has a pure-TypeScript twin with the native contract, and {@link rewardKernels}
 * picks the C++ one when the addon is loaded (native/advantages.cc, native/reward_shaped.cc).
 * The twins are plain loops in the same summation order as the C++ code, so both backends agree.
 */
import { nativeAddon } from '../native/loader.ts';

/** Native contract of `grpoAdvantages` (positional, already-validated arguments). */
export type GrpoAdvantagesKernel = (
  rewards: Float64Array,
  offsets: Int32Array,
  unbiased: boolean,
  epsilon: number,
  meanOnly: boolean,
  /** Written and returned when given (length rewards.length); else a new array. */
  out?: Float64Array,
) => Float64Array;

/** Native contract of `shapedRewards`. */
export type ShapedRewardsKernel = (
  rRes: Float64Array,
  callOffsets: Int32Array,
  callPhi: Float64Array,
  lambda: number,
  /** Written and returned when given (length rRes.length); else a new array. */
  out?: Float64Array,
) => Float64Array;

export interface RewardKernels {
  grpoAdvantages: GrpoAdvantagesKernel;
  shapedRewards: ShapedRewardsKernel;
}

/** TS twin of native `grpoAdvantages`. */
export const grpoAdvantagesTs: GrpoAdvantagesKernel = (rewards, offsets, unbiased, epsilon, meanOnly, outArg) => {
  const out = outArg ?? new Float64Array(rewards.length);
  for (let g = 0; g + 1 < offsets.length; g++) {
    const a = offsets[g]!;
    const b = offsets[g + 1]!;
    const k = b - a;
    if (k === 0) continue;
    let allEqual = true;
    for (let i = a + 1; i < b; i++) {
      if (rewards[i] !== rewards[a]) {
        allEqual = false;
        break;
      }
    }
    if (allEqual) {
      out.fill(0, a, b);
      continue;
    }
    let sum = 0;
    for (let i = a; i < b; i++) sum += rewards[i]!;
    const mean = sum / k;
    if (meanOnly) {
      for (let i = a; i < b; i++) out[i] = rewards[i]! - mean;
      continue;
    }
    let ss = 0;
    for (let i = a; i < b; i++) {
      const d = rewards[i]! - mean;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / (unbiased ? k - 1 : k));
    const scale = sd + epsilon;
    if (!(scale > 0)) {
      // Spread that underflows to 0 (rewards differing only by subnormals) with epsilon 0:
      // treat the group as constant rather than divide by zero.
      out.fill(0, a, b);
      continue;
    }
    for (let i = a; i < b; i++) out[i] = (rewards[i]! - mean) / scale;
  }
  return out;
};

/** TS twin of native `shapedRewards`. */
export const shapedRewardsTs: ShapedRewardsKernel = (rRes, callOffsets, callPhi, lambda, outArg) => {
  const out = outArg ?? new Float64Array(rRes.length);
  for (let i = 0; i < rRes.length; i++) {
    let comp = 0;
    for (let j = callOffsets[i]!; j < callOffsets[i + 1]!; j++) comp += callPhi[j]!;
    out[i] = rRes[i]! + lambda * comp;
  }
  return out;
};

/** The TS twins, always available. */
export const tsRewardKernels: RewardKernels = { grpoAdvantages: grpoAdvantagesTs, shapedRewards: shapedRewardsTs };

/** The native kernels, or `null` when the addon is not loaded (or lacks these entries). */
export function nativeRewardKernels(): RewardKernels | null {
  const addon = nativeAddon();
  if (!addon || typeof addon.grpoAdvantages !== 'function' || typeof addon.shapedRewards !== 'function') return null;
  return {
    grpoAdvantages: addon.grpoAdvantages as GrpoAdvantagesKernel,
    shapedRewards: addon.shapedRewards as ShapedRewardsKernel,
  };
}

/** The live kernels: native when loaded, else the TS twins. */
export function rewardKernels(): RewardKernels {
  return nativeRewardKernels() ?? tsRewardKernels;
}
