/**
 * The L3 and L4 stages of the cascade as interfaces, with the embedded defaults (no network).
 *
 * * L3 {@link ContractChecker}: hard accept/reject from what the sub-goal knows. With argument
 *   values: every value must fit its parameter's type (enums by membership, `int` by integrality,
 *   records field by field), every required parameter must be supplied, and the tool's executable
 *   pre-/post-condition must hold when it was run in the exec sandbox (`Retriever.retrieveAsync`)
 *   or a sync evaluator is plugged in. Without values the types already matched at L1, so only
 *   contracts that are false for every input (`false`) reject.
 * * L4 {@link ExampleReranker}: +1 when the tool's output type is known (the L1 match of the output
 *   was checked, not assumed through the gradual `?`); then scores its worked examples: the
 *   fraction of examples whose arguments fit the sub-goal's input types and whose result fits its
 *   output type, plus the overlap between example values and the intent's words; with argument
 *   values, the sandbox run (or a plugged-in executor) scores +1 when the result fits the output
 *   type, −0.5 when it does not, −1 when the body throws. The L4 score is added to the normalised
 *   L2 score.
 */
import type { Param, Signature, Type } from '../types/ast.ts';
import type { ToolRecord } from '../library/record.ts';
import type { Corpus } from './corpus.ts';
import { terms } from './text.ts';
import type { L3Checker, L3Verdict, L4Reranker, ResolvedGoal, RunOutcome } from './rankers.ts';

export type { ResolvedGoal, L3Verdict, RunOutcome, L3Checker, L4Reranker } from './rankers.ts';

/**
 * Positional arguments for tool `tool` from the goal's values (by name when both are named, else
 * by position); `null` when a value is missing before the last given one (cannot be passed).
 */
export function argsFor(tool: Signature, goal: ResolvedGoal): unknown[] | null {
  if (!goal.args && !goal.namedArgs) return null;
  const bound = bindArgs(tool, goal);
  let last = -1;
  bound.forEach((b, i) => {
    if (b.given) last = i;
  });
  const out: unknown[] = [];
  for (let i = 0; i <= last; i++) {
    if (!bound[i]!.given) return null;
    out.push(bound[i]!.v);
  }
  return out;
}

/**
 * Evaluates a tool's pre-condition on named arguments, or runs its body (for L4). Plugged in from
 * the exec sandbox; `undefined` means "cannot evaluate" (no body, no sandbox).
 */
export interface ContractEvaluator {
  pre?(record: ToolRecord, named: Record<string, unknown>): boolean | undefined;
  run?(record: ToolRecord, args: readonly unknown[]): { ok: true; value: unknown } | { ok: false } | undefined;
}

/** Does a JSON value fit a type? Unknown, `any` and type variables accept everything. */
export function valueFits(v: unknown, t: Type): boolean {
  switch (t.kind) {
    case 'unknown':
    case 'var':
      return true;
    case 'base':
      switch (t.name) {
        case 'any':
          return true;
        case 'int':
          return typeof v === 'number' && Number.isInteger(v);
        case 'float':
          return typeof v === 'number';
        case 'bool':
          return typeof v === 'boolean';
        case 'str':
          return typeof v === 'string';
        case 'none':
          return v === null || v === undefined;
        case 'bytes':
          return v instanceof Uint8Array || typeof v === 'string';
        case 'DataFrame':
          return typeof v === 'object' && v !== null;
        case 'Predicate':
          return typeof v === 'function' || typeof v === 'string';
      }
      return true;
    case 'nominal':
      return v !== undefined;
    case 'optional':
      return v === null || v === undefined || valueFits(v, t.inner);
    case 'list':
      return Array.isArray(v) && v.every((x) => valueFits(x, t.elem));
    case 'tuple':
      return Array.isArray(v) && v.length === t.elems.length && t.elems.every((e, i) => valueFits(v[i], e));
    case 'dict':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => valueFits(x, t.value));
    case 'record': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
      const o = v as Record<string, unknown>;
      return t.fields.every((f) => (o[f.name] === undefined ? f.optional : valueFits(o[f.name], f.type)));
    }
    case 'enum':
      return t.values.some((x) => x === v);
    case 'callable':
      return typeof v === 'function' || typeof v === 'string';
  }
}

