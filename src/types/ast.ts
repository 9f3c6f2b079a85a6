/**
 * The type language's abstract syntax: the contract every other module codes against.
 * Parsing, printing, subtyping and unification live beside this file (src/types/).
 *
 * Text syntax (parsed by `parseType` / `parseSignature`):
 *   base        int float bool str none any bytes DataFrame Predicate
 *   nominal     any other registered identifier, e.g. `Date`
 *   list[T]  dict[K, V]  tuple[A, B, ...]  optional[T]
 *   record      {name: str, age?: int}            (`?` marks an optional field)
 *   enum        enum["red", "green", 3, true]     (literals)
 *   callable    callable[(int, int) -> bool]
 *   variable    'a  (a quote then an identifier; scoped to one signature)
 *   unknown     ?   (gradual: where a schema gives no type, e.g. a missing `returns`)
 *   signature   (T1, ..., Tn) -> T   or with names   (a: float, b?: int) -> float
 */
export const BASE_TYPES = ['int', 'float', 'bool', 'str', 'none', 'any', 'bytes', 'DataFrame', 'Predicate'] as const;
export type BaseName = (typeof BASE_TYPES)[number];

export type Literal = string | number | boolean;

export interface RecordField {
  name: string;
  type: Type;
  /** Optional fields may be absent; width subtyping lets a wider record stand for a narrower one. */
  optional: boolean;
}

export type Type =
  | { kind: 'base'; name: BaseName }
  | { kind: 'nominal'; name: string }
  | { kind: 'list'; elem: Type }
  | { kind: 'dict'; key: Type; value: Type }
  | { kind: 'tuple'; elems: Type[] }
  | { kind: 'optional'; inner: Type }
  | { kind: 'record'; fields: RecordField[] }
  | { kind: 'enum'; values: Literal[] }
  | { kind: 'callable'; params: Type[]; result: Type }
  | { kind: 'var'; name: string }
  | { kind: 'unknown' };

export interface Param {
  /** Present for named parameters (imported tools, named sub-goals); absent for positional ones. */
  name?: string;
  type: Type;
  /** An optional parameter may be left out by a sub-goal. */
  optional: boolean;
}

export interface Signature {
  params: Param[];
  result: Type;
}
