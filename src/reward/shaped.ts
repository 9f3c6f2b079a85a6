/**
 * The CoCoDA shaped reward `R(τ) = R_res(τ) + λ·R_comp(τ)`, `R_comp(τ) = Σ_i Φ(t_i)` with
 * `Φ(t) = flat(t) − 1` over the calls of τ, and the library-write gate `R_res ≥ ρ`
 * (paper Algorithm 1 lines 22 and 26; hyper-parameters λ = 0.2, ρ = 0.8 from its appendix E).
 */
import { argError } from '../errors.ts';
import { checkFiniteArray, checkOffsets } from './advantages.ts';
import { rewardKernels, type RewardKernels } from './kernels.ts';

export interface ShapedRewardOptions {
  /** Weight of the compositional term; default 0.2. λ = 0 is the paper's "w/o GAR" ablation. */
  lambda?: number;
  /** Library writes need `R_res ≥ rho`; default 0.8. */
  rho?: number;
}

export const REWARD_DEFAULTS: Required<ShapedRewardOptions> = { lambda: 0.2, rho: 0.8 };

export interface ShapedReward {
  rRes: number;
  /** Σ Φ(t_i) over the calls. */
  rComp: number;
  /** rRes + λ·rComp. */
  total: number;
  /** Whether this trajectory may be folded into the library (R_res ≥ ρ); independent of rComp. */
  writeAllowed: boolean;
}

function resolve(o: ShapedRewardOptions | undefined): Required<ShapedRewardOptions> {
  const r = { ...REWARD_DEFAULTS, ...(o ?? {}) };
  if (typeof r.lambda !== 'number' || !Number.isFinite(r.lambda) || r.lambda < 0) throw argError('range', 'lambda', 'a finite number >= 0', r.lambda);
  if (typeof r.rho !== 'number' || !(r.rho >= 0 && r.rho <= 1)) throw argError('range', 'rho', 'a number in [0, 1]', r.rho);
  return r;
}

/** Φ(t) = flat(t) − 1: primitive calls saved by calling t instead of its expansion. */
export function savedCalls(flat: number): number {
  if (!Number.isInteger(flat) || flat < 1) throw argError('range', 'flat', 'a positive integer', flat);
  return flat - 1;
}

/** `R_res ≥ ρ`: the only condition for writing to the library. */
export function passesWriteGate(rRes: number, rho: number = REWARD_DEFAULTS.rho): boolean {
  return rRes >= rho;
}

/**
 * Shaped reward of one trajectory from its verifier score and the flat sizes of the tools it called.
 *
 * @example
 * ```ts
 * // two calls of a composite with flat size 2 and one primitive, answer correct:
 * shapedReward(1, [2, 2, 1]); // { rRes: 1, rComp: 2, total: 1.4, writeAllowed: true }
 * ```
 */
export function shapedReward(rRes: number, callFlats: readonly number[], options?: ShapedRewardOptions): ShapedReward {
  const o = resolve(options);
  if (typeof rRes !== 'number' || !(rRes >= 0 && rRes <= 1)) throw argError('range', 'rRes', 'a number in [0, 1]', rRes);
  let rComp = 0;
  callFlats.forEach((f, i) => {
    if (!Number.isInteger(f) || f < 1) throw argError('range', `callFlats[${i}]`, 'a positive integer', f);
    rComp += f - 1;
  });
  return { rRes, rComp, total: rRes + o.lambda * rComp, writeAllowed: passesWriteGate(rRes, o.rho) };
}

/** A batch of trajectories in CSR form: trajectory i's calls are `callPhi[callOffsets[i] .. callOffsets[i+1])`. */
export interface ShapedRewardBatch {
  rRes: Float64Array;
  callOffsets: Int32Array;
  /** Φ(t) of each call. */
  callPhi: Float64Array;
}

/**
 * Shaped rewards of a batch in one kernel call (native when the addon is loaded).
 *
 * @example
 * ```ts
 * shapedRewards({ rRes: Float64Array.of(1, 0), callOffsets: Int32Array.of(0, 2, 3), callPhi: Float64Array.of(1, 0, 3) });
 * // Float64Array [1.2, 0.6]
 * ```
 */
export function shapedRewards(batch: ShapedRewardBatch, options?: ShapedRewardOptions, kernels: RewardKernels = rewardKernels()): Float64Array {
  const o = resolve(options);
  if (!(batch.rRes instanceof Float64Array)) throw argError('type', 'rRes', 'a Float64Array', batch.rRes);
  if (!(batch.callPhi instanceof Float64Array)) throw argError('type', 'callPhi', 'a Float64Array', batch.callPhi);
  if (!(batch.callOffsets instanceof Int32Array) || batch.callOffsets.length !== batch.rRes.length + 1) {
    throw argError('range', 'callOffsets', `an Int32Array of length rRes.length + 1 (${batch.rRes.length + 1})`, batch.callOffsets?.length);
  }
  checkOffsets('callOffsets', batch.callOffsets, batch.callPhi.length);
  checkFiniteArray('rRes', batch.rRes);
  checkFiniteArray('callPhi', batch.callPhi);
  return kernels.shapedRewards(batch.rRes, batch.callOffsets, batch.callPhi, o.lambda);
}
