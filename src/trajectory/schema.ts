/**
 * Schema adherence of a parsed trajectory against one library version (TIER's R_parse): tool
 * names, arity and argument types, via the type language.
 *
 * * Name: every called tool exists in the library; an unknown name makes the sequence unverifiable.
 * * Parameter mismatches: per call, |missing required| + |surplus| arguments; an `{"input": x}`
 *   naming no query input counts as one.
 * * Type mismatches: the call's argument types (literals and inputs typed from their values, refs
 *   from the earlier call's result type) must unify with the tool's signature
 *   (`unifySignatureDetailed`); when they do not, each argument that is not a subtype of its
 *   parameter (type variables read as `?`) counts one (at least one per failing call). A result
 *   typed `any` flows on as `?` (checked at run time rather than rejected statically).
 */
import type { ToolDag } from '../library/dag.ts';
import { parseSignature } from '../types/parse.ts';
import { applySubstitution, unifySignatureDetailed } from '../types/unify.ts';
import { isSubtype } from '../types/subtype.ts';
import { printType } from '../types/print.ts';
import type { Signature, Type } from '../types/ast.ts';
import { isInput, isLit, isRef, type Arg, type Trajectory } from './ir.ts';
import type { TrajectoryIssue } from './parse.ts';

export interface SchemaReport {
  namesValid: boolean;
  unknownTools: string[];
  paramMismatches: number;
  typeMismatches: number;
  /** One entry per problem, with its path. */
  issues: TrajectoryIssue[];
  /** Static result type of each call (`?` where unknown). */
  resultTypes: Type[];
  /** Static type of each argument of each call. */
  argTypes: Type[][];
}

const UNKNOWN: Type = { kind: 'unknown' };
const base = (name: 'int' | 'float' | 'bool' | 'str' | 'none' | 'DataFrame' | 'Predicate' | 'any'): Type => ({ kind: 'base', name });

const isRow = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A plain-data predicate of src/primitives: `{col, op, value}`, or `{and: [...]}`, `{or: [...]}`, `{not: p}` of them. */
export function isPredicate(o: unknown, depth = 0): boolean {
  if (typeof o !== 'object' || o === null || Array.isArray(o) || depth > 16) return false;
  const r = o as Record<string, unknown>;
  const keys = Object.keys(r).sort().join(',');
  if (keys === 'col,op,value') return typeof r.col === 'string' && typeof r.op === 'string';
  if (keys === 'and' || keys === 'or') return Array.isArray(r[keys]) && (r[keys] as unknown[]).every((q) => isPredicate(q, depth + 1));
  if (keys === 'not') return isPredicate(r.not, depth + 1);
  return false;
}

/** The type of a plain JSON value: numbers int/float, arrays of row objects DataFrame, predicates Predicate. */
export function typeOfValue(v: unknown, depth = 0): Type {
  if (v === null || v === undefined) return base('none');
  if (typeof v === 'boolean') return base('bool');
  if (typeof v === 'number') return base(Number.isInteger(v) ? 'int' : 'float');
  if (typeof v === 'string') return base('str');
  if (depth > 8) return UNKNOWN;
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every(isRow)) return base('DataFrame');
    if (v.length === 0) return { kind: 'list', elem: UNKNOWN };
    let elem = typeOfValue(v[0], depth + 1);
    for (const x of v.slice(1)) {
      const t = typeOfValue(x, depth + 1);
      if (isSubtype(elem, t)) elem = t;
      else if (!isSubtype(t, elem)) return { kind: 'list', elem: base('any') };
    }
    return { kind: 'list', elem };
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (isPredicate(o)) return base('Predicate');
    return { kind: 'record', fields: keys.sort().map((name) => ({ name, type: typeOfValue(o[name], depth + 1), optional: false })) };
  }
  return UNKNOWN;
}

/** Replaces `any` and type variables by `?`: dynamically typed positions are checked at run time. */
function gradual(t: Type): Type {
  switch (t.kind) {
    case 'base':
      return t.name === 'any' ? UNKNOWN : t;
    case 'var':
      return UNKNOWN;
    case 'list':
      return { kind: 'list', elem: gradual(t.elem) };
    case 'optional':
      return { kind: 'optional', inner: gradual(t.inner) };
    case 'dict':
      return { kind: 'dict', key: gradual(t.key), value: gradual(t.value) };
    case 'tuple':
      return { kind: 'tuple', elems: t.elems.map(gradual) };
    default:
      return t;
  }
}

