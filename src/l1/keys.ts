/**
 * The key abstraction of the L1 index (docs/retrieval.md "L1 index"). Every type maps to one int32 *head key*;
 * `superKeys(k)` is the finite set of keys a tool parameter may have when a sub-goal supplies a
 * type of key `k`, `subKeys(k)` the keys a tool result may have when the sub-goal wants key `k`.
 * Both are sound over-approximations of subtyping (`A <: σ(P)` ⇒ `key(P) ∈ superKeys(key(A))`),
 * and exact between *exact* keys (base, nominal, `?`, their optionals, rigid variables).
 *
 * native/l1_index.cc mirrors this file constant for constant.
 */
import type { Type } from '../types/ast.ts';
import { BASE_TYPES, type BaseName } from '../types/ast.ts';
import { literalBase, joinBase } from '../types/subtype.ts';

export const K_UNK = 0;
export const K_VAR = 1;
export const K_RIGID = 2;
/** Base type i (BASE_TYPES order: int float bool str none any bytes DataFrame Predicate). */
export const K_BASE = 3;
/** Enum whose literals' base join is base i (int float bool str · any). */
export const K_ENUM = 12;
export const K_LIST = 21;
export const K_DICT = 22;
/** Record without required fields (or a coarse record result). */
export const K_RECORD = 23;
export const K_TUPLE = 1000;
export const K_CALLABLE = 2000;
export const K_NOMINAL = 100_000;
/** Record whose least required field (by name id) is `id`: K_RECF + id. */
export const K_RECF = 1 << 22;
/** Keys below this are *simple*: they may be wrapped by K_LISTOF. */
export const SIMPLE_LIMIT = 1 << 23;
/** `list[E]` with a simple element key k: K_LISTOF + k (other lists: K_LIST). */
export const K_LISTOF = 1 << 23;
/** Set on the key of `optional[T]` (normalised: optional[none] = none, optional[any] = any). */
export const K_OPT = 1 << 28;
/** Name ids must stay below this so nominal and record keys do not collide. */
export const MAX_NAME_ID = K_RECF - K_NOMINAL;
const ALL_HI = 0x7fffffff;

export const BASE_INDEX: Readonly<Record<BaseName, number>> = Object.fromEntries(BASE_TYPES.map((b, i) => [b, i])) as Record<
  BaseName,
  number
>;
const B_INT = 0;
const B_FLOAT = 1;
const B_BOOL = 2;
const B_STR = 3;
const B_NONE = 4;
const B_ANY = 5;
export const K_NONE = K_BASE + B_NONE;
export const K_ANY = K_BASE + B_ANY;

/** Numeric rank for bool < int < float; -1 otherwise. */
function numRank(b: number): number {
  return b === B_BOOL ? 0 : b === B_INT ? 1 : b === B_FLOAT ? 2 : -1;
}
/** Base index b ≤ c in the base lattice (excluding `any`, handled by callers). */
export function baseLe(b: number, c: number): boolean {
  if (b === c) return true;
  const rb = numRank(b);
  const rc = numRank(c);
  return rb >= 0 && rc >= 0 && rb <= rc;
}

export function optKey(k: number): number {
  if (k === K_NONE || k === K_ANY) return k;
  return k | K_OPT;
}

const clampArity = (n: number): number => Math.min(n, 999);

/** Interned ids for names (nominal types, record fields). */
export type NameId = (name: string) => number;

function checkName(id: number): number {
  if (id >= MAX_NAME_ID) throw new RangeError(`Expected fewer than ${MAX_NAME_ID} distinct names in one L1 index`);
  return id;
}

