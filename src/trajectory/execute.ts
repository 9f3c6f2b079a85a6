/**
 * Executes a parsed trajectory call by call through a {@link ToolExecutor}, resolving references
 * to earlier outputs and query inputs. Stops at the first failing call (TIER's R_exec is
 * all-or-nothing: later calls depend on the broken output) and reports which call failed and why.
 */
import type { ToolDag } from '../library/dag.ts';
import { isInput, isLit, isRef, type Arg, type Trajectory } from './ir.ts';
import type { CallTrace, ToolExecutor } from './executor.ts';

export interface ExecutionReport {
  ok: boolean;
  /** The answer value when ok. */
  value?: unknown;
  /** Index of the failing call, or -1 when the answer reference itself is bad. */
  failedCall?: number;
  error?: string;
  /** The failing call's code (`ERR_EXEC_THROW` …), when its executor reported one. */
  code?: string;
  /** Output of each call that ran. */
  outputs: unknown[];
  /** One trace per top-level call that ran (nested for composites). */
  trace: CallTrace[];
}

function resolveArg(a: Arg, outputs: unknown[], inputs: Record<string, unknown>): { ok: true; v: unknown } | { ok: false; why: string } {
  if (isRef(a)) return a.ref < outputs.length ? { ok: true, v: outputs[a.ref] } : { ok: false, why: `reference to call ${a.ref}, which has not run` };
  if (isInput(a)) return Object.prototype.hasOwnProperty.call(inputs, a.input) ? { ok: true, v: inputs[a.input] } : { ok: false, why: `no query input "${a.input}"` };
  if (isLit(a)) return { ok: true, v: a.lit };
  return { ok: true, v: a };
}

/**
 * @example
 * ```ts
 * const rep = await executeTrajectory(traj, dag, task.inputs, new VmExecutor());
 * if (rep.ok) verifyAnswer(rep.value, task.answer); else console.log(rep.failedCall, rep.error);
 * ```
 */
export async function executeTrajectory(traj: Trajectory, dag: ToolDag, inputs: Record<string, unknown>, executor: ToolExecutor): Promise<ExecutionReport> {
  const outputs: unknown[] = [];
  const trace: CallTrace[] = [];
  for (let i = 0; i < traj.calls.length; i++) {
    const call = traj.calls[i]!;
    const args: unknown[] = [];
    for (let j = 0; j < call.args.length; j++) {
      const r = resolveArg(call.args[j]!, outputs, inputs);
      if (!r.ok) return { ok: false, failedCall: i, error: `calls[${i}].args[${j}]: ${r.why}`, outputs, trace };
      args.push(r.v);
    }
    const res = await executor.call(dag, call.tool, args);
    trace.push(res.trace);
    if (!res.ok) return { ok: false, failedCall: i, error: `calls[${i}] (${call.tool}): ${res.error ?? 'failed'}`, ...(res.code ? { code: res.code } : {}), outputs, trace };
    outputs.push(res.value);
  }
  const ans = resolveArg(traj.answer, outputs, inputs);
  if (!ans.ok) return { ok: false, failedCall: -1, error: `answer: ${ans.why}`, outputs, trace };
  return { ok: true, value: ans.v, outputs, trace };
}