const sigCache = new WeakMap<ToolDag, Map<string, Signature>>();
/** Parsed signature of a library tool (cached per version). */
export function toolSignature(dag: ToolDag, name: string): Signature | undefined {
  let m = sigCache.get(dag);
  if (!m) sigCache.set(dag, (m = new Map()));
  let s = m.get(name);
  if (!s) {
    const rec = dag.record(name);
    if (!rec) return undefined;
    s = parseSignature(rec.signature, { registry: dag.typeRegistry() });
    m.set(name, s);
  }
  return s;
}

/**
 * Checks a parsed trajectory against a library version and the query's inputs. Never throws for
 * trajectory problems; they are counted and listed.
 *
 * @example
 * ```ts
 * const rep = checkSchema(traj, dag, { qa: 3, pa: 4 });
 * rep.namesValid; rep.paramMismatches; rep.typeMismatches; rep.issues[0]?.path;
 * ```
 */
export function checkSchema(traj: Trajectory, dag: ToolDag, inputs: Record<string, unknown>): SchemaReport {
  const rep: SchemaReport = { namesValid: true, unknownTools: [], paramMismatches: 0, typeMismatches: 0, issues: [], resultTypes: [], argTypes: [] };
  const argType = (a: Arg, path: string): Type => {
    if (isRef(a)) return rep.resultTypes[a.ref] ?? UNKNOWN;
    if (isInput(a)) {
      if (!Object.prototype.hasOwnProperty.call(inputs, a.input)) {
        rep.paramMismatches++;
        rep.issues.push({ code: 'ERR_TRAJ_UNKNOWN_INPUT', path, message: `${path}: the query has no input "${a.input}"` });
        return UNKNOWN;
      }
      return typeOfValue(inputs[a.input]);
    }
    if (isLit(a)) return typeOfValue(a.lit);
    return typeOfValue(a);
  };
  traj.calls.forEach((call, i) => {
    const p = `calls[${i}]`;
    const types = call.args.map((a, j) => argType(a, `${p}.args[${j}]`));
    rep.argTypes.push(types);
    const sig = dag.has(call.tool) ? toolSignature(dag, call.tool) : undefined;
    if (!sig) {
      rep.namesValid = false;
      rep.unknownTools.push(call.tool);
      rep.issues.push({ code: 'ERR_TRAJ_UNKNOWN_TOOL', path: `${p}.tool`, message: `${p}.tool: no tool "${call.tool}" in library version ${dag.version}` });
      rep.resultTypes.push(UNKNOWN);
      return;
    }
    const required = sig.params.filter((q) => !q.optional).length;
    const n = types.length;
    if (n < required || n > sig.params.length) {
      const miss = n < required ? required - n : n - sig.params.length;
      rep.paramMismatches += miss;
      const want = required === sig.params.length ? `${required}` : `${required}–${sig.params.length}`;
      rep.issues.push({ code: 'ERR_TRAJ_ARITY', path: `${p}.args`, message: `${p}.args: "${call.tool}" takes ${want} argument(s), got ${n}` });
      rep.resultTypes.push(gradual(sig.result));
      return;
    }
    const goal: Signature = { params: types.map((type) => ({ type, optional: false })), result: UNKNOWN };
    const u = unifySignatureDetailed(goal, sig);
    if (u) {
      rep.resultTypes.push(gradual(applySubstitution(sig.result, u.subst)));
      return;
    }
    let bad = 0;
    types.forEach((t, j) => {
      const want = gradual(sig.params[j]!.type);
      if (!isSubtype(t, want)) {
        bad++;
        rep.issues.push({ code: 'ERR_TRAJ_TYPE', path: `${p}.args[${j}]`, message: `${p}.args[${j}]: "${call.tool}" parameter ${j + 1} expects ${printType(sig.params[j]!.type)}, got ${printType(t)}` });
      }
    });
    if (bad === 0) {
      bad = 1;
      rep.issues.push({ code: 'ERR_TRAJ_TYPE', path: `${p}.args`, message: `${p}.args: argument types do not unify with the signature of "${call.tool}"` });
    }
    rep.typeMismatches += bad;
    rep.resultTypes.push(gradual(sig.result));
  });
  return rep;
}
