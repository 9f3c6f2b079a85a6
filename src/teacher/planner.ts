/**
 * The teacher planner: solves a task from its gold program, substituting every composite of the
 * current library that covers a sub-program losslessly.
 *
 * A composite covers a sub-program S of a trajectory when its straight-line body (see
 * `patternFromBody`) matches S call for call — same tools, locals wired the same way, parameters
 * bound consistently — and S is closed: every call of S except its sink feeds only calls of S (so
 * nothing outside needs an intermediate value). Replacing S by one call of the composite computes
 * the same value with |S| − 1 fewer calls. Substitution repeats, largest flat size first, until no
 * composite matches, so composites built on composites apply in turn.
 */
import type { ToolDag } from '../library/dag.ts';
import { isInput, isLit, isRef, type Arg, type Trajectory } from '../trajectory/ir.ts';
import { isLocal, isParam, patternFromBody, type Pattern } from './pattern.ts';

export interface LibraryPattern {
  name: string;
  pattern: Pattern;
  flat: number;
}

const cache = new WeakMap<ToolDag, LibraryPattern[]>();

/** Substitutable composites of a library version (straight-line bodies with ≥ 2 calls), largest flat first. */
export function libraryPatterns(dag: ToolDag): LibraryPattern[] {
  let out = cache.get(dag);
  if (out) return out;
  const names = new Set(dag.names());
  out = [];
  for (const rec of dag.records()) {
    if (rec.body === undefined || dag.children(rec.name).length < 2) continue;
    const pattern = patternFromBody(rec.body, names);
    if (pattern && pattern.calls.length >= 2) out.push({ name: rec.name, pattern, flat: dag.flat(rec.name) });
  }
  out.sort((a, b) => b.flat - a.flat || b.pattern.calls.length - a.pattern.calls.length || (a.name < b.name ? -1 : 1));
  cache.set(dag, out);
  return out;
}

export interface PatternMatch {
  /** Trajectory call indices covered, ascending. */
  calls: number[];
  sink: number;
  /** The argument bound to each pattern parameter. */
  bindings: Arg[];
}

const litValue = (a: Arg): unknown => (isLit(a) ? a.lit : a);
const isLiteralArg = (a: Arg): boolean => !isRef(a) && !isInput(a);

function argEqual(a: Arg, b: Arg): boolean {
  if (isRef(a) || isRef(b)) return isRef(a) && isRef(b) && a.ref === b.ref;
  if (isInput(a) || isInput(b)) return isInput(a) && isInput(b) && a.input === b.input;
  return JSON.stringify(litValue(a)) === JSON.stringify(litValue(b));
}

/** Consumers of each call's output (call indices; the answer is `-1`). */
export function consumers(traj: Trajectory): number[][] {
  const out: number[][] = traj.calls.map(() => []);
  traj.calls.forEach((c, i) => c.args.forEach((a) => isRef(a) && out[a.ref]?.push(i)));
  if (isRef(traj.answer)) out[traj.answer.ref]?.push(-1);
  return out;
}

/** Matches `pattern` with its sink at trajectory call `sink`; null unless the match is closed (lossless). */
export function matchAt(traj: Trajectory, pattern: Pattern, sink: number, cons: number[][] = consumers(traj)): PatternMatch | null {
  const localToCall = new Array<number>(pattern.calls.length).fill(-1);
  const callToLocal = new Map<number, number>();
  const bindings = new Array<Arg | undefined>(pattern.params).fill(undefined);
  const rec = (pi: number, ti: number): boolean => {
    if (localToCall[pi] !== -1) return localToCall[pi] === ti;
    if (callToLocal.has(ti)) return false;
    const pc = pattern.calls[pi]!;
    const tc = traj.calls[ti];
    if (!tc || pc.tool !== tc.tool || pc.args.length !== tc.args.length) return false;
    localToCall[pi] = ti;
    callToLocal.set(ti, pi);
    for (let j = 0; j < pc.args.length; j++) {
      const pa = pc.args[j]!;
      const ta = tc.args[j]!;
      if (isLocal(pa)) {
        if (!isRef(ta) || !rec(pa.local, ta.ref)) return false;
      } else if (isParam(pa)) {
        const b = bindings[pa.param];
        if (b === undefined) bindings[pa.param] = ta;
        else if (!argEqual(b, ta)) return false;
      } else if (!isLiteralArg(ta) || JSON.stringify(litValue(ta)) !== JSON.stringify(pa.lit)) return false;
    }
    return true;
  };
  if (!rec(pattern.calls.length - 1, sink)) return null;
  if (localToCall.some((t) => t === -1) || bindings.some((b) => b === undefined)) return null;
  const covered = new Set(localToCall);
  for (const t of covered) {
    if (t === sink) continue;
    if (cons[t]!.some((c) => c === -1 || !covered.has(c))) return null;
  }
  for (const b of bindings) if (isRef(b!) && covered.has(b.ref)) return null;
  return { calls: [...covered].sort((a, b) => a - b), sink, bindings: bindings as Arg[] };
}

