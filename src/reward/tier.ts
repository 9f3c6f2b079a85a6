/**
 * TIER's decomposed reward (TIER §2.2): `R_total = R_format + R_parse + R_exec + R_answer`, scaled
 * to [0, 1] by its maximum 10:
 * * `R_format ∈ {0,1}`: the trajectory parses; if not, every other component is 0.
 * * `R_parse = R_name + R_param + R_dtype ∈ [0,3]`; `R_name ∈ {0,1}` and an invalid tool name zeroes
 *   the whole of `R_parse`; `R_param = clip(1 − λ_p·p_param, 0, 1)`, `R_dtype = clip(1 − λ_p·p_dtype, 0, 1)`
 *   with p the mismatch counts summed over all calls and `λ_p = 0.25`.
 * * `R_exec ∈ {0,1}`: every call ran without error.
 * * `R_answer ∈ {0,5}`: 5 iff the final answer is correct (needs a successful execution).
 */
import { argError } from '../errors.ts';

export interface TierInput {
  /** The trajectory parsed. */
  format: boolean;
  /** Every tool name exists in the library. */
  namesValid: boolean;
  /** Arity / argument-shape mismatches summed over calls. */
  paramMismatches: number;
  /** Type mismatches summed over calls. */
  typeMismatches: number;
  /** Every call executed successfully. */
  executed: boolean;
  /** The final answer matches (verifier). */
  answerCorrect: boolean;
}

export interface TierReward {
  format: number;
  name: number;
  param: number;
  dtype: number;
  /** name + param + dtype. */
  parse: number;
  exec: number;
  answer: number;
  /** Sum of the components, in [0, 10]. */
  raw: number;
  /** raw / 10, in [0, 1]. */
  scaled: number;
}

/** TIER's mismatch coefficient λ_p. */
export const TIER_LAMBDA_P = 0.25;
/** Maximum of the raw TIER sum: 1 (format) + 3 (parse) + 1 (exec) + 5 (answer). */
export const TIER_MAX = 10;

const clip01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * @example
 * ```ts
 * tierReward({ format: true, namesValid: true, paramMismatches: 1, typeMismatches: 0, executed: false, answerCorrect: false });
 * // { format: 1, name: 1, param: 0.75, dtype: 1, parse: 2.75, exec: 0, answer: 0, raw: 3.75, scaled: 0.375 }
 * ```
 */
export function tierReward(input: TierInput, lambdaP: number = TIER_LAMBDA_P): TierReward {
  for (const k of ['paramMismatches', 'typeMismatches'] as const) {
    const v = input[k];
    if (!Number.isInteger(v) || v < 0) throw argError('range', k, 'a non-negative integer', v);
  }
  if (!Number.isFinite(lambdaP) || lambdaP < 0) throw argError('range', 'lambdaP', 'a finite number >= 0', lambdaP);
  const zero: TierReward = { format: 0, name: 0, param: 0, dtype: 0, parse: 0, exec: 0, answer: 0, raw: 0, scaled: 0 };
  if (!input.format) return zero;
  const name = input.namesValid ? 1 : 0;
  const param = name ? clip01(1 - lambdaP * input.paramMismatches) : 0;
  const dtype = name ? clip01(1 - lambdaP * input.typeMismatches) : 0;
  const parse = name + param + dtype;
  const exec = input.executed ? 1 : 0;
  const answer = input.executed && input.answerCorrect ? 5 : 0;
  const raw = 1 + parse + exec + answer;
  return { format: 1, name, param, dtype, parse, exec, answer, raw, scaled: raw / TIER_MAX };
}
