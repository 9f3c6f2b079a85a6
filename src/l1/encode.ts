/**
 * Interned preorder encoding of signatures in an Int32Array, the form in which types cross N-API.
 * Names (nominal types, record fields, parameters, rigid variables) and enum literals are interned
 * to ids on the TypeScript side; the native side only compares ids, so no string ever crosses.
 *
 * Node: `[tag | HAS_VAR, size, ...payload]`, `size` = ints in the subtree (so a subtree is skipped
 * in O(1)); HAS_VAR (bit 8) marks subtrees that mention a tool variable.
 *   UNK [0,2]  VAR [1,3,varIndex]  RIGID [2,3,nameId]  BASE [3,3,baseIndex]  NOMINAL [4,3,nameId]
 *   LIST [5,s,elem]  DICT [6,s,key,value]  TUPLE [7,s,n,elems…]  OPT [8,s,inner]
 *   RECORD [9,s,n,(nameId,optional,type)…]  ENUM [10,s,n,(literalId,literalBase)…]
 *   CALLABLE [11,s,n,params…,result]
 * Signature: `[nParams, nVars, named, (nameId|-1, optional, type)…, result]`.
 * Tool signatures encode variables as VAR (flexible, numbered per signature); sub-goals as RIGID.
 */
import type { Literal, Signature, Type } from '../types/ast.ts';
import { literalBase } from '../types/subtype.ts';
import { BASE_INDEX } from './keys.ts';
import { foldLiteral, NUMERIC_STRING } from './grade.ts';

export const T_UNK = 0;
export const T_VAR = 1;
export const T_RIGID = 2;
export const T_BASE = 3;
export const T_NOMINAL = 4;
export const T_LIST = 5;
export const T_DICT = 6;
export const T_TUPLE = 7;
export const T_OPT = 8;
export const T_RECORD = 9;
export const T_ENUM = 10;
export const T_CALLABLE = 11;
export const HAS_VAR = 256;

/**
 * What graded L1 needs to know of a literal besides its id: the id of its folded form (strings:
 * lower case without spaces, `_`, `-`; -1 for numbers and booleans) and its numeric value
 * (numbers; numeric strings; NaN otherwise).
 */
function literalFacts(v: Literal, folds: Map<string, number>, extra?: Map<string, number>): [fold: number, num: number] {
  if (typeof v === 'string') {
    const f = foldLiteral(v);
    let id = folds.get(f);
    if (id === undefined) {
      if (extra) {
        id = extra.get(f);
        if (id === undefined) extra.set(f, (id = folds.size + extra.size));
      } else folds.set(f, (id = folds.size));
    }
    return [id, NUMERIC_STRING.test(v) ? Number(v) : NaN];
  }
  return [-1, typeof v === 'number' ? v : NaN];
}

/** A query's view of an {@link Interner} (see {@link Interner.queryView}). */
export interface QueryIds extends NameIds {
  /** Fold ids and numeric values of the literals this view added (ids from the index's count on). */
  extraLiterals(): { fold: Int32Array; num: Float64Array };
}

/** {@link Interner} as plain data: strings in id order. */
export interface InternerData {
  names: string[];
  literals: string[];
  folds: string[];
  litFold: Int32Array;
  litNum: Float64Array;
}

/** String and literal interning shared by an index and its queries. */
export class Interner {
  private readonly names = new Map<string, number>();
  private readonly literals = new Map<string, number>();
  private readonly folds = new Map<string, number>();
  private readonly litFold: number[] = [];
  private readonly litNum: number[] = [];

  /** Interns (build). */
  name(s: string): number {
    let id = this.names.get(s);
    if (id === undefined) this.names.set(s, (id = this.names.size));
    return id;
  }
  literal(v: Literal): number {
    const k = `${typeof v}:${String(v)}`;
    let id = this.literals.get(k);
    if (id === undefined) {
      this.literals.set(k, (id = this.literals.size));
      const [f, x] = literalFacts(v, this.folds);
      this.litFold.push(f);
      this.litNum.push(x);
    }
    return id;
  }
  get nameCount(): number {
    return this.names.size;
  }
  /** Plain-data form (persisted with an index). */
  toData(): InternerData {
    return { names: [...this.names.keys()], literals: [...this.literals.keys()], folds: [...this.folds.keys()], litFold: Int32Array.from(this.litFold), litNum: Float64Array.from(this.litNum) };
  }

  /** Restores {@link Interner.toData}. */
  static fromData(d: InternerData): Interner {
    const it = new Interner();
    d.names.forEach((n, i) => it.names.set(n, i));
    d.literals.forEach((n, i) => it.literals.set(n, i));
    d.folds.forEach((n, i) => it.folds.set(n, i));
    it.litFold.push(...d.litFold);
    it.litNum.push(...d.litNum);
    return it;
  }

