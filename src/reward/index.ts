/**
 * Rewards: the deterministic answer verifier, the CoCoDA shaped reward and write gate, TIER's
 * decomposed components, and batched GRPO group advantages (native kernel + TS twin).
 */
export { groupAdvantages, groupStats, uniformGroupOffsets, ADVANTAGE_DEFAULTS } from './advantages.ts';
export type { AdvantageOptions } from './advantages.ts';
export { shapedReward, shapedRewards, passesWriteGate, savedCalls, REWARD_DEFAULTS } from './shaped.ts';
export type { ShapedReward, ShapedRewardBatch, ShapedRewardOptions } from './shaped.ts';
export { tierReward, TIER_LAMBDA_P, TIER_MAX } from './tier.ts';
export { verifyAnswer, valuesMatch, NUMERIC_RTOL } from './verify.ts';
export type { TierInput, TierReward } from './tier.ts';
export { rewardKernels, nativeRewardKernels, tsRewardKernels } from './kernels.ts';
export type { RewardKernels } from './kernels.ts';
