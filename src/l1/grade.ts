/**
 * Graded L1 (docs/retrieval.md "Graded L1"): type compatibility of a tool with
 * a sub-goal as ordered classes instead of one hard gate. Real tool specs are loosely typed (enums
 * for strings, optional parameters given `None`, untyped results), so a tool that fails exact
 * unification may still be the right one; the class orders how much the types vouch for it.
 *
 * | class | name          | when |
 * |-------|---------------|------|
 * | 0     | exact         | `unifySignature` succeeds and the tool's result is known (or the goal's output is unconstrained: `?` / `any`) |
 * | 1     | coercible     | it succeeds once some inputs (or the output) are coerced (table below); result known or unconstrained |
 * | 2     | unknown       | exact or coercible, but the tool's result is `?` while the goal wants a type |
 * | 3     | incompatible  | the parameter lists do not match (arity, names), or some value cannot be coerced |
 *
 * Coercions of a sub-goal input A for a tool parameter P (each adds its penalty; a class-1/2 tool
 * with less penalty ranks higher within its class):
 *
 * | A                                | P                          | penalty |
 * |----------------------------------|----------------------------|---------|
 * | literal string, equal ignoring case / spaces / `_-` to a literal of the enum | enum | 0.1 |
 * | `none`                           | an optional parameter      | 0.25 |
 * | `str`                            | enum (of strings)          | 0.25 |
 * | numeric (`int`, `float`, `bool`, numeric literals) | another numeric type or numeric enum | 0.25 |
 * | `list[any]`, `list[?]`, `list[T]` with T coercible | `list[P']` (penalty: 0.25 + T's / 2) | ≥ 0.25 |
 * | `any`                            | anything                   | 0.5 |
 * | number or bool                   | `str`                      | 0.5 |
 * | numeric string literal           | numeric type               | 0.5 |
 * | `str`, string literal            | nominal type, `bytes`      | 0.5 |
 * | record sharing a field name, dict | record                   | 0.5 |
 * | record / dict                    | dict                       | 0.5 |
 * | list / tuple                     | tuple / list               | 0.5 |
 * | string literal not in the enum   | enum                       | 0.75 |
 * | `str` or numeric for a numeric / string enum of the other kind | enum | 0.75 |
 * | a value T coercible to P'        | `list[P']` (one value for a list) | 0.75 |
 *
 * An output R of the tool for a goal output B: numeric for numeric 0.25, `any` for anything 0.5,
 * record for record when they share a field name 0.5, record/dict for dict and dict for record 0.5. A literal that is in the enum is not a coercion at all (class 0:
 * `enum["C"] <: enum["C", "F"]`), so it ranks above one that is not.
 *
 * This file is the reference; the L1 index (src/l1/index.ts) computes the same grades through its
 * tries, natively (native/l1_index.cc) or in its TypeScript twin.
 *
 * @example
 * ```ts
 * import { gradeSignature, parseSignature } from 'cocoda';
 * const tool = parseSignature('(unit: enum["celsius", "fahrenheit"], city: str) -> {temp: float}');
 * gradeSignature(parseSignature('(enum["celsius"], str) -> {temp: float}'), tool); // { cls: 0, penalty: 0 }
 * gradeSignature(parseSignature('(str, str) -> {temp: float}'), tool);             // { cls: 1, penalty: 0.25 }
 * gradeSignature(parseSignature('(str) -> float'), tool);                           // { cls: 3, penalty: 0 }
 * ```
 */
import type { Literal, Param, Signature, Type } from '../types/ast.ts';
import { hasTypeVars, isSubtype, joinBase, literalBase } from '../types/subtype.ts';
import { matchParams, unifySignatureDetailed } from '../types/unify.ts';

export const CLASS_EXACT = 0;
export const CLASS_COERCIBLE = 1;
export const CLASS_UNKNOWN = 2;
export const CLASS_INCOMPATIBLE = 3;
export type TypeClass = 0 | 1 | 2 | 3;
export const CLASS_NAMES = ['exact', 'coercible', 'unknown', 'incompatible'] as const;

export interface Grade {
  cls: TypeClass;
  /** Sum of the coercion penalties (0 for exact matches and for incompatible tools). */
  penalty: number;
}

