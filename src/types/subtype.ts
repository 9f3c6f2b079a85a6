/**
 * Subtyping, joins and meets for the type language (rules in docs/types.md).
 *
 * `isSubtype(a, b)` is gradual: the unknown type `?` is a subtype and a supertype of everything,
 * at any depth. Type variables are rigid here (`'a <: 'a` only); unification (./unify.ts) is
 * where a tool's variables bind.
 *
 * @example
 * ```ts
 * import { isSubtype, parseType } from 'cocoda';
 * isSubtype(parseType('list[bool]'), parseType('list[float]')); // true (covariant)
 * isSubtype(parseType('dict[int, int]'), parseType('dict[float, int]')); // false (keys invariant)
 * ```
 */
import type { BaseName, Literal, RecordField, Type } from './ast.ts';
import { compareLiterals } from './print.ts';

export const NONE: Type = { kind: 'base', name: 'none' };
export const ANY: Type = { kind: 'base', name: 'any' };

const NUMERIC_RANK: Partial<Record<BaseName, number>> = { bool: 0, int: 1, float: 2 };

/** `bool <: int <: float`; every other base type only of itself (and of `any`). */
export function isBaseSubtype(a: BaseName, b: BaseName): boolean {
  if (a === b || b === 'any') return true;
  const ra = NUMERIC_RANK[a];
  const rb = NUMERIC_RANK[b];
  return ra !== undefined && rb !== undefined && ra <= rb;
}

/** The base type of a literal: booleans `bool`, integral numbers `int`, other numbers `float`, strings `str`. */
export function literalBase(v: Literal): BaseName {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return 'str';
}

/** Least base type above both (`any` when unrelated). */
export function joinBase(a: BaseName, b: BaseName): BaseName {
  if (isBaseSubtype(a, b)) return b;
  if (isBaseSubtype(b, a)) return a;
  return 'any';
}

function findField(fields: readonly RecordField[], name: string): RecordField | undefined {
  for (const f of fields) if (f.name === name) return f;
  return undefined;
}

function hasLiteral(values: readonly Literal[], v: Literal): boolean {
  for (const w of values) if (compareLiterals(v, w) === 0) return true;
  return false;
}

/**
 * `a <: b`. Rules: `?` both ways; `T <: any`; `optional[T] <: U` iff `none <: U` and `T <: U`;
 * `T <: optional[U]` iff `T` is `none` or `T <: U`; `bool <: int <: float`; lists, tuples and
 * optionals covariant; dicts invariant in the key and covariant in the value; records width and
 * depth (a field may be missing only where the supertype marks it optional, and an optional field
 * is not a subtype of a required one); enums by literal subset, and `enum <: B` when every literal's
 * base type is `<: B`; callables contravariant in parameters and covariant in the result; nominal
 * types and type variables only of themselves.
 */
export function isSubtype(a: Type, b: Type): boolean {
  if (a.kind === 'unknown' || b.kind === 'unknown') return true;
  if (b.kind === 'base' && b.name === 'any') return true;
  if (a.kind === 'optional') return isSubtype(NONE, b) && isSubtype(a.inner, b);
  if (b.kind === 'optional') {
    if (a.kind === 'base' && a.name === 'none') return true;
    return isSubtype(a, b.inner);
  }
  switch (a.kind) {
    case 'base':
      return b.kind === 'base' && isBaseSubtype(a.name, b.name);
    case 'nominal':
      return b.kind === 'nominal' && b.name === a.name;
    case 'var':
      return b.kind === 'var' && b.name === a.name;
    case 'list':
      return b.kind === 'list' && isSubtype(a.elem, b.elem);
    case 'dict':
      return b.kind === 'dict' && isSubtype(a.key, b.key) && isSubtype(b.key, a.key) && isSubtype(a.value, b.value);
    case 'tuple':
      return b.kind === 'tuple' && a.elems.length === b.elems.length && a.elems.every((e, i) => isSubtype(e, b.elems[i]!));
    case 'record': {
      if (b.kind !== 'record') return false;
      for (const fb of b.fields) {
        const fa = findField(a.fields, fb.name);
        if (!fa) {
          if (!fb.optional) return false;
          continue;
        }
        if (fa.optional && !fb.optional) return false;
        if (!isSubtype(fa.type, fb.type)) return false;
      }
      return true;
    }
    case 'enum':
      if (b.kind === 'enum') return a.values.every((v) => hasLiteral(b.values, v));
      if (b.kind === 'base') return a.values.every((v) => isBaseSubtype(literalBase(v), b.name));
      return false;
    case 'callable':
      return (
        b.kind === 'callable' &&
        a.params.length === b.params.length &&
        b.params.every((p, i) => isSubtype(p, a.params[i]!)) &&
        isSubtype(a.result, b.result)
      );
  }
}

