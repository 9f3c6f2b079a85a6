/**
 * Scores one trajectory end to end — parse, schema check, execution, verification — into TIER's
 * components and the CoCoDA shaped reward. Bad trajectories (unparseable, unknown tool, wrong
 * arity or types, forward reference, run-time error) never throw: they get a score by component
 * and a `reason`, and `writeAllowed` is false, so they never reach the library.
 */
import type { ToolDag } from '../library/dag.ts';
import { tierReward, type TierReward } from '../reward/tier.ts';
import { REWARD_DEFAULTS } from '../reward/shaped.ts';
import { verifyAnswer } from '../reward/verify.ts';
import type { Trajectory } from './ir.ts';
import { parseTrajectory, type TrajectoryIssue } from './parse.ts';
import { checkSchema, type SchemaReport } from './schema.ts';
import { executeTrajectory, type ExecutionReport } from './execute.ts';
import type { ToolExecutor } from './executor.ts';

export interface ScoreContext {
  dag: ToolDag;
  inputs: Record<string, unknown>;
  /** Gold answer for the verifier. */
  answer: unknown;
  executor: ToolExecutor;
  lambda?: number;
  rho?: number;
}

export interface TrajectoryScore {
  format: boolean;
  formatIssue?: TrajectoryIssue;
  trajectory?: Trajectory;
  schema?: SchemaReport;
  execution?: ExecutionReport;
  executed: boolean;
  /** Verifier score R_res ∈ [0, 1]. */
  rRes: number;
  /** Σ Φ(t_i) over the calls (tools unknown to the library count 0). */
  rComp: number;
  /** T(τ): calls made. */
  calls: number;
  /** T_prim(τ) = Σ flat(t_i): primitive calls in the full expansion. */
  primitiveCalls: number;
  tier: TierReward;
  /** Shaped reward R = R_res + λ·R_comp. */
  reward: number;
  /** R_res ≥ ρ: may be folded into the library. */
  writeAllowed: boolean;
  /** `ok`, or the first problem (code and message). */
  reason: string;
}

/**
 * @example
 * ```ts
 * const s = await scoreTrajectory(jsonText, { dag, inputs: task.inputs, answer: task.answer, executor });
 * s.tier.scaled; s.reward; s.writeAllowed; s.reason; // e.g. 'ERR_TRAJ_UNKNOWN_TOOL: calls[1].tool: no tool "mull" ...'
 * ```
 */
export async function scoreTrajectory(input: unknown, ctx: ScoreContext): Promise<TrajectoryScore> {
  const lambda = ctx.lambda ?? REWARD_DEFAULTS.lambda;
  const rho = ctx.rho ?? REWARD_DEFAULTS.rho;
  const parsed = parseTrajectory(input);
  if (!parsed.ok) {
    const tier = tierReward({ format: false, namesValid: false, paramMismatches: 0, typeMismatches: 0, executed: false, answerCorrect: false });
    return {
      format: false, formatIssue: parsed.issue, executed: false, rRes: 0, rComp: 0, calls: 0, primitiveCalls: 0, tier,
      reward: 0, writeAllowed: false, reason: `${parsed.issue.code}: ${parsed.issue.message}`,
    };
  }
  const traj = parsed.trajectory;
  const schema = checkSchema(traj, ctx.dag, ctx.inputs);
  let rComp = 0;
  let primitiveCalls = 0;
  for (const c of traj.calls) {
    if (ctx.dag.has(c.tool)) {
      rComp += ctx.dag.phi(c.tool);
      primitiveCalls += ctx.dag.flat(c.tool);
    } else primitiveCalls += 1;
  }
  let execution: ExecutionReport | undefined;
  let reason = schema.issues[0] ? `${schema.issues[0].code}: ${schema.issues[0].message}` : 'ok';
  if (schema.namesValid && schema.paramMismatches === 0) {
    execution = await executeTrajectory(traj, ctx.dag, ctx.inputs, ctx.executor);
    if (!execution.ok && reason === 'ok') reason = `ERR_TRAJ_EXEC: ${execution.error}`;
  }
  const executed = execution?.ok === true;
  const rRes = executed ? verifyAnswer(execution!.value, ctx.answer) : 0;
  if (executed && rRes < 1 && reason === 'ok') reason = `ERR_TRAJ_ANSWER: got ${JSON.stringify(execution!.value)}`;
  const tier = tierReward({
    format: true,
    namesValid: schema.namesValid,
    paramMismatches: schema.paramMismatches,
    typeMismatches: schema.typeMismatches,
    executed,
    answerCorrect: rRes === 1,
  });
  return {
    format: true, trajectory: traj, schema, ...(execution ? { execution } : {}), executed, rRes, rComp,
    calls: traj.calls.length, primitiveCalls, tier, reward: rRes + lambda * rComp, writeAllowed: rRes >= rho, reason,
  };
}
