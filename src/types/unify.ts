/**
 * Unification of a sub-goal with a tool signature (docs/types.md).
 *
 * A sub-goal `(A1..An) -> B` unifies with a tool `(P1..Pm) -> R` iff its parameters match the
 * tool's (by name or by position, below) and some substitution σ of the tool's type variables
 * gives `Ai <: σ(Pi)` for every matched pair and `σ(R) <: B`.
 *
 * * Parameter matching. A sub-goal is *named* when it has parameters and every one is named; so is
 *   a tool. Named sub-goal + named tool: every sub-goal name must be a tool parameter, every
 *   required tool parameter must be named, optional ones may be left out. Otherwise positional:
 *   the sub-goal supplies the first n tool parameters in order and every tool parameter after
 *   them must be optional (n = m, the "equal arity", is the common case; a named sub-goal
 *   meeting an unnamed tool such as `(float, float) -> float` is matched by position). A sub-goal
 *   parameter marked optional only matches an optional tool parameter.
 * * Variables. The tool's variables are flexible; the sub-goal's are rigid (they behave like
 *   opaque types). The two namespaces never mix, so both sides may use `'a`. Each flexible variable
 *   collects lower bounds (from positions where the sub-goal's type flows in) and upper bounds;
 *   it is bound to the join of its lower bounds (so `('a, 'a) -> 'a` serves
 *   `(int, float) -> float` with 'a = float, and `(int, str) -> any` with 'a = any, but not
 *   `(int, str) -> int`), or, with only upper bounds, to their meet; the choice is then checked
 *   against every bound. σ never maps a variable to a bare `?`: a bound that is `?` is dropped.
 * * `?` (unknown, e.g. a schema without `returns`) is gradual and unifies both ways.
 *
 * @example
 * ```ts
 * import { parseSignature, unifySignature } from 'cocoda';
 * const tool = parseSignature("(xs: list['a]) -> 'a");
 * unifySignature(parseSignature('(list[int]) -> float'), tool); // { a: { kind: 'base', name: 'int' } }
 * unifySignature(parseSignature('(list[str]) -> float'), tool); // null
 * ```
 */
import type { Param, Signature, Type } from './ast.ts';
import { argError } from '../errors.ts';
import { hasTypeVars, isSubtype, joinTypes, meetTypes, NONE } from './subtype.ts';

/** Bindings of a tool's type variables; variables left unconstrained are absent. */
export type Substitution = Record<string, Type>;

export interface Unifier {
  subst: Substitution;
  /** For each sub-goal parameter, the index of the tool parameter it feeds. */
  argMap: number[];
}

const isNamed = (params: readonly Param[]): boolean => params.length > 0 && params.every((p) => p.name !== undefined);

/**
 * Which tool parameter each sub-goal parameter feeds, or null when the parameter lists do not
 * match (rules above). Types are not looked at.
 */
export function matchParams(goal: Signature, tool: Signature): number[] | null {
  const g = goal.params;
  const t = tool.params;
  if (isNamed(g) && isNamed(t)) {
    const index = new Map<string, number>();
    t.forEach((p, i) => index.set(p.name!, i));
    const argMap: number[] = [];
    const covered = new Uint8Array(t.length);
    for (const p of g) {
      const j = index.get(p.name!);
      if (j === undefined || covered[j]) return null;
      if (p.optional && !t[j]!.optional) return null;
      covered[j] = 1;
      argMap.push(j);
    }
    for (let j = 0; j < t.length; j++) if (!covered[j] && !t[j]!.optional) return null;
    return argMap;
  }
  if (g.length > t.length) return null;
  for (let j = g.length; j < t.length; j++) if (!t[j]!.optional) return null;
  const argMap: number[] = [];
  for (let i = 0; i < g.length; i++) {
    if (g[i]!.optional && !t[i]!.optional) return null;
    argMap.push(i);
  }
  return argMap;
}

interface Bounds {
  lo: Type[];
  hi: Type[];
}

class Constraints {
  readonly vars = new Map<string, Bounds>();
  private get(name: string): Bounds {
    let b = this.vars.get(name);
    if (!b) this.vars.set(name, (b = { lo: [], hi: [] }));
    return b;
  }

  /** Records what `a <: σ(p)` demands; false when it cannot hold for any σ. */
  lower(a: Type, p: Type): boolean {
    if (p.kind === 'var') {
      const b = this.get(p.name);
      if (a.kind !== 'unknown') b.lo.push(a);
      return true;
    }
    if (!hasTypeVars(p)) return isSubtype(a, p);
    if (a.kind === 'unknown') return true;
    if (a.kind === 'optional') return this.lower(NONE, p) && this.lower(a.inner, p);
    if (p.kind === 'optional') {
      if (a.kind === 'base' && a.name === 'none') return true;
      return this.lower(a, p.inner);
    }
    switch (p.kind) {
      case 'list':
        return a.kind === 'list' && this.lower(a.elem, p.elem);
      case 'dict':
        return a.kind === 'dict' && this.lower(a.key, p.key) && this.upper(p.key, a.key) && this.lower(a.value, p.value);
      case 'tuple':
        return a.kind === 'tuple' && a.elems.length === p.elems.length && a.elems.every((e, i) => this.lower(e, p.elems[i]!));
      case 'record': {
        if (a.kind !== 'record') return false;
        for (const pf of p.fields) {
          const af = a.fields.find((f) => f.name === pf.name);
          if (!af) {
            if (!pf.optional) return false;
            continue;
          }
          if (af.optional && !pf.optional) return false;
          if (!this.lower(af.type, pf.type)) return false;
        }
        return true;
      }
      case 'callable':
        return (
          a.kind === 'callable' &&
          a.params.length === p.params.length &&
          p.params.every((pp, i) => this.upper(pp, a.params[i]!)) &&
          this.lower(a.result, p.result)
        );
      default:
        return false;
    }
  }

