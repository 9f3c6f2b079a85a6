/**
 * Decompositions: the typed sub-goals `[{"signature", "intent"}]` the planner writes before it
 * sees any tool (paper prompt D.3), how the teacher writes them for its demonstrations, and how
 * the runtime reads what the policy wrote (never throwing: a bad decomposition is a reason).
 *
 * The teacher decomposes at the level of the task's primitive steps — one sub-goal per call of
 * the gold program, its signature the static types of that call (`(int, float) -> float`), its
 * intent a short phrase of what the step does. Sub-goals stay the same as the library grows;
 * which tools cover them (a primitive per step, or one composite for several) is retrieval's job.
 *
 * @example
 * ```ts
 * const goals = teacherDecomposition(task.program, dag, task.inputs);
 * const text = formatDecomposition(goals); // '[{"signature":"(int, float) -> float","intent":"multiply two real numbers"}]'
 * parseDecomposition(text); // { ok: true, goals }
 * ```
 */
import type { ToolDag } from '../library/dag.ts';
import type { Trajectory } from '../trajectory/ir.ts';
import { checkSchema } from '../trajectory/schema.ts';
import { printType } from '../types/print.ts';
import type { Type } from '../types/ast.ts';

export interface PlannedSubGoal {
  /** `Tin -> Tout` in the type syntax. */
  signature: string;
  intent: string;
}

export type DecompositionParse =
  | { ok: true; goals: PlannedSubGoal[] }
  | { ok: false; code: 'ERR_DECOMP_JSON' | 'ERR_DECOMP_SHAPE' | 'ERR_DECOMP_EMPTY'; message: string };

/** At most this many sub-goals are read from one decomposition (the rest are ignored). */
export const MAX_SUBGOALS = 12;

/** Reads a decomposition the policy wrote: a JSON list of `{signature, intent}` strings. */
export function parseDecomposition(text: string): DecompositionParse {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, code: 'ERR_DECOMP_JSON', message: `decomposition is not JSON: ${(e as Error).message}` };
  }
  if (!Array.isArray(v)) return { ok: false, code: 'ERR_DECOMP_SHAPE', message: 'decomposition must be a JSON list of {"signature", "intent"}' };
  if (v.length === 0) return { ok: false, code: 'ERR_DECOMP_EMPTY', message: 'decomposition has no sub-goals' };
  const goals: PlannedSubGoal[] = [];
  for (let i = 0; i < Math.min(v.length, MAX_SUBGOALS); i++) {
    const g = v[i] as Record<string, unknown> | null;
    if (typeof g !== 'object' || g === null || Array.isArray(g) || typeof g.signature !== 'string' || typeof g.intent !== 'string') {
      return { ok: false, code: 'ERR_DECOMP_SHAPE', message: `decomposition[${i}] must be {"signature": string, "intent": string}` };
    }
    goals.push({ signature: g.signature, intent: g.intent });
  }
  return { ok: true, goals };
}

/** Compact JSON of a decomposition (the exact text the teacher demonstrates). */
export function formatDecomposition(goals: readonly PlannedSubGoal[]): string {
  return JSON.stringify(goals.map((g) => ({ signature: g.signature, intent: g.intent })));
}

/**
 * A short intent phrase for a tool: the first clause of its description (up to `.`, `,`, `:`,
 * `;` or `(`), lower-cased at the start, at most `maxWords` words.
 */
export function intentOf(description: string, name: string, maxWords = 10): string {
  const first = description.replace(/\s+/g, ' ').trim().split(/[.,:;(]/)[0]!.trim();
  const words = (first || name.replace(/_/g, ' ')).split(' ').slice(0, maxWords);
  const s = words.join(' ');
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function sigText(args: readonly Type[], result: Type): string {
  return `(${args.map(printType).join(', ')}) -> ${printType(result)}`;
}

/**
 * The teacher's decomposition of a (gold) program: one sub-goal per call, its signature the
 * call's static argument and result types over `dag`, its intent {@link intentOf} the callee.
 */
export function teacherDecomposition(program: Trajectory, dag: ToolDag, inputs: Record<string, unknown>): PlannedSubGoal[] {
  const schema = checkSchema(program, dag, inputs);
  return program.calls.map((c, i) => {
    const rec = dag.record(c.tool);
    return { signature: sigText(schema.argTypes[i]!, schema.resultTypes[i]!), intent: intentOf(rec?.description ?? '', c.tool) };
  });
}
