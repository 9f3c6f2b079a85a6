/**
 * The key abstraction of the L1 index (README "L1 index"). Every type maps to one int32 *head key*;
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
export const K_RECORD = 23;
export const K_TUPLE = 1000;
export const K_CALLABLE = 2000;
export const K_NOMINAL = 100_000;
/** Set on the key of `optional[T]` (normalised: optional[none] = none, optional[any] = any). */
export const K_OPT = 1 << 28;

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

/** Head key of a type; `nominalId` interns nominal names. Tool variables are K_VAR; pass `rigid` for a sub-goal. */
export function keyOf(t: Type, nominalId: (name: string) => number, rigid: boolean): number {
  switch (t.kind) {
    case 'unknown':
      return K_UNK;
    case 'var':
      return rigid ? K_RIGID : K_VAR;
    case 'base':
      return K_BASE + BASE_INDEX[t.name];
    case 'nominal':
      return K_NOMINAL + nominalId(t.name);
    case 'optional':
      return optKey(keyOf(t.inner, nominalId, rigid));
    case 'enum': {
      let b: BaseName = literalBase(t.values[0]!);
      for (let i = 1; i < t.values.length; i++) b = joinBase(b, literalBase(t.values[i]!));
      return K_ENUM + BASE_INDEX[b];
    }
    case 'list':
      return K_LIST;
    case 'dict':
      return K_DICT;
    case 'record':
      return K_RECORD;
    case 'tuple':
      return K_TUPLE + clampArity(t.elems.length);
    case 'callable':
      return K_CALLABLE + clampArity(t.params.length);
  }
}

/** Keys whose every type is the same up to equivalence, so key order is exact subtyping. */
export function isExactKey(k: number): boolean {
  const b = k & ~K_OPT;
  return b === K_UNK || b === K_RIGID || (b >= K_BASE && b < K_BASE + 9) || b >= K_NOMINAL;
}

/**
 * A set of keys: the explicit sorted `keys`, plus every key when `all`, plus every optional key
 * when `allOpt`.
 */
export interface KeySet {
  all: boolean;
  allOpt: boolean;
  keys: number[];
}

const TOPS = [K_UNK, K_VAR, K_ANY, K_OPT | K_UNK, K_OPT | K_VAR];

function finish(keys: number[], allOpt = false): KeySet {
  const s = [...new Set(keys)].sort((a, b) => a - b);
  return { all: false, allOpt, keys: s };
}

/** Non-top keys above a non-optional key k (k ≠ UNK, any, none). */
function strictSupers(k: number): number[] {
  if (k >= K_BASE && k < K_BASE + 9) {
    const b = k - K_BASE;
    const out: number[] = [];
    for (let c = 0; c < 9; c++) if (c !== B_ANY && c !== B_NONE && baseLe(b, c)) out.push(K_BASE + c);
    return out;
  }
  if (k >= K_ENUM && k < K_ENUM + 9) {
    const e = k - K_ENUM;
    const out: number[] = [K_ENUM + B_ANY];
    if (e !== B_ANY) {
      for (const c of [B_INT, B_FLOAT, B_BOOL, B_STR]) {
        if (baseLe(e, c)) {
          out.push(K_ENUM + c);
          out.push(K_BASE + c);
        }
      }
    }
    return out;
  }
  if (k === K_RIGID) return [];
  return [k]; // nominal, list, dict, record, tuple/n, callable/n
}

/** Keys P may have when A (key k) must be `<: σ(P)`. */
export function superKeys(k: number): KeySet {
  if (k === K_UNK) return { all: true, allOpt: false, keys: [] };
  if (k === K_ANY) return finish(TOPS);
  if (k === K_NONE || k === (K_OPT | K_UNK)) return finish([...TOPS, K_NONE], true);
  if (k & K_OPT) {
    const inner = k & ~K_OPT;
    return finish([...TOPS, ...strictSupers(inner).map((x) => x | K_OPT)]);
  }
  const s = strictSupers(k);
  return finish([...TOPS, ...s, ...s.map((x) => x | K_OPT)]);
}

/** Non-bottom keys below a non-optional key k (k ≠ UNK, any, none). */
function strictSubs(k: number): number[] {
  if (k >= K_BASE && k < K_BASE + 9) {
    const b = k - K_BASE;
    const out: number[] = [];
    for (let c = 0; c < 9; c++) {
      if (c !== B_ANY && c !== B_NONE && baseLe(c, b)) out.push(K_BASE + c);
      if ((c === B_INT || c === B_FLOAT || c === B_BOOL || c === B_STR) && baseLe(c, b)) out.push(K_ENUM + c);
    }
    return out;
  }
  if (k >= K_ENUM && k < K_ENUM + 9) {
    const e = k - K_ENUM;
    if (e === B_ANY) return [K_ENUM + B_INT, K_ENUM + B_FLOAT, K_ENUM + B_BOOL, K_ENUM + B_STR, K_ENUM + B_ANY];
    const out: number[] = [];
    for (const c of [B_INT, B_FLOAT, B_BOOL, B_STR]) if (baseLe(c, e)) out.push(K_ENUM + c);
    return out;
  }
  if (k === K_RIGID) return [];
  return [k];
}

/** Keys R may have when `σ(R) <: B` with B of key k. */
export function subKeys(k: number): KeySet {
  if (k === K_UNK || k === K_ANY || k === (K_OPT | K_UNK)) return { all: true, allOpt: false, keys: [] };
  const BOTS = [K_UNK, K_VAR];
  if (k === K_NONE) return finish([...BOTS, K_NONE, K_OPT | K_UNK, K_OPT | K_VAR]);
  if (k & K_OPT) {
    const s = strictSubs(k & ~K_OPT);
    return finish([...BOTS, K_NONE, K_OPT | K_UNK, K_OPT | K_VAR, ...s, ...s.map((x) => x | K_OPT)]);
  }
  return finish([...BOTS, ...strictSubs(k)]);
}
