/**
 * Canonical printer for the type language. Canonical form: `, ` between items, `: ` after names,
 * ` -> ` before results, record fields sorted by name (code-unit order), enum literals
 * de-duplicated and sorted (numbers ascending, then strings, then false, true), names that are not
 * identifiers JSON-quoted. `printType(parseType(printType(t))) === printType(t)` for every `t`.
 *
 * @example
 * ```ts
 * import { parseType, printType } from 'cocoda';
 * printType(parseType('{ b : int , a ?: str }')); // '{a?: str, b: int}'
 * ```
 */
import type { Literal, Param, Signature, Type } from './ast.ts';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function literalRank(v: Literal): number {
  return typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2;
}

/** Total order on literals used for canonical enums. */
export function compareLiterals(a: Literal, b: Literal): number {
  const ra = literalRank(a);
  const rb = literalRank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return (a ? 1 : 0) - (b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
}

function printName(name: string): string {
  return IDENT.test(name) ? name : JSON.stringify(name);
}

function printLiteral(v: Literal): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '0' : String(v);
  return v ? 'true' : 'false';
}

/** Prints a type in canonical form. */
export function printType(t: Type): string {
  switch (t.kind) {
    case 'base':
    case 'nominal':
      return t.name;
    case 'unknown':
      return '?';
    case 'var':
      return `'${t.name}`;
    case 'list':
      return `list[${printType(t.elem)}]`;
    case 'optional':
      return `optional[${printType(t.inner)}]`;
    case 'dict':
      return `dict[${printType(t.key)}, ${printType(t.value)}]`;
    case 'tuple':
      return `tuple[${t.elems.map(printType).join(', ')}]`;
    case 'record': {
      const fields = [...t.fields].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return `{${fields.map((f) => `${printName(f.name)}${f.optional ? '?' : ''}: ${printType(f.type)}`).join(', ')}}`;
    }
    case 'enum': {
      const vals = [...t.values].sort(compareLiterals).filter((v, i, a) => i === 0 || compareLiterals(a[i - 1]!, v) !== 0);
      return `enum[${vals.map(printLiteral).join(', ')}]`;
    }
    case 'callable':
      return `callable[(${t.params.map(printType).join(', ')}) -> ${printType(t.result)}]`;
  }
}

function printParam(p: Param): string {
  if (p.name !== undefined) return `${printName(p.name)}${p.optional ? '?' : ''}: ${printType(p.type)}`;
  return `${printType(p.type)}${p.optional ? '?' : ''}`;
}

/** Prints a signature in canonical form, e.g. `(word: str, limit?: int) -> list[str]`. */
export function printSignature(s: Signature): string {
  return `(${s.params.map(printParam).join(', ')}) -> ${printType(s.result)}`;
}
