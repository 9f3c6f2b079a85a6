/**
 * Parser for the type language (syntax in ./ast.ts). Produces canonical ASTs: record fields sorted
 * by name, enum literals de-duplicated and sorted (see ./print.ts), so that
 * `printType(parseType(s))` is a fixed point of parse∘print.
 *
 * Errors are `CocodaError`s whose message names the 0-based column of the offending token (as
 * acorn reports columns) and quotes the input:
 *   `Expected ')' at column 12 in "(int, float -> float"`           code ERR_TYPE_PARSE
 *   `Unknown type "Foo" at column 1 in "(Foo) -> int"`                code ERR_TYPE_UNKNOWN
 *   `Expected 2 type arguments to dict, got 1 at column 0 in "dict[str]"`  code ERR_TYPE_ARITY
 *   `Type nested deeper than 64 levels at column 320 in "list[list[…"`  code ERR_TYPE_DEPTH
 * `details` carries `{ input, column, expected?, found? }`.
 *
 * @example
 * ```ts
 * import { parseSignature, printSignature } from 'cocoda';
 * const sig = parseSignature('(word: str, limit?: int) -> list[str]');
 * printSignature(sig); // '(word: str, limit?: int) -> list[str]'
 * ```
 */
import { BASE_TYPES, type BaseName, type Literal, type Param, type RecordField, type Signature, type Type } from './ast.ts';
import { CocodaError } from '../errors.ts';
import { defaultTypeRegistry, type TypeRegistry } from './registry.ts';
import { compareLiterals } from './print.ts';

export interface ParseOptions {
  /** Where nominal type names are looked up (default: {@link defaultTypeRegistry}). */
  registry?: TypeRegistry;
}

type TokKind = 'punct' | 'ident' | 'string' | 'number' | 'var' | 'eof';
interface Tok {
  kind: TokKind;
  text: string;
  pos: number;
  /** Decoded value for strings and numbers. */
  value?: string | number;
}

const BASE_SET: ReadonlySet<string> = new Set<string>(BASE_TYPES);
const PUNCT2 = ['->'];
const PUNCT1 = '()[]{},:?';
/**
 * Identifiers (type names, parameter and field names, variables): Unicode letters, digits and `_`
 * as in JavaScript identifiers (`año_vehiculo`, `日付`), starting with a letter or `_`.
 */
const IDENT = /[\p{ID_Start}_][\p{ID_Continue}\u200c\u200d]*/uy;

function quote(input: string): string {
  return JSON.stringify(input);
}

function fail(input: string, column: number, expected: string, found?: string): never {
  throw new CocodaError(`Expected ${expected} at column ${column} in ${quote(input)}`, 'ERR_TYPE_PARSE', {
    input,
    column,
    expected,
    found,
  });
}