/** Mutual subtypes. */
export function isEquivalent(a: Type, b: Type): boolean {
  return isSubtype(a, b) && isSubtype(b, a);
}

function enumBase(values: readonly Literal[]): BaseName {
  let b = literalBase(values[0]!);
  for (let i = 1; i < values.length; i++) b = joinBase(b, literalBase(values[i]!));
  return b;
}

function unionLiterals(a: readonly Literal[], b: readonly Literal[]): Literal[] {
  const out = [...a];
  for (const v of b) if (!hasLiteral(out, v)) out.push(v);
  return out.sort(compareLiterals);
}

function strip(t: Type): Type | null {
  if (t.kind === 'optional') return t.inner;
  if (t.kind === 'base' && t.name === 'none') return null;
  return t;
}

const isNoneOrOptional = (t: Type): boolean => t.kind === 'optional' || (t.kind === 'base' && t.name === 'none');

/**
 * A structural upper bound of `a` and `b` (`any` when nothing closer exists); `?` is neutral.
 * Numbers join along `bool <: int <: float`, `none` with `T` gives `optional[T]`, enums unite,
 * records keep their common fields. Used to bind a type variable from several lower bounds.
 */
export function joinTypes(a: Type, b: Type): Type {
  if (a.kind === 'unknown') return b;
  if (b.kind === 'unknown') return a;
  if ((a.kind === 'base' && a.name === 'any') || (b.kind === 'base' && b.name === 'any')) return ANY;
  if (isNoneOrOptional(a) || isNoneOrOptional(b)) {
    const ia = strip(a);
    const ib = strip(b);
    if (!ia && !ib) return NONE;
    const inner = !ia ? ib! : !ib ? ia : joinTypes(ia, ib);
    if (inner.kind === 'base' && inner.name === 'any') return ANY;
    return { kind: 'optional', inner };
  }
  switch (a.kind) {
    case 'base':
      if (b.kind === 'base') return { kind: 'base', name: joinBase(a.name, b.name) };
      if (b.kind === 'enum') return { kind: 'base', name: joinBase(a.name, enumBase(b.values)) };
      return ANY;
    case 'enum':
      if (b.kind === 'enum') return { kind: 'enum', values: unionLiterals(a.values, b.values) };
      if (b.kind === 'base') return { kind: 'base', name: joinBase(enumBase(a.values), b.name) };
      return ANY;
    case 'nominal':
      return b.kind === 'nominal' && b.name === a.name ? a : ANY;
    case 'var':
      return b.kind === 'var' && b.name === a.name ? a : ANY;
    case 'list':
      return b.kind === 'list' ? { kind: 'list', elem: joinTypes(a.elem, b.elem) } : ANY;
    case 'dict':
      return b.kind === 'dict' && isEquivalent(a.key, b.key) ? { kind: 'dict', key: a.key, value: joinTypes(a.value, b.value) } : ANY;
    case 'tuple':
      return b.kind === 'tuple' && a.elems.length === b.elems.length
        ? { kind: 'tuple', elems: a.elems.map((e, i) => joinTypes(e, b.elems[i]!)) }
        : ANY;
    case 'record': {
      if (b.kind !== 'record') return ANY;
      const fields: RecordField[] = [];
      for (const fa of a.fields) {
        const fb = findField(b.fields, fa.name);
        if (fb) fields.push({ name: fa.name, type: joinTypes(fa.type, fb.type), optional: fa.optional || fb.optional });
      }
      return { kind: 'record', fields };
    }
    case 'callable': {
      if (b.kind !== 'callable' || a.params.length !== b.params.length) return ANY;
      const params: Type[] = [];
      for (let i = 0; i < a.params.length; i++) {
        const m = meetTypes(a.params[i]!, b.params[i]!);
        if (!m) return ANY;
        params.push(m);
      }
      return { kind: 'callable', params, result: joinTypes(a.result, b.result) };
    }
    case 'optional':
      return ANY; // unreachable: handled above
  }
}