  /** Per literal id: fold id and numeric value (graded L1). */
  literalFacts(): { fold: Int32Array; num: Float64Array } {
    return { fold: Int32Array.from(this.litFold), num: Float64Array.from(this.litNum) };
  }

  /**
   * A lookup-only view for queries: known strings keep their ids, unknown ones get fresh ids
   * (consistent within the view) that match nothing in the index, and the table does not grow.
   */
  queryView(): QueryIds {
    let extraNames: Map<string, number> | undefined;
    let extraLits: Map<string, number> | undefined;
    const extraFolds = new Map<string, number>();
    const exFold: number[] = [];
    const exNum: number[] = [];
    return {
      name: (s) => {
        const id = this.names.get(s);
        if (id !== undefined) return id;
        extraNames ??= new Map();
        let e = extraNames.get(s);
        if (e === undefined) extraNames.set(s, (e = this.names.size + extraNames.size));
        return e;
      },
      literal: (v) => {
        const k = `${typeof v}:${String(v)}`;
        const id = this.literals.get(k);
        if (id !== undefined) return id;
        extraLits ??= new Map();
        let e = extraLits.get(k);
        if (e === undefined) {
          extraLits.set(k, (e = this.literals.size + extraLits.size));
          const [f, x] = literalFacts(v, this.folds, extraFolds);
          exFold.push(f);
          exNum.push(x);
        }
        return e;
      },
      extraLiterals: () => ({ fold: Int32Array.from(exFold), num: Float64Array.from(exNum) }),
    };
  }
}

export interface NameIds {
  name(s: string): number;
  literal(v: Literal): number;
}

/** Appends the encoding of `t` to `out`; returns whether it mentions a (tool) variable. */
function encodeType(t: Type, ids: NameIds, vars: Map<string, number> | null, out: number[]): boolean {
  const at = out.length;
  out.push(0, 0);
  let tag: number;
  let hv = false;
  switch (t.kind) {
    case 'unknown':
      tag = T_UNK;
      break;
    case 'var':
      if (vars) {
        let v = vars.get(t.name);
        if (v === undefined) vars.set(t.name, (v = vars.size));
        tag = T_VAR;
        out.push(v);
        hv = true;
      } else {
        tag = T_RIGID;
        out.push(ids.name(`'${t.name}`));
      }
      break;
    case 'base':
      tag = T_BASE;
      out.push(BASE_INDEX[t.name]);
      break;
    case 'nominal':
      tag = T_NOMINAL;
      out.push(ids.name(t.name));
      break;
    case 'list':
      tag = T_LIST;
      hv = encodeType(t.elem, ids, vars, out);
      break;
    case 'optional':
      tag = T_OPT;
      hv = encodeType(t.inner, ids, vars, out);
      break;
    case 'dict':
      tag = T_DICT;
      hv = encodeType(t.key, ids, vars, out);
      hv = encodeType(t.value, ids, vars, out) || hv;
      break;
    case 'tuple':
      tag = T_TUPLE;
      out.push(t.elems.length);
      for (const e of t.elems) hv = encodeType(e, ids, vars, out) || hv;
      break;
    case 'record':
      tag = T_RECORD;
      out.push(t.fields.length);
      for (const f of t.fields) {
        out.push(ids.name(f.name), f.optional ? 1 : 0);
        hv = encodeType(f.type, ids, vars, out) || hv;
      }
      break;
    case 'enum':
      tag = T_ENUM;
      out.push(t.values.length);
      for (const v of t.values) out.push(ids.literal(v), BASE_INDEX[literalBase(v)]);
      break;
    case 'callable':
      tag = T_CALLABLE;
      out.push(t.params.length);
      for (const p of t.params) hv = encodeType(p, ids, vars, out) || hv;
      hv = encodeType(t.result, ids, vars, out) || hv;
      break;
  }
  out[at] = tag | (hv ? HAS_VAR : 0);
  out[at + 1] = out.length - at;
  return hv;
}

/** Appends a signature; `tool` = variables are flexible (VAR), otherwise rigid (sub-goal). */
export function encodeSignature(s: Signature, ids: NameIds, tool: boolean, out: number[]): void {
  const at = out.length;
  const named = s.params.length > 0 && s.params.every((p) => p.name !== undefined);
  out.push(s.params.length, 0, named ? 1 : 0);
  const vars = tool ? new Map<string, number>() : null;
  for (const p of s.params) {
    out.push(named ? ids.name(p.name!) : -1, p.optional ? 1 : 0);
    encodeType(p.type, ids, vars, out);
  }
  encodeType(s.result, ids, vars, out);
  out[at + 1] = vars ? vars.size : 0;
}