export interface GradeOptions {
  /**
   * Positional sub-goal inputs are unordered (parameter order-free matching): besides the
   * positional matching, each input may feed any parameter — the cheapest assignment of inputs to
   * distinct parameters that covers every required one (so an optional parameter in the middle may
   * be skipped) — and the better grade is kept. Default false.
   */
  unordered?: boolean;
  /** Positional sub-goals with more inputs than this are matched in order only (default 6). */
  maxInputs?: number;
}

const UNK: Type = { kind: 'unknown' };
const INCOMPATIBLE: Grade = { cls: 3, penalty: 0 };

const isBase = (t: Type, name: string): boolean => t.kind === 'base' && t.name === name;
const NUMERIC = new Set(['int', 'float', 'bool']);
/** Base of a non-optional scalar type: its base name, or the join of an enum's literal bases. */
function scalarBase(t: Type): string | null {
  if (t.kind === 'base') return t.name;
  if (t.kind === 'enum') {
    let b = literalBase(t.values[0]!);
    for (const v of t.values) b = joinBase(b, literalBase(v));
    return b;
  }
  return null;
}
const isNumeric = (t: Type): boolean => {
  const b = scalarBase(t);
  return b !== null && NUMERIC.has(b);
};
const isStringy = (t: Type): boolean => scalarBase(t) === 'str';
/** Folds a string for the enum comparison: lower case, spaces / `_` / `-` dropped. */
export function foldLiteral(s: string): string {
  return s.toLowerCase().replace(/[\s_-]+/g, '');
}
/** A numeric string literal (`"10"`, `"-2.5"`), which coerces to a number. */
export const NUMERIC_STRING = /^\s*-?\d+(\.\d+)?\s*$/;
const numericString = (v: Literal): boolean => typeof v === 'string' && NUMERIC_STRING.test(v);

/**
 * Penalty of passing a value of type `a` where the tool expects `p` (`optionalParam`: the
 * parameter may be left out), or `null` when no coercion applies. 0 means `a <: p` already.
 */
export function coercePenalty(a: Type, p: Type, optionalParam = false): number | null {
  if (!hasTypeVars(p) && isSubtype(a, p)) return 0;
  if (p.kind === 'var' || a.kind === 'unknown' || p.kind === 'unknown') return 0;
  if (isBase(a, 'none')) return optionalParam || p.kind === 'optional' ? 0.25 : null;
  if (a.kind === 'optional') return coercePenalty(a.inner, p, optionalParam);
  if (p.kind === 'optional') return coercePenalty(a, p.inner, optionalParam);
  if (isBase(a, 'any')) return 0.5;
  switch (p.kind) {
    case 'enum': {
      const pb = scalarBase(p);
      if (a.kind === 'enum') {
        const folded = new Set(p.values.filter((x) => typeof x === 'string').map((x) => foldLiteral(x as string)));
        if (a.values.every((v) => typeof v === 'string' && folded.has(foldLiteral(v)))) return 0.1;
        const ab = scalarBase(a);
        if (ab === pb || (ab !== null && pb !== null && NUMERIC.has(ab) && NUMERIC.has(pb))) return 0.75;
        if (pb !== null && NUMERIC.has(pb) && a.values.every(numericString)) {
          return a.values.every((v) => p.values.some((x) => typeof x === 'number' && x === Number(v))) ? 0.25 : 0.75;
        }
        return ab === 'str' || (ab !== null && NUMERIC.has(ab)) ? 0.75 : null;
      }
      if (a.kind === 'base') {
        if (a.name === 'str') return pb === 'str' || pb === 'any' ? 0.25 : 0.75;
        if (NUMERIC.has(a.name)) return pb !== null && (NUMERIC.has(pb) || pb === 'any') ? 0.25 : 0.75;
      }
      return null;
    }
    case 'base': {
      const n = p.name;
      if (NUMERIC.has(n)) {
        if (isNumeric(a)) return 0.25;
        if (a.kind === 'enum' && a.values.every(numericString)) return 0.5;
        return null;
      }
      if (n === 'str') {
        if (isNumeric(a)) return 0.5;
        if (a.kind === 'nominal') return 0.5;
        return null;
      }
      if (n === 'bytes') return isStringy(a) ? 0.5 : null;
      if (n === 'DataFrame') return a.kind === 'record' || a.kind === 'list' || a.kind === 'dict' ? 0.5 : null;
      if (n === 'Predicate') return isStringy(a) || a.kind === 'callable' ? 0.5 : null;
      return null;
    }
    case 'nominal':
      return isStringy(a) || a.kind === 'record' ? 0.5 : null;
    case 'list': {
      if (a.kind === 'list') {
        const e = coercePenalty(a.elem, p.elem);
        if (e !== null) return 0.25 + e / 2;
        return null;
      }
      if (a.kind === 'tuple') return 0.5;
      const one = coercePenalty(a, p.elem);
      return one !== null ? 0.75 : null;
    }
    case 'tuple':
      return a.kind === 'list' || a.kind === 'tuple' ? 0.5 : null;
    case 'dict':
      return a.kind === 'record' || a.kind === 'dict' ? 0.5 : null;
    case 'record':
      return a.kind === 'dict' || (a.kind === 'record' && sharesField(a, p)) ? 0.5 : null;
    case 'callable':
      return isStringy(a) ? 0.5 : null;
  }
  return null;
}