/** Head key of a type. Tool variables are K_VAR; pass `rigid` for a sub-goal's. */
export function keyOf(t: Type, nameId: NameId, rigid: boolean): number {
  switch (t.kind) {
    case 'unknown':
      return K_UNK;
    case 'var':
      return rigid ? K_RIGID : K_VAR;
    case 'base':
      return K_BASE + BASE_INDEX[t.name];
    case 'nominal':
      return K_NOMINAL + checkName(nameId(t.name));
    case 'optional':
      return optKey(keyOf(t.inner, nameId, rigid));
    case 'enum': {
      let b: BaseName = literalBase(t.values[0]!);
      for (let i = 1; i < t.values.length; i++) b = joinBase(b, literalBase(t.values[i]!));
      return K_ENUM + BASE_INDEX[b];
    }
    case 'list': {
      const ke = keyOf(t.elem, nameId, rigid);
      return ke < SIMPLE_LIMIT ? K_LISTOF + ke : K_LIST;
    }
    case 'dict':
      return K_DICT;
    case 'record': {
      let m = -1;
      for (const f of t.fields) {
        if (f.optional) continue;
        const id = checkName(nameId(f.name));
        if (m < 0 || id < m) m = id;
      }
      return m < 0 ? K_RECORD : K_RECF + m;
    }
    case 'tuple':
      return K_TUPLE + clampArity(t.elems.length);
    case 'callable':
      return K_CALLABLE + clampArity(t.params.length);
  }
}

/** Keys whose every type is the same up to equivalence, so key order is exact subtyping. */
export function isExactKey(k: number): boolean {
  let b = k & ~K_OPT;
  if (b >= K_LISTOF) b -= K_LISTOF;
  if (b >= K_RECF) return false;
  return b === K_UNK || b === K_RIGID || (b >= K_BASE && b < K_BASE + 9) || b >= K_NOMINAL;
}

/**
 * A set of keys: the sorted explicit `keys` plus the half-open `ranges` [lo, hi) (sorted, disjoint).
 */
export interface KeySet {
  keys: number[];
  ranges: Array<[number, number]>;
}

const ALL: KeySet = { keys: [], ranges: [[0, ALL_HI]] };

const TOPS = [K_UNK, K_VAR, K_ANY, K_OPT | K_UNK, K_OPT | K_VAR];
const BOTS = [K_UNK, K_VAR];

/** Builds a KeySet: dedupes and sorts, and drops explicit keys covered by a range. */
function finish(keys: number[], ranges: Array<[number, number]> = []): KeySet {
  const rs = ranges.slice().sort((a, b) => a[0] - b[0]);
  const inRange = (k: number) => rs.some(([lo, hi]) => k >= lo && k < hi);
  const ks = [...new Set(keys)].filter((k) => !inRange(k)).sort((a, b) => a - b);
  return { keys: ks, ranges: rs };
}

interface Part {
  keys: number[];
  ranges: Array<[number, number]>;
}

function stripOptional(t: Type): Type {
  while (t.kind === 'optional') t = t.inner;
  return t;
}

/** Keys of lists whose element key lies in `elem` (simple part only), plus the coarse K_LIST. */
function listOf(elem: KeySet): Part {
  const ranges: Array<[number, number]> = [];
  for (const [lo, hi] of elem.ranges) if (lo < SIMPLE_LIMIT) ranges.push([K_LISTOF + lo, K_LISTOF + Math.min(hi, SIMPLE_LIMIT)]);
  return { keys: [K_LIST, ...elem.keys.filter((k) => k < SIMPLE_LIMIT).map((k) => K_LISTOF + k)], ranges };
}

/** Non-top, non-optional keys above X (X not optional, ?, any or none). */
function strictSupers(x: Type, nameId: NameId): Part {
  const k = keyOf(x, nameId, true);
  if (k >= K_BASE && k < K_BASE + 9) {
    const b = k - K_BASE;
    const out: number[] = [];
    for (let c = 0; c < 9; c++) if (c !== B_ANY && c !== B_NONE && baseLe(b, c)) out.push(K_BASE + c);
    return { keys: out, ranges: [] };
  }
  if (k >= K_ENUM && k < K_ENUM + 9) {
    const e = k - K_ENUM;
    const out: number[] = [K_ENUM + B_ANY];
    if (e !== B_ANY) {
      for (const c of [B_INT, B_FLOAT, B_BOOL, B_STR]) {
        if (baseLe(e, c)) out.push(K_ENUM + c, K_BASE + c);
      }
    }
    return { keys: out, ranges: [] };
  }
  if (x.kind === 'var') return { keys: [], ranges: [] };
  if (x.kind === 'record') {
    const out = [K_RECORD];
    for (const f of x.fields) if (!f.optional) out.push(K_RECF + checkName(nameId(f.name)));
    return { keys: out, ranges: [] };
  }
  if (x.kind === 'list') return listOf(superKeys(x.elem, nameId));
  return { keys: [k], ranges: [] }; // nominal, dict, tuple/n, callable/n
}