/**
 * A structural lower bound of `a` and `b`, or `null` when none exists (the language has no
 * bottom type); `?` is neutral. Used to bind a type variable that only has upper bounds.
 */
export function meetTypes(a: Type, b: Type): Type | null {
  if (a.kind === 'unknown') return b;
  if (b.kind === 'unknown') return a;
  if (a.kind === 'base' && a.name === 'any') return b;
  if (b.kind === 'base' && b.name === 'any') return a;
  if (a.kind === 'optional' && b.kind === 'optional') {
    const m = meetTypes(a.inner, b.inner);
    return m ? { kind: 'optional', inner: m } : NONE;
  }
  if (a.kind === 'optional') return b.kind === 'base' && b.name === 'none' ? NONE : meetTypes(a.inner, b);
  if (b.kind === 'optional') return a.kind === 'base' && a.name === 'none' ? NONE : meetTypes(a, b.inner);
  switch (a.kind) {
    case 'base':
      if (b.kind === 'base') {
        if (isBaseSubtype(a.name, b.name)) return a;
        if (isBaseSubtype(b.name, a.name)) return b;
        return null;
      }
      if (b.kind === 'enum') return meetTypes(b, a);
      return null;
    case 'enum': {
      let values: Literal[];
      if (b.kind === 'enum') values = a.values.filter((v) => hasLiteral(b.values, v));
      else if (b.kind === 'base') values = a.values.filter((v) => isBaseSubtype(literalBase(v), b.name));
      else return null;
      return values.length > 0 ? { kind: 'enum', values } : null;
    }
    case 'nominal':
      return b.kind === 'nominal' && b.name === a.name ? a : null;
    case 'var':
      return b.kind === 'var' && b.name === a.name ? a : null;
    case 'list': {
      if (b.kind !== 'list') return null;
      const m = meetTypes(a.elem, b.elem);
      return m ? { kind: 'list', elem: m } : null;
    }
    case 'dict': {
      if (b.kind !== 'dict' || !isEquivalent(a.key, b.key)) return null;
      const m = meetTypes(a.value, b.value);
      return m ? { kind: 'dict', key: a.key, value: m } : null;
    }
    case 'tuple': {
      if (b.kind !== 'tuple' || a.elems.length !== b.elems.length) return null;
      const elems: Type[] = [];
      for (let i = 0; i < a.elems.length; i++) {
        const m = meetTypes(a.elems[i]!, b.elems[i]!);
        if (!m) return null;
        elems.push(m);
      }
      return { kind: 'tuple', elems };
    }
    case 'record': {
      if (b.kind !== 'record') return null;
      const fields: RecordField[] = [];
      for (const fa of a.fields) {
        const fb = findField(b.fields, fa.name);
        if (!fb) {
          fields.push(fa);
          continue;
        }
        const m = meetTypes(fa.type, fb.type);
        if (!m) return null;
        fields.push({ name: fa.name, type: m, optional: fa.optional && fb.optional });
      }
      for (const fb of b.fields) if (!findField(a.fields, fb.name)) fields.push(fb);
      return { kind: 'record', fields };
    }
    case 'callable': {
      if (b.kind !== 'callable' || a.params.length !== b.params.length) return null;
      const m = meetTypes(a.result, b.result);
      if (!m) return null;
      return { kind: 'callable', params: a.params.map((p, i) => joinTypes(p, b.params[i]!)), result: m };
    }
  }
}

/** Does `t` mention a type variable? */
export function hasTypeVars(t: Type): boolean {
  switch (t.kind) {
    case 'var':
      return true;
    case 'list':
      return hasTypeVars(t.elem);
    case 'optional':
      return hasTypeVars(t.inner);
    case 'dict':
      return hasTypeVars(t.key) || hasTypeVars(t.value);
    case 'tuple':
      return t.elems.some(hasTypeVars);
    case 'record':
      return t.fields.some((f) => hasTypeVars(f.type));
    case 'callable':
      return t.params.some(hasTypeVars) || hasTypeVars(t.result);
    default:
      return false;
  }
}