/** Whether two records have a field name in common (records with none are different things). */
function sharesField(a: Type & { kind: 'record' }, b: Type & { kind: 'record' }): boolean {
  return a.fields.some((f) => b.fields.some((g) => g.name === f.name));
}

/** Penalty of a tool result `r` for a goal output `b` (0: `r <: b`), or `null`. */
export function coerceResultPenalty(r: Type, b: Type): number | null {
  if (!hasTypeVars(r) && isSubtype(r, b)) return 0;
  if (r.kind === 'var' || r.kind === 'unknown' || b.kind === 'unknown') return 0;
  if (r.kind === 'optional') return coerceResultPenalty(r.inner, b);
  if (b.kind === 'optional') return coerceResultPenalty(r, b.inner);
  if (isBase(r, 'any')) return 0.5;
  if (isNumeric(r) && isNumeric(b)) return 0.25;
  if (r.kind === 'record' && b.kind === 'record') return sharesField(r, b) ? 0.5 : null;
  if ((r.kind === 'record' || r.kind === 'dict') && (b.kind === 'record' || b.kind === 'dict')) return 0.5;
  if (r.kind === 'list' && b.kind === 'list') {
    const e = coerceResultPenalty(r.elem, b.elem);
    return e === null ? null : 0.25 + e / 2;
  }
  return null;
}

/** Whether the goal constrains its output (not `?`, not `any`). */
export function resultConstrained(goal: Signature): boolean {
  return goal.result.kind !== 'unknown' && !isBase(goal.result, 'any');
}

/** Grade for one fixed matching of goal parameters to tool parameters. */
function gradeMatched(goal: Signature, tool: Signature, argMap: number[]): Grade {
  const unknownResult = tool.result.kind === 'unknown' && resultConstrained(goal);
  if (unifySignatureDetailed(goal, { params: permuteTool(tool, argMap, goal), result: tool.result }) !== null) {
    return { cls: unknownResult ? 2 : 0, penalty: 0 };
  }
  // Coerce: every input that is not already a subtype of its parameter must be coercible; coerced
  // inputs become `?` (gradual) and the rest must still unify (type variables stay consistent).
  let penalty = 0;
  const params: Param[] = goal.params.map((gp, i) => {
    const tp = tool.params[argMap[i]!]!;
    const pen = coercePenalty(gp.type, tp.type, tp.optional);
    if (pen === null) {
      penalty = NaN;
      return gp;
    }
    if (pen === 0) return gp;
    penalty += pen;
    return { ...gp, type: UNK, optional: gp.optional && tp.optional };
  });
  if (Number.isNaN(penalty)) return INCOMPATIBLE;
  let result = goal.result;
  const rp = coerceResultPenalty(tool.result, goal.result);
  if (rp === null) return INCOMPATIBLE;
  if (rp > 0) {
    penalty += rp;
    result = UNK;
  }
  const coerced: Signature = { params, result };
  if (unifySignatureDetailed(coerced, { params: permuteTool(tool, argMap, goal), result: tool.result }) === null) return INCOMPATIBLE;
  return { cls: unknownResult ? 2 : penalty > 0 ? 1 : 0, penalty };
}