const shift = (p: Part): Part => ({ keys: p.keys.map((k) => k | K_OPT), ranges: p.ranges.map(([lo, hi]) => [lo | K_OPT, hi | K_OPT]) });

/** Keys a tool parameter P may have when the sub-goal supplies A (A <: σ(P) possible). */
export function superKeys(a: Type, nameId: NameId): KeySet {
  const k = keyOf(a, nameId, true);
  if (k === K_UNK) return ALL;
  if (k === K_ANY) return finish(TOPS);
  if (k === K_NONE || k === (K_OPT | K_UNK)) return finish([...TOPS, K_NONE], [[K_OPT, K_OPT * 2]]);
  if (k & K_OPT) {
    const s = shift(strictSupers(stripOptional(a), nameId));
    return finish([...TOPS, ...s.keys], s.ranges);
  }
  const s = strictSupers(a, nameId);
  const o = shift(s);
  return finish([...TOPS, ...s.keys, ...o.keys], [...s.ranges, ...o.ranges]);
}

/** Non-bottom, non-optional keys below X (X not optional, ?, any or none). */
function strictSubs(x: Type, nameId: NameId): Part {
  const k = keyOf(x, nameId, true);
  if (k >= K_BASE && k < K_BASE + 9) {
    const b = k - K_BASE;
    const out: number[] = [];
    for (let c = 0; c < 9; c++) {
      if (c !== B_ANY && c !== B_NONE && baseLe(c, b)) out.push(K_BASE + c);
      if ((c === B_INT || c === B_FLOAT || c === B_BOOL || c === B_STR) && baseLe(c, b)) out.push(K_ENUM + c);
    }
    return { keys: out, ranges: [] };
  }
  if (k >= K_ENUM && k < K_ENUM + 9) {
    const e = k - K_ENUM;
    if (e === B_ANY) return { keys: [K_ENUM + B_INT, K_ENUM + B_FLOAT, K_ENUM + B_BOOL, K_ENUM + B_STR, K_ENUM + B_ANY], ranges: [] };
    const out: number[] = [];
    for (const c of [B_INT, B_FLOAT, B_BOOL, B_STR]) if (baseLe(c, e)) out.push(K_ENUM + c);
    return { keys: out, ranges: [] };
  }
  if (x.kind === 'var') return { keys: [], ranges: [] };
  if (x.kind === 'record') {
    // σ(R) <: X needs every required field of X required in R, so R's least required field id
    // is at most X's least one; with no required fields in X any record may do.
    if (k === K_RECORD) return { keys: [K_RECORD], ranges: [[K_RECF, K_RECF + MAX_NAME_ID]] };
    return { keys: [], ranges: [[K_RECF, k + 1]] };
  }
  if (x.kind === 'list') return listOf(subKeys(x.elem, nameId));
  return { keys: [k], ranges: [] };
}

/** Keys a tool result R may have when the sub-goal wants B (σ(R) <: B possible). */
export function subKeys(b: Type, nameId: NameId): KeySet {
  const k = keyOf(b, nameId, true);
  if (k === K_UNK || k === K_ANY || k === (K_OPT | K_UNK)) return ALL;
  if (k === K_NONE) return finish([...BOTS, K_NONE, K_OPT | K_UNK, K_OPT | K_VAR]);
  if (k & K_OPT) {
    const s = strictSubs(stripOptional(b), nameId);
    const o = shift(s);
    return finish([...BOTS, K_NONE, K_OPT | K_UNK, K_OPT | K_VAR, ...s.keys, ...o.keys], [...s.ranges, ...o.ranges]);
  }
  const s = strictSubs(b, nameId);
  return finish([...BOTS, ...s.keys], s.ranges);
}
