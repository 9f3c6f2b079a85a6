/**
 * Held-out evaluation of planners by composition depth (1–6): accuracy (R_res = 1), calls per
 * solution (over solved tasks), mean invoked depth d(t) of the called tools (over solved tasks),
 * and retrieval tokens per query (what the runtime showed: see src/planner/cards.ts).
 *
 * Planners: a policy (greedy decoding, the CoDA two-turn episode) over a library version, or the
 * teacher (its own decomposition, the same cards, the gold program with the shown composites
 * substituted — the upper bound).
 *
 * @example
 * ```ts
 * const rows = await evaluatePolicy('coevolved', policy, dag, cards, tests, scorer);
 * rows.find((r) => r.depth === 3)?.accuracy;
 * ```
 */
import type { ToolDag } from '../library/dag.ts';
import type { Policy } from '../policy/policy.ts';
import type { CardSource } from '../planner/cards.ts';
import { teacherEpisode } from '../planner/demos.ts';
import { runEpisodes } from '../planner/runner.ts';
import type { Task } from '../tasks/generate.ts';
import { generateTasks } from '../tasks/generate.ts';
import type { TrajectoryScore } from '../trajectory/score.ts';

export type PlannerName = 'sft' | 'coevolved' | 'teacher' | 'primitives';

export interface EvalRow {
  planner: PlannerName;
  depth: number;
  n: number;
  accuracy: number;
  /** Mean calls of the solved tasks' programs (NaN → null in JSON when none solved). */
  callsPerSolution: number;
  /** Mean d(t) over the calls of solved programs. */
  meanInvokedDepth: number;
  /** Mean retrieval tokens per query. */
  tokensPerQuery: number;
  /** Solved tasks whose program calls a composite. */
  compositeUse: number;
}

/** Per-task outcome (for reports and tests). */
export interface EvalCase {
  task: string;
  depth: number;
  solved: boolean;
  calls: number;
  reason: string;
  tokens: number;
}

/** Scores a program text for a task on a library version (the loop passes a batching sandbox scorer). */
export type Scorer = (program: string, task: Task, dag: ToolDag) => Promise<TrajectoryScore>;

/** The held-out test set: `perDepth` tasks at each depth 1–6 (disjoint phrasings, larger ranges). */
export function testSet(seed: number, perDepth: number): Task[] {
  const out: Task[] = [];
  for (let d = 1; d <= 6; d++) out.push(...generateTasks({ seed: seed + 1000 + d, n: perDepth, split: 'test', depth: d }));
  return out;
}

function rows(planner: PlannerName, cases: EvalCase[], invoked: number[][]): EvalRow[] {
  const out: EvalRow[] = [];
  for (let d = 1; d <= 6; d++) {
    const idx = cases.map((c, i) => (c.depth === d ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) continue;
    const solved = idx.filter((i) => cases[i]!.solved);
    const calls = solved.reduce((s, i) => s + cases[i]!.calls, 0);
    const depths = solved.flatMap((i) => invoked[i]!);
    out.push({
      planner,
      depth: d,
      n: idx.length,
      accuracy: solved.length / idx.length,
      callsPerSolution: solved.length ? calls / solved.length : NaN,
      meanInvokedDepth: depths.length ? depths.reduce((a, b) => a + b, 0) / depths.length : NaN,
      tokensPerQuery: idx.reduce((s, i) => s + cases[i]!.tokens, 0) / idx.length,
      compositeUse: solved.filter((i) => invoked[i]!.some((x) => x > 0)).length,
    });
  }
  return out;
}

function invokedDepths(s: TrajectoryScore, dag: ToolDag): number[] {
  return (s.trajectory?.calls ?? []).map((c) => (dag.has(c.tool) ? dag.depth(c.tool) : 0));
}

/** Greedy episodes of `policy` on `tests` over `dag`, scored; per-depth rows and per-task cases. */
export async function evaluatePolicy(
  planner: PlannerName,
  policy: Policy,
  dag: ToolDag,
  source: CardSource,
  tests: readonly Task[],
  score: Scorer,
  opts: { maxDecompositionTokens?: number; maxProgramTokens?: number; batch?: number } = {},
): Promise<{ rows: EvalRow[]; cases: EvalCase[] }> {
  const cases: EvalCase[] = [];
  const invoked: number[][] = [];
  const B = opts.batch ?? 32;
  for (let i = 0; i < tests.length; i += B) {
    const chunk = tests.slice(i, i + B);
    const eps = await runEpisodes(policy, dag, source, chunk, {
      temperature: 0,
      ...(opts.maxDecompositionTokens ? { maxDecompositionTokens: opts.maxDecompositionTokens } : {}),
      ...(opts.maxProgramTokens ? { maxProgramTokens: opts.maxProgramTokens } : {}),
    });
    const scores = await Promise.all(eps.map((e, j) => score(e.programText, chunk[j]!, dag)));
    scores.forEach((s, j) => {
      const e = eps[j]!;
      cases.push({
        task: chunk[j]!.id, depth: chunk[j]!.depth, solved: s.rRes === 1, calls: s.calls,
        reason: e.programError ?? (s.rRes === 1 ? 'ok' : s.reason), tokens: e.shown.tokens,
      });
      invoked.push(invokedDepths(s, dag));
    });
  }
  return { rows: rows(planner, cases, invoked), cases };
}

/** The teacher planner (upper bound) on `tests` over `dag`, with the same cards the policy would get. */
export async function evaluateTeacher(dag: ToolDag, source: CardSource, tests: readonly Task[], score: Scorer): Promise<{ rows: EvalRow[]; cases: EvalCase[] }> {
  const cases: EvalCase[] = [];
  const invoked: number[][] = [];
  const eps = tests.map((t) => teacherEpisode(t, dag, source));
  const scores = await Promise.all(eps.map((e, j) => score(e.programText, tests[j]!, dag)));
  scores.forEach((s, j) => {
    cases.push({ task: tests[j]!.id, depth: tests[j]!.depth, solved: s.rRes === 1, calls: s.calls, reason: s.rRes === 1 ? 'ok' : s.reason, tokens: eps[j]!.shown.tokens });
    invoked.push(invokedDepths(s, dag));
  });
  return { rows: rows('teacher', cases, invoked), cases };
}

/** Accuracy and calls per solution over all rows (weighted by n). */
export function summarize(rs: readonly EvalRow[]): { accuracy: number; callsPerSolution: number; tokensPerQuery: number } {
  const n = rs.reduce((s, r) => s + r.n, 0);
  const solved = rs.reduce((s, r) => s + r.accuracy * r.n, 0);
  const calls = rs.reduce((s, r) => s + (Number.isFinite(r.callsPerSolution) ? r.callsPerSolution * r.accuracy * r.n : 0), 0);
  return {
    accuracy: n ? solved / n : NaN,
    callsPerSolution: solved ? calls / solved : NaN,
    tokensPerQuery: n ? rs.reduce((s, r) => s + r.tokensPerQuery * r.n, 0) / n : NaN,
  };
}
