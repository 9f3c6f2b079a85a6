import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  parseSignature,
  parseType,
  printSignature,
  printType,
  TypeRegistry,
  type Type,
} from '../../src/types/index.ts';
import { CocodaError } from '../../src/errors.ts';

function err(fn: () => unknown): CocodaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CocodaError);
    return e as CocodaError;
  }
  throw new Error('expected a throw');
}

describe('parse / print', () => {
  it.each([
    ['(int, float) -> float', '(int, float) -> float'],
    ["(xs: list['a], n?: int) -> 'a", "(xs: list['a], n?: int) -> 'a"],
    ['( { b : int , a ?: str } ) -> enum[3, "x", true, 1, 3]', '({a?: str, b: int}) -> enum[1, 3, "x", true]'],
    ['(str?, ??) -> callable[(int) -> bool]', '(str?, ??) -> callable[(int) -> bool]'],
    ['() -> tuple[]', '() -> tuple[]'],
    ['("first-name": str) -> dict[str, optional[bytes]]', '("first-name": str) -> dict[str, optional[bytes]]'],
    ['(DataFrame, Predicate) -> none', '(DataFrame, Predicate) -> none'],
    ['(x: enum[-0, 1.5e3]) -> any', '(x: enum[0, 1500]) -> any'],
  ])('%s prints canonically', (src, canon) => {
    const p = printSignature(parseSignature(src));
    expect(p).toBe(canon);
    expect(printSignature(parseSignature(p))).toBe(p);
  });

  it('parses the AST shapes of ast.ts', () => {
    expect(parseSignature('(a: float, b?: int) -> float')).toEqual({
      params: [
        { name: 'a', type: { kind: 'base', name: 'float' }, optional: false },
        { name: 'b', type: { kind: 'base', name: 'int' }, optional: true },
      ],
      result: { kind: 'base', name: 'float' },
    });
    expect(parseType('?')).toEqual({ kind: 'unknown' });
    expect(parseType("'T")).toEqual({ kind: 'var', name: 'T' });
  });

  it('accepts Unicode identifiers unquoted as parameter, field and variable names', () => {
    const s = parseSignature('(marca: str, año_vehiculo: int, 日付?: str) -> {precio: float, größe: int}');
    expect(s.params.map((p) => p.name)).toEqual(['marca', 'año_vehiculo', '日付']);
    expect(s.params[2]!.optional).toBe(true);
    // The printer quotes non-ASCII names; the quoted form parses back to the same signature.
    expect(parseSignature(printSignature(s))).toEqual(s);
    expect(parseSignature("('α) -> list['α]").result).toEqual({ kind: 'list', elem: { kind: 'var', name: 'α' } });
    // A name still cannot start with a digit, and an unregistered Unicode word is an unknown type.
    expect(() => parseSignature('(1b: int) -> int')).toThrow(/at column 1/);
    expect(() => parseSignature('(x: größe) -> int')).toThrow(/Unknown type "größe" at column 4/);
  });

  it('nominal types need registration; registries are scoped', () => {
    expect(err(() => parseType('Date')).code).toBe('ERR_TYPE_UNKNOWN');
    const reg = new TypeRegistry(['Date']);
    expect(parseType('list[Date]', { registry: reg })).toEqual({ kind: 'list', elem: { kind: 'nominal', name: 'Date' } });
    expect(() => reg.registerNominal('list')).toThrow(RangeError);
    expect(() => reg.registerNominal('a-b')).toThrow(TypeError);
  });
});

describe('bad input', () => {
  it('malformed signature names the column and the input', () => {
    const e = err(() => parseSignature('(int, float -> float'));
    expect(e.code).toBe('ERR_TYPE_PARSE');
    expect(e.message).toBe(`Expected ')' at column 12 in "(int, float -> float"`);
    expect(e.details).toMatchObject({ column: 12, input: '(int, float -> float' });
    expect(err(() => parseSignature('(int')).message).toBe(`Expected ')' at column 4 in "(int"`);
    expect(err(() => parseSignature('(int) float')).message).toBe(`Expected '->' at column 6 in "(int) float"`);
    expect(err(() => parseSignature('(int) -> float junk')).message).toBe(
      `Expected end of input at column 15 in "(int) -> float junk"`,
    );
    expect(err(() => parseType('enum[]')).message).toBe(`Expected a literal at column 5 in "enum[]"`);
    expect(err(() => parseType('list[int')).message).toBe(`Expected ']' at column 8 in "list[int"`);
    expect(err(() => parseType('{a: int, a: str}')).code).toBe('ERR_TYPE_PARSE');
    expect(err(() => parseSignature('(a: int, str) -> int')).message).toBe(
      `Expected a named parameter at column 9 in "(a: int, str) -> int"`,
    );
    expect(err(() => parseSignature('(a: int, a: str) -> int')).message).toMatch(/^Duplicate parameter "a" at column 9/);
    expect(err(() => parseType('%')).code).toBe('ERR_TYPE_PARSE');
  });

  it('unknown type', () => {
    const e = err(() => parseSignature('(int, Foo) -> int'));
    expect(e.code).toBe('ERR_TYPE_UNKNOWN');
    expect(e.message).toBe(`Unknown type "Foo" at column 6 in "(int, Foo) -> int"`);
  });

  it('wrong arity of a type constructor', () => {
    const e = err(() => parseType('dict[str]'));
    expect(e.code).toBe('ERR_TYPE_ARITY');
    expect(e.message).toBe(`Expected 2 type arguments to dict, got 1 at column 0 in "dict[str]"`);
    expect(err(() => parseType('(list[int, str])'.slice(1, -1))).message).toBe(
      `Expected 1 type argument to list, got 2 at column 0 in "list[int, str]"`,
    );
  });

  it('non-string input is a TypeError', () => {
    expect(() => parseType(42 as unknown as string)).toThrow(TypeError);
  });
});

const ident = fc.constantFrom('a', 'b', 'name', 'x_1', 'first-name', 'int');
const literal = fc.oneof(fc.constantFrom('red', 'x y', ''), fc.integer({ min: -5, max: 5 }), fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }), fc.boolean());
const { type: arbType } = fc.letrec<{ type: Type }>((tie) => ({
  type: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Type>(
      { kind: 'base', name: 'int' },
      { kind: 'base', name: 'str' },
      { kind: 'base', name: 'any' },
      { kind: 'unknown' },
      { kind: 'var', name: 'a' },
    ),
    tie('type').map((elem) => ({ kind: 'list', elem }) as Type),
    fc.tuple(tie('type'), tie('type')).map(([key, value]) => ({ kind: 'dict', key, value }) as Type),
    fc.array(tie('type'), { maxLength: 3 }).map((elems) => ({ kind: 'tuple', elems }) as Type),
    tie('type').map((inner) => ({ kind: 'optional', inner }) as Type),
    fc.uniqueArray(fc.record({ name: ident, type: tie('type'), optional: fc.boolean() }), { selector: (f) => f.name, maxLength: 3 }).map(
      (fields) => ({ kind: 'record', fields }) as Type,
    ),
    fc.array(literal, { minLength: 1, maxLength: 4 }).map((values) => ({ kind: 'enum', values }) as Type),
    fc.tuple(fc.array(tie('type'), { maxLength: 2 }), tie('type')).map(([params, result]) => ({ kind: 'callable', params, result }) as Type),
  ),
}));

describe('round trip (property)', () => {
  it('print is a fixed point of parse∘print', () => {
    fc.assert(
      fc.property(arbType, (t) => {
        const s = printType(t);
        expect(printType(parseType(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });
});