function tokenize(input: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (PUNCT2.some((p) => input.startsWith(p, i))) {
      toks.push({ kind: 'punct', text: '->', pos: i });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(c)) {
      toks.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    IDENT.lastIndex = i;
    const id = IDENT.exec(input);
    if (id) {
      toks.push({ kind: 'ident', text: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    if (c === "'") {
      IDENT.lastIndex = i + 1;
      const v = IDENT.exec(input);
      if (!v) fail(input, i, 'a type variable name after "\'"');
      toks.push({ kind: 'var', text: input.slice(i, i + 1 + v[0].length), pos: i, value: v[0] });
      i += 1 + v[0].length;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && input[j] !== '"') j += input[j] === '\\' ? 2 : 1;
      if (j >= n) fail(input, n, "'\"' closing the string");
      const text = input.slice(i, j + 1);
      let value: string;
      try {
        value = JSON.parse(text) as string;
      } catch {
        fail(input, i, 'a valid JSON string');
      }
      toks.push({ kind: 'string', text, pos: i, value });
      i = j + 1;
      continue;
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      const m = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(input.slice(i));
      if (!m) fail(input, i, 'a number');
      const v = Number(m[0]);
      toks.push({ kind: 'number', text: m[0], pos: i, value: Object.is(v, -0) ? 0 : v });
      i += m[0].length;
      continue;
    }
    fail(input, i, 'a type', JSON.stringify(c));
  }
  toks.push({ kind: 'eof', text: 'end of input', pos: n });
  return toks;
}

const CONSTRUCTOR_ARITY: Record<string, number> = { list: 1, dict: 2, optional: 1 };

/**
 * Deepest nesting of types accepted (`list[list[…]]`, records, callables …). Every recursive walk
 * over types (printing, unification, subtyping, retrieval keys) is then bounded; a deeper type
 * is `ERR_TYPE_DEPTH`. Real signatures nest a handful of levels.
 */
export const MAX_TYPE_DEPTH = 64;

class Parser {
  private i = 0;
  private readonly toks: Tok[];
  constructor(
    private readonly input: string,
    private readonly registry: TypeRegistry,
  ) {
    this.toks = tokenize(input);
  }

  private peek(k = 0): Tok {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Tok {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isPunct(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === text;
  }
  private expect(text: string): Tok {
    if (!this.isPunct(text)) this.failHere(`'${text}'`);
    return this.next();
  }
  private failHere(expected: string): never {
    const t = this.peek();
    fail(this.input, t.pos, expected, t.text);
  }

  end(): void {
    if (this.peek().kind !== 'eof') this.failHere('end of input');
  }

  /** Is the token at offset k the start of `name:` or `name?:`? */
  private atParamName(): boolean {
    const t = this.peek();
    if (t.kind !== 'ident' && t.kind !== 'string') return false;
    if (this.isPunct(':', 1)) return true;
    return this.isPunct('?', 1) && this.isPunct(':', 2);
  }

  private name(): string {
    const t = this.peek();
    if (t.kind === 'ident') return this.next().text;
    if (t.kind === 'string') return this.next().value as string;
    this.failHere('a name');
  }

  signature(): Signature {
    this.expect('(');
    const params: Param[] = [];
    const seen = new Set<string>();
    let named: boolean | undefined;
    if (!this.isPunct(')')) {
      for (;;) {
        const start = this.peek();
        const isNamed = this.atParamName();
        if (named === undefined) named = isNamed;
        else if (named !== isNamed) this.failHere(named ? 'a named parameter' : 'a positional parameter');
        if (isNamed) {
          const name = this.name();
          if (seen.has(name)) {
            throw new CocodaError(
              `Duplicate parameter "${name}" at column ${start.pos} in ${quote(this.input)}`,
              'ERR_TYPE_PARSE',
              { input: this.input, column: start.pos },
            );
          }
          seen.add(name);
          let optional = false;
          if (this.isPunct('?')) {
            this.next();
            optional = true;
          }
          this.expect(':');
          params.push({ name, type: this.type(), optional });
        } else {
          const type = this.type();
          let optional = false;
          if (this.isPunct('?')) {
            this.next();
            optional = true;
          }
          params.push({ type, optional });
        }
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect(')');
    this.expect('->');
    const result = this.type();
    return { params, result };
  }

  private typeArgs(): { args: Type[]; pos: number } {
    const open = this.expect('[');
    const args: Type[] = [];
    if (!this.isPunct(']')) {
      for (;;) {
        args.push(this.type());
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect(']');
    return { args, pos: open.pos };
  }

  private depth = 0;

  type(): Type {
    if (this.depth >= MAX_TYPE_DEPTH) {
      const t = this.peek();
      const shown = this.input.length > 80 ? `${this.input.slice(0, 80)}…` : this.input;
      throw new CocodaError(`Type nested deeper than ${MAX_TYPE_DEPTH} levels at column ${t.pos} in ${quote(shown)}`, 'ERR_TYPE_DEPTH', {
        input: shown,
        column: t.pos,
        limit: MAX_TYPE_DEPTH,
      });
    }
    this.depth++;
    try {
      return this.typeAt();
    } finally {
      this.depth--;
    }
  }

  private typeAt(): Type {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '?') {
      this.next();
      return { kind: 'unknown' };
    }
    if (t.kind === 'var') {
      this.next();
      return { kind: 'var', name: t.value as string };
    }
    if (t.kind === 'punct' && t.text === '{') return this.record();
    if (t.kind !== 'ident') this.failHere('a type');
    const word = t.text;
    if (BASE_SET.has(word)) {
      this.next();
      return { kind: 'base', name: word as BaseName };
    }
    switch (word) {
      case 'list':
      case 'dict':
      case 'optional': {
        this.next();
        const { args } = this.typeArgs();
        const want = CONSTRUCTOR_ARITY[word]!;
        if (args.length !== want) {
          throw new CocodaError(
            `Expected ${want} type argument${want === 1 ? '' : 's'} to ${word}, got ${args.length} at column ${t.pos} in ${quote(this.input)}`,
            'ERR_TYPE_ARITY',
            { input: this.input, column: t.pos, constructor: word, expected: want, got: args.length },
          );
        }
        if (word === 'list') return { kind: 'list', elem: args[0]! };
        if (word === 'dict') return { kind: 'dict', key: args[0]!, value: args[1]! };
        return { kind: 'optional', inner: args[0]! };
      }
      case 'tuple': {
        this.next();
        return { kind: 'tuple', elems: this.typeArgs().args };
      }
      case 'enum': {
        this.next();
        return this.enumBody();
      }
      case 'callable': {
        this.next();
        this.expect('[');
        this.expect('(');
        const params: Type[] = [];
        if (!this.isPunct(')')) {
          for (;;) {
            params.push(this.type());
            if (this.isPunct(',')) {
              this.next();
              continue;
            }
            break;
          }
        }
        this.expect(')');
        this.expect('->');
        const result = this.type();
        this.expect(']');
        return { kind: 'callable', params, result };
      }
      default:
        break;
    }
    if (word === 'true' || word === 'false') this.failHere('a type');
    if (!this.registry.has(word)) {
      throw new CocodaError(`Unknown type "${word}" at column ${t.pos} in ${quote(this.input)}`, 'ERR_TYPE_UNKNOWN', {
        input: this.input,
        column: t.pos,
        name: word,
      });
    }
    this.next();
    return { kind: 'nominal', name: word };
  }

  private enumBody(): Type {
    this.expect('[');
    const values: Literal[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === 'string' || t.kind === 'number') values.push(this.next().value!);
      else if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) values.push(this.next().text === 'true');
      else this.failHere('a literal');
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      break;
    }
    this.expect(']');
    return { kind: 'enum', values: canonicalLiterals(values) };
  }

  private record(): Type {
    this.expect('{');
    const fields: RecordField[] = [];
    const seen = new Set<string>();
    if (!this.isPunct('}')) {
      for (;;) {
        const start = this.peek();
        if (start.kind !== 'ident' && start.kind !== 'string') this.failHere('a field name');
        const name = this.name();
        if (seen.has(name)) {
          throw new CocodaError(
            `Duplicate field "${name}" at column ${start.pos} in ${quote(this.input)}`,
            'ERR_TYPE_PARSE',
            { input: this.input, column: start.pos },
          );
        }
        seen.add(name);
        let optional = false;
        if (this.isPunct('?')) {
          this.next();
          optional = true;
        }
        this.expect(':');
        fields.push({ name, type: this.type(), optional });
        if (this.isPunct(',')) {
          this.next();
          continue;
        }
        break;
      }
    }
    this.expect('}');
    fields.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { kind: 'record', fields };
  }
}

/** Sorted, de-duplicated literals (the canonical enum order of ./print.ts). */
export function canonicalLiterals(values: readonly Literal[]): Literal[] {
  const out = [...values].map((v) => (Object.is(v, -0) ? 0 : v)).sort(compareLiterals);
  return out.filter((v, i) => i === 0 || compareLiterals(out[i - 1]!, v) !== 0);
}

function checkInput(name: string, s: unknown): string {
  if (typeof s !== 'string') throw new TypeError(`Expected "${name}" to be a string (got ${s === null ? 'null' : typeof s})`);
  return s;
}

/**
 * Parses one type, e.g. `dict[str, list[int]]`.
 * @throws CocodaError `ERR_TYPE_PARSE` / `ERR_TYPE_UNKNOWN` / `ERR_TYPE_ARITY`
 * @example
 * ```ts
 * parseType('optional[{name: str, age?: int}]');
 * ```
 */
export function parseType(input: string, options: ParseOptions = {}): Type {
  const p = new Parser(checkInput('input', input), options.registry ?? defaultTypeRegistry);
  const t = p.type();
  p.end();
  return t;
}

/**
 * Parses a signature `(T1, ..., Tn) -> T` or `(a: T1, b?: T2) -> T`. Parameters are all named or
 * all positional; a positional optional parameter is written `T?`.
 * @throws CocodaError `ERR_TYPE_PARSE` / `ERR_TYPE_UNKNOWN` / `ERR_TYPE_ARITY`
 * @example
 * ```ts
 * parseSignature('(float, float) -> float');
 * parseSignature("(xs: list['a], n?: int) -> 'a");
 * ```
 */
export function parseSignature(input: string, options: ParseOptions = {}): Signature {
  const p = new Parser(checkInput('input', input), options.registry ?? defaultTypeRegistry);
  const s = p.signature();
  p.end();
  return s;
}