/** Maps goal argument values onto the tool's parameters (by name when both are named, else by position). */
function bindArgs(tool: Signature, goal: ResolvedGoal): Array<{ p: Param; v: unknown; given: boolean }> {
  const named = goal.namedArgs;
  const toolNamed = tool.params.length > 0 && tool.params.every((p) => p.name !== undefined);
  return tool.params.map((p, i) => {
    if (named && toolNamed && p.name !== undefined && Object.prototype.hasOwnProperty.call(named, p.name)) {
      return { p, v: named[p.name], given: true };
    }
    const pos = goal.args;
    if (pos && i < pos.length && pos[i] !== undefined) return { p, v: pos[i], given: true };
    return { p, v: undefined, given: false };
  });
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

/** The embedded L3 stage (see the module comment). */
export class ContractChecker implements L3Checker {
  constructor(private readonly evaluator: ContractEvaluator = {}) {}

  check(corpus: Corpus, v: number, tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): L3Verdict {
    const r = corpus.records[v]!;
    if (r.pre.trim() === 'false') return { ok: false, reason: 'pre-condition is false' };
    if (run?.violation) return { ok: false, reason: `${run.violation.kind}-condition fails in the sandbox: ${run.violation.message}` };
    if (!tool || (!goal.args && !goal.namedArgs)) return { ok: true };
    const bound = bindArgs(tool, goal);
    const named: Record<string, unknown> = {};
    for (const b of bound) {
      const label = b.p.name ?? `#${tool.params.indexOf(b.p)}`;
      if (!b.given) {
        if (!b.p.optional) return { ok: false, reason: `${label}: required argument not supplied` };
        continue;
      }
      if (!valueFits(b.v, b.p.type)) return { ok: false, reason: `${label}: ${show(b.v)} does not fit the parameter type` };
      if (b.p.name !== undefined) named[b.p.name] = b.v;
    }
    if (r.pre.trim() !== '' && this.evaluator.pre) {
      const ok = this.evaluator.pre(r, named);
      if (ok === false) return { ok: false, reason: `pre-condition fails: ${r.pre}` };
    }
    return { ok: true };
  }
}

/** The embedded L4 stage (see the module comment). */
export class ExampleReranker implements L4Reranker {
  /**
   * @param certifiedBonus added when the tool's output type is known and the sub-goal's is too
   *   (a checked match beats a gradual one); 0 turns it off.
   */
  constructor(
    private readonly evaluator: ContractEvaluator = {},
    private readonly certifiedBonus = 1,
  ) {}

  score(corpus: Corpus, v: number, tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): number {
    const r = corpus.records[v]!;
    let s = 0;
    // Certified output: the tool's result type is known (not the gradual `?`), so L1's match of the
    // output was checked rather than assumed.
    if (tool && this.certifiedBonus !== 0 && tool.result.kind !== 'unknown' && goal.signature.result.kind !== 'unknown') s += this.certifiedBonus;
    if (r.examples.length > 0) {
      const g = goal.signature;
      let fit = 0;
      for (const e of r.examples) {
        const argsFit = g.params.every((p, i) => i >= e.args.length ? p.optional : valueFits(e.args[i], p.type));
        if (argsFit && valueFits(e.result, g.result)) fit++;
      }
      s += fit / r.examples.length;
      const want = new Set(terms(goal.intent));
      if (want.size > 0) {
        const got = new Set(terms(r.examples.map((e) => `${e.args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')} ${JSON.stringify(e.result)}`).join(' ')));
        let hit = 0;
        for (const w of want) if (got.has(w)) hit++;
        s += hit / want.size;
      }
    }
    if (run) {
      if (run.ok) s += valueFits(run.value, goal.signature.result) ? 1 : -0.5;
      else if (!run.violation && run.code !== 'ERR_NO_BODY') s -= 1;
    } else if (goal.args && tool && this.evaluator.run) {
      const out = this.evaluator.run(r, goal.args);
      if (out?.ok === true) s += valueFits(out.value, goal.signature.result) ? 1 : -0.5;
      else if (out?.ok === false) s -= 1;
    }
    return s;
  }
}