  /** Records what `σ(p) <: b` demands; false when it cannot hold for any σ. */
  upper(p: Type, b: Type): boolean {
    if (p.kind === 'var') {
      const bd = this.get(p.name);
      if (b.kind !== 'unknown' && !(b.kind === 'base' && b.name === 'any')) bd.hi.push(b);
      return true;
    }
    if (!hasTypeVars(p)) return isSubtype(p, b);
    if (b.kind === 'unknown' || (b.kind === 'base' && b.name === 'any')) return true;
    if (p.kind === 'optional') return isSubtype(NONE, b) && this.upper(p.inner, b);
    if (b.kind === 'optional') return this.upper(p, b.inner);
    switch (p.kind) {
      case 'list':
        return b.kind === 'list' && this.upper(p.elem, b.elem);
      case 'dict':
        return b.kind === 'dict' && this.upper(p.key, b.key) && this.lower(b.key, p.key) && this.upper(p.value, b.value);
      case 'tuple':
        return b.kind === 'tuple' && b.elems.length === p.elems.length && p.elems.every((e, i) => this.upper(e, b.elems[i]!));
      case 'record': {
        if (b.kind !== 'record') return false;
        for (const bf of b.fields) {
          const pf = p.fields.find((f) => f.name === bf.name);
          if (!pf) {
            if (!bf.optional) return false;
            continue;
          }
          if (pf.optional && !bf.optional) return false;
          if (!this.upper(pf.type, bf.type)) return false;
        }
        return true;
      }
      case 'callable':
        return (
          b.kind === 'callable' &&
          b.params.length === p.params.length &&
          p.params.every((pp, i) => this.lower(b.params[i]!, pp)) &&
          this.upper(p.result, b.result)
        );
      default:
        return false;
    }
  }

  solve(): Substitution | null {
    const subst: Substitution = {};
    for (const [name, { lo, hi }] of this.vars) {
      let s: Type | null;
      if (lo.length > 0) {
        s = lo[0]!;
        for (let i = 1; i < lo.length; i++) s = joinTypes(s, lo[i]!);
      } else if (hi.length > 0) {
        s = hi[0]!;
        for (let i = 1; i < hi.length && s; i++) s = meetTypes(s, hi[i]!);
        if (!s) return null;
      } else continue;
      for (const l of lo) if (!isSubtype(l, s)) return null;
      for (const h of hi) if (!isSubtype(s, h)) return null;
      subst[name] = s;
    }
    return subst;
  }
}

function checkSignature(name: string, s: unknown): Signature {
  if (!s || typeof s !== 'object' || !Array.isArray((s as Signature).params) || !(s as Signature).result) {
    throw argError('type', name, 'a Signature ({ params, result }) — parse text with parseSignature', s);
  }
  return s as Signature;
}

/** Like {@link unifySignature} but also reports which tool parameter each sub-goal parameter feeds. */
export function unifySignatureDetailed(subgoal: Signature, tool: Signature): Unifier | null {
  checkSignature('subgoal', subgoal);
  checkSignature('tool', tool);
  const argMap = matchParams(subgoal, tool);
  if (!argMap) return null;
  const c = new Constraints();
  for (let i = 0; i < argMap.length; i++) {
    if (!c.lower(subgoal.params[i]!.type, tool.params[argMap[i]!]!.type)) return null;
  }
  if (!c.upper(tool.result, subgoal.result)) return null;
  const subst = c.solve();
  return subst ? { subst, argMap } : null;
}

/**
 * The substitution under which `tool` serves `subgoal`, or `null` when it does not (rules above).
 * @example
 * ```ts
 * unifySignature(parseSignature('(int, int) -> float'), parseSignature('(float, float) -> int')); // {}
 * ```
 */
export function unifySignature(subgoal: Signature, tool: Signature): Substitution | null {
  return unifySignatureDetailed(subgoal, tool)?.subst ?? null;
}

/** Applies a substitution to a type (unbound variables stay). */
export function applySubstitution(t: Type, s: Substitution): Type {
  switch (t.kind) {
    case 'var':
      return s[t.name] ?? t;
    case 'list':
      return { kind: 'list', elem: applySubstitution(t.elem, s) };
    case 'optional':
      return { kind: 'optional', inner: applySubstitution(t.inner, s) };
    case 'dict':
      return { kind: 'dict', key: applySubstitution(t.key, s), value: applySubstitution(t.value, s) };
    case 'tuple':
      return { kind: 'tuple', elems: t.elems.map((e) => applySubstitution(e, s)) };
    case 'record':
      return { kind: 'record', fields: t.fields.map((f) => ({ ...f, type: applySubstitution(f.type, s) })) };
    case 'callable':
      return { kind: 'callable', params: t.params.map((p) => applySubstitution(p, s)), result: applySubstitution(t.result, s) };
    default:
      return t;
  }
}