/**
 * The tool as seen through a parameter matching: for positional goals the identity (argMap[i] = i)
 * needs no change; a permuted matching reorders the tool's first parameters so that position i
 * feeds parameter argMap[i] (named goals match by name and are returned as they are).
 */
function permuteTool(tool: Signature, argMap: number[], goal: Signature): Param[] {
  const named = goal.params.length > 0 && goal.params.every((p) => p.name !== undefined) && tool.params.length > 0 && tool.params.every((p) => p.name !== undefined);
  if (named) return tool.params;
  let identity = true;
  for (let i = 0; i < argMap.length; i++) if (argMap[i] !== i) identity = false;
  if (identity) return tool.params;
  const used = new Set(argMap);
  return [...argMap.map((j) => tool.params[j]!), ...tool.params.filter((_, j) => !used.has(j))];
}

function better(a: Grade, b: Grade): boolean {
  return a.cls < b.cls || (a.cls === b.cls && a.penalty < b.penalty);
}

/**
 * Graded compatibility of `tool` with `goal` (the table in the module comment).
 * @example
 * ```ts
 * gradeSignature(parseSignature('(none) -> ?'), parseSignature('(limit?: int) -> ?')); // { cls: 1, penalty: 0.25 }
 * ```
 */
export function gradeSignature(goal: Signature, tool: Signature, opts: GradeOptions = {}): Grade {
  const maxInputs = opts.maxInputs ?? 6;
  const named = goal.params.length > 0 && goal.params.every((p) => p.name !== undefined);
  const argMap = matchParams(goal, tool);
  let best = argMap ? gradeMatched(goal, tool, argMap) : INCOMPATIBLE;
  if (!opts.unordered || named || goal.params.length === 0 || goal.params.length > maxInputs) return best;
  if (best.cls === 0 && best.penalty === 0) return best;
  // Order-free: the cheapest assignment of inputs to distinct parameters covering the required ones.
  const a = assignInputs(goal, tool);
  if (a && (!argMap || a.some((j, i) => j !== argMap[i]))) {
    const g = gradeMatched(goal, tool, a);
    if (better(g, best)) best = g;
  }
  return best;
}

/** Cost of an input a parameter cannot take (the assignment's "infinity"). */
const NO_FIT = 1e9;
/** Bonus for covering a required parameter: larger than any sum of penalties. */
const REQUIRED = 1e3;

/**
 * The cheapest assignment of the goal's positional inputs to distinct tool parameters (the
 * Hungarian method on `coercePenalty`, minus {@link REQUIRED} for a required parameter), or null
 * when some input fits no parameter or a required parameter stays unfed. native/l1_index.cc
 * (`AssignInputs`) runs the same arithmetic in the same order.
 */
export function assignInputs(goal: Signature, tool: Signature): number[] | null {
  const n = goal.params.length;
  const m = tool.params.length;
  if (n > m || n === 0) return null;
  const cost: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row: number[] = [];
    const g = goal.params[i]!;
    for (let j = 0; j < m; j++) {
      const t = tool.params[j]!;
      const pen = g.optional && !t.optional ? null : coercePenalty(g.type, t.type, t.optional);
      row.push((pen === null ? NO_FIT : pen) - (t.optional ? 0 : REQUIRED));
    }
    cost.push(row);
  }
  const p = hungarian(cost, n, m);
  const out: number[] = new Array(n);
  const covered = new Uint8Array(m);
  for (let j = 0; j < m; j++) {
    if (p[j + 1]! === 0) continue;
    const i = p[j + 1]! - 1;
    if (cost[i]![j]! + (tool.params[j]!.optional ? 0 : REQUIRED) >= NO_FIT / 2) return null;
    out[i] = j;
    covered[j] = 1;
  }
  for (let j = 0; j < m; j++) if (!covered[j] && !tool.params[j]!.optional) return null;
  return out;
}

/**
 * Minimum-cost assignment of rows 1..n to distinct columns 1..m (n ≤ m), the classic O(n²m)
 * Hungarian method with potentials; returns `p` with p[j] = the row assigned to column j (0: none).
 */
function hungarian(a: number[][], n: number, m: number): Int32Array {
  const INF = Number.MAX_VALUE;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(INF);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = INF;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = a[i0 - 1]![j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  return p;
}
