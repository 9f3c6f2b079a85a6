/**
 * Nominal types. A type name that is neither a base type nor a constructor keyword is an error
 * unless it has been registered as nominal in the {@link TypeRegistry} the parser is given
 * (by default {@link defaultTypeRegistry}, one per process). A nominal type is a subtype only of
 * itself, `any` and the unknown type `?`.
 *
 * Scoping: pass your own registry (`parseSignature(s, { registry })`) to keep a library's nominal
 * types apart from the process-wide default; `new TypeRegistry(defaultTypeRegistry.names())`
 * extends the default.
 *
 * @example
 * ```ts
 * import { TypeRegistry, parseSignature } from 'cocoda';
 * const reg = new TypeRegistry(['Date']);
 * parseSignature('(Date) -> str', { registry: reg });
 * ```
 */
import { BASE_TYPES } from './ast.ts';
import { argError } from '../errors.ts';

/** Identifiers the type syntax reserves: base types, constructors and literal keywords. */
export const RESERVED_TYPE_WORDS: ReadonlySet<string> = new Set<string>([
  ...BASE_TYPES,
  'list',
  'dict',
  'tuple',
  'optional',
  'enum',
  'callable',
  'true',
  'false',
]);

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class TypeRegistry {
  readonly #names = new Set<string>();

  constructor(names?: Iterable<string>) {
    if (names) for (const n of names) this.registerNominal(n);
  }

  /** Registers `name` as a nominal type (idempotent). Throws a TypeError for a reserved word or a non-identifier. */
  registerNominal(name: string): this {
    if (typeof name !== 'string' || !IDENT.test(name)) throw argError('type', 'name', 'an identifier', name);
    if (RESERVED_TYPE_WORDS.has(name)) throw argError('range', 'name', 'not a reserved type word', name);
    this.#names.add(name);
    return this;
  }

  has(name: string): boolean {
    return this.#names.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#names].sort();
  }
}

/** The process-wide registry the parser uses when none is passed. */
export const defaultTypeRegistry = new TypeRegistry();

/** Registers a nominal type in `registry` (default: {@link defaultTypeRegistry}). */
export function registerNominal(name: string, registry: TypeRegistry = defaultTypeRegistry): void {
  registry.registerNominal(name);
}