/** Replaces the covered calls by one call of `tool` at the sink's position, re-indexing references. */
export function substitute(traj: Trajectory, tool: string, m: PatternMatch): Trajectory {
  const drop = new Set(m.calls.filter((c) => c !== m.sink));
  const newIndex = new Map<number, number>();
  let k = 0;
  traj.calls.forEach((_, i) => {
    if (!drop.has(i)) newIndex.set(i, k++);
  });
  const remap = (a: Arg): Arg => (isRef(a) ? { ref: newIndex.get(a.ref)! } : a);
  const calls = traj.calls.flatMap((c, i) => {
    if (drop.has(i)) return [];
    if (i === m.sink) return [{ tool, args: m.bindings.map(remap) }];
    return [{ tool: c.tool, args: c.args.map(remap) }];
  });
  const answer = isRef(traj.answer) ? { ref: newIndex.get(traj.answer.ref)! } : traj.answer;
  return { calls, answer };
}

export interface Plan {
  trajectory: Trajectory;
  /** Composites substituted, in order. */
  used: string[];
  /**
   * For each call of the plan, the gold call whose output it produces (a substituted composite
   * produces its sink's output): the gold execution's outputs carry over without re-running.
   */
  origin: number[];
}

/**
 * Rewrites a (gold) trajectory with the composites of `dag`, choosing among the possible
 * substitution sequences one with the fewest calls (hence the largest R_comp = T_prim − T): a
 * depth-first search over substitutions, memoised by trajectory, since greedy choices can block a
 * better cover (a large composite eating the call two smaller ones would have shared).
 *
 * @example
 * ```ts
 * const plan = planWithLibrary(task.program, dag);            // any composite of dag
 * const seen = planWithLibrary(task.program, dag, { allow }); // only composites in `allow`
 * plan.trajectory.calls.length; // ≤ task.depth
 * plan.used;                    // e.g. ['mul_mul_add']
 * ```
 */
export function planWithLibrary(gold: Trajectory, dag: ToolDag, opts: { allow?: ReadonlySet<string> } = {}): Plan {
  // `allow`: only these composites may be substituted (e.g. the ones whose cards the planner saw).
  const patterns = opts.allow ? libraryPatterns(dag).filter((p) => opts.allow!.has(p.name)) : libraryPatterns(dag);
  const best = new Map<string, Plan>();
  let budget = 5000;
  const search = (traj: Trajectory, origin: number[]): Plan => {
    const key = JSON.stringify(traj);
    const seen = best.get(key);
    if (seen) return seen;
    let out: Plan = { trajectory: traj, used: [], origin };
    const cons = consumers(traj);
    for (const lp of patterns) {
      const sinkTool = lp.pattern.calls[lp.pattern.calls.length - 1]!.tool;
      for (let s = traj.calls.length - 1; s >= 0; s--) {
        if (traj.calls[s]!.tool !== sinkTool || budget <= 0) continue;
        const m = matchAt(traj, lp.pattern, s, cons);
        if (!m) continue;
        budget--;
        const drop = new Set(m.calls.filter((c) => c !== m.sink));
        const sub = search(substitute(traj, lp.name, m), origin.filter((_, i) => !drop.has(i)));
        if (sub.trajectory.calls.length < out.trajectory.calls.length) out = { trajectory: sub.trajectory, used: [lp.name, ...sub.used], origin: sub.origin };
      }
    }
    best.set(key, out);
    return out;
  };
  return search(gold, gold.calls.map((_, i) => i));
}
