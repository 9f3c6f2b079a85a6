/**
 * JSON-Schema import: OpenAI / BFCL-style tool specs (`name`, `description`, `parameters`,
 * optional `returns`) become L1/L2 records (DESIGN.md §1): a typed signature with named
 * parameters (optional where not `required`), the description, and tags. Imported tools have no
 * body (they are primitives, `origin: 'imported'`) and keep their original names, which need not
 * be JavaScript identifiers (`UberEats.get_menu`).
 *
 * The type mapping is the table in docs/library.md "JSON-Schema import". A spec that cannot be mapped
 * fails with a `CocodaError` naming the tool and the field path, e.g.
 * `tool "X": parameters.properties.y.type: unsupported type "foo"` (`ERR_SCHEMA_UNSUPPORTED`),
 * or `ERR_SCHEMA_INVALID` for a malformed spec. {@link importSchemas} collects such failures per
 * tool and never drops one silently.
 *
 * @example
 * ```ts
 * import { schemaToRecord } from 'cocoda';
 * schemaToRecord({ name: 'BookSearchAPI', description: 'Search books.', parameters: { type: 'dict',
 *   properties: { book_name: { type: 'string' }, author: { type: 'string' } }, required: ['book_name'] } });
 * // { name: 'BookSearchAPI', signature: '(book_name: str, author?: str) -> ?', origin: 'imported', ... }
 * ```
 */
import { CocodaError } from '../errors.ts';
import type { Literal, Param, RecordField, Signature, Type } from '../types/ast.ts';
import { printSignature } from '../types/print.ts';
import { MAX_TYPE_DEPTH } from '../types/parse.ts';
import { normalizeRecord, type ToolRecord } from './record.ts';
import type { AddFailure, ToolDag } from './dag.ts';
import { IDENTIFIER_RE } from './edges.ts';

export interface SchemaImportOptions {
  /** Tags added to every imported record (e.g. the source: `depthbench`). */
  tags?: readonly string[];
}

/** One spec that could not be imported. */
export interface ImportFailure {
  tool: string;
  error: CocodaError | TypeError | RangeError;
}

export interface SchemaImportResult {
  records: ToolRecord[];
  failed: ImportFailure[];
}

const STR: Type = { kind: 'base', name: 'str' };
const ANY: Type = { kind: 'base', name: 'any' };
const UNKNOWN: Type = { kind: 'unknown' };

/** JSON-Schema / Python type names → base types. */
const SCALARS: Record<string, Type> = {
  string: STR,
  str: STR,
  integer: { kind: 'base', name: 'int' },
  int: { kind: 'base', name: 'int' },
  number: { kind: 'base', name: 'float' },
  float: { kind: 'base', name: 'float' },
  double: { kind: 'base', name: 'float' },
  boolean: { kind: 'base', name: 'bool' },
  bool: { kind: 'base', name: 'bool' },
  null: { kind: 'base', name: 'none' },
  none: { kind: 'base', name: 'none' },
  any: ANY,
  bytes: { kind: 'base', name: 'bytes' },
  'pandas.DataFrame': { kind: 'base', name: 'DataFrame' },
  DataFrame: { kind: 'base', name: 'DataFrame' },
};
const OBJECTS = new Set(['dict', 'object']);
const ARRAYS = new Set(['array', 'list']);

type Json = Record<string, unknown>;

function isObj(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

class SchemaError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    readonly code: 'ERR_SCHEMA_UNSUPPORTED' | 'ERR_SCHEMA_INVALID',
  ) {
    super(`${path}: ${detail}`);
  }
}

/** Context for one spec: where we are (inputs or result) and the L3 notes collected on the way. */
interface Ctx {
  /** `returns`: properties without a `required` list are all present (a result describes what it yields). */
  inResult: boolean;
  notes: string[];
  /** Schema nesting depth of the node being mapped. */
  depth: number;
}

/** Deepest schema nesting imported: the type language's limit (src/types/parse.ts). */
export const MAX_SCHEMA_DEPTH = MAX_TYPE_DEPTH;

const CONSTRAINTS: Array<[key: string, render: (p: string, v: unknown) => string]> = [
  ['minimum', (p, v) => `${p} >= ${v}`],
  ['maximum', (p, v) => `${p} <= ${v}`],
  ['exclusiveMinimum', (p, v) => `${p} > ${v}`],
  ['exclusiveMaximum', (p, v) => `${p} < ${v}`],
  ['minLength', (p, v) => `${p}.length >= ${v}`],
  ['maxLength', (p, v) => `${p}.length <= ${v}`],
  ['minItems', (p, v) => `${p}.length >= ${v}`],
  ['maxItems', (p, v) => `${p}.length <= ${v}`],
  ['pattern', (p, v) => `${p} matches /${v}/`],
  ['format', (p, v) => `${p} is ${v}`],
];

/** Maps one schema node. `path` is the JSON path used in errors; `label` the argument path used in notes. */
function mapType(s: unknown, path: string, label: string, ctx: Ctx): Type {
  if (ctx.depth >= MAX_SCHEMA_DEPTH) {
    throw new SchemaError(shortPath(path), `nested deeper than ${MAX_SCHEMA_DEPTH} levels (the type language's limit)`, 'ERR_SCHEMA_UNSUPPORTED');
  }
  ctx.depth++;
  try {
    return mapTypeAt(s, path, label, ctx);
  } finally {
    ctx.depth--;
  }
}

/** A long JSON path shortened for messages: its start and its end. */
function shortPath(p: string): string {
  return p.length > 160 ? `${p.slice(0, 60)}…${p.slice(-90)}` : p;
}

function mapTypeAt(s: unknown, path: string, label: string, ctx: Ctx): Type {
  if (!isObj(s)) throw new SchemaError(path, 'expected a schema object', 'ERR_SCHEMA_INVALID');
  for (const [key, render] of CONSTRAINTS) {
    if (s[key] !== undefined && (typeof s[key] === 'number' || typeof s[key] === 'string')) ctx.notes.push(render(label, s[key]));
  }
  if (s.enum !== undefined) return mapEnum(s.enum, `${path}.enum`);
  let t = s.type;
  if (Array.isArray(t)) {
    // ["T", "null"] is optional[T]; other unions have no counterpart in the type language.
    const nonNull = t.filter((x) => x !== 'null');
    if (t.length === 2 && nonNull.length === 1 && typeof nonNull[0] === 'string') {
      return { kind: 'optional', inner: mapType({ ...s, type: nonNull[0] }, path, label, ctx) };
    }
    throw new SchemaError(`${path}.type`, `unsupported type union ${JSON.stringify(t)}`, 'ERR_SCHEMA_UNSUPPORTED');
  }
  if (t === undefined) {
    if (s.properties !== undefined) t = 'object';
    else if (s.items !== undefined) t = 'array';
    else return UNKNOWN;
  }
  if (typeof t !== 'string') throw new SchemaError(`${path}.type`, `expected a string, got ${JSON.stringify(t)}`, 'ERR_SCHEMA_INVALID');
  const scalar = SCALARS[t];
  if (scalar) return scalar;
  if (OBJECTS.has(t)) return mapObject(s, path, label, ctx);
  if (ARRAYS.has(t) || t === 'set') {
    if (Array.isArray(s.items)) return mapTuple(s.items, `${path}.items`, label, ctx);
    if (s.items === undefined) return { kind: 'list', elem: ANY };
    return { kind: 'list', elem: mapType(s.items, `${path}.items`, `${label}[]`, ctx) };
  }
  if (t === 'tuple') {
    const items = s.prefixItems ?? s.items;
    if (Array.isArray(items)) return mapTuple(items, `${path}.${s.prefixItems ? 'prefixItems' : 'items'}`, label, ctx);
    if (items !== undefined) return { kind: 'list', elem: mapType(items, `${path}.items`, `${label}[]`, ctx) };
    return { kind: 'list', elem: ANY };
  }
  if (t === 'callable') return { kind: 'callable', params: [UNKNOWN], result: UNKNOWN };
  throw new SchemaError(`${path}.type`, `unsupported type ${JSON.stringify(t)}`, 'ERR_SCHEMA_UNSUPPORTED');
}

function mapTuple(items: unknown[], path: string, label: string, ctx: Ctx): Type {
  return { kind: 'tuple', elems: items.map((it, i) => mapType(it, `${path}[${i}]`, `${label}[${i}]`, ctx)) };
}

function mapEnum(values: unknown, path: string): Type {
  if (!Array.isArray(values) || values.length === 0) throw new SchemaError(path, 'expected a non-empty array of literals', 'ERR_SCHEMA_INVALID');
  const lits: Literal[] = [];
  let nullable = false;
  values.forEach((v, i) => {
    if (v === null) nullable = true;
    else if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) lits.push(v);
    else throw new SchemaError(`${path}[${i}]`, `unsupported enum value ${JSON.stringify(v)} (literals must be strings, numbers or booleans)`, 'ERR_SCHEMA_UNSUPPORTED');
  });
  if (lits.length === 0) return { kind: 'base', name: 'none' };
  const e: Type = { kind: 'enum', values: lits };
  return nullable ? { kind: 'optional', inner: e } : e;
}

function mapObject(s: Json, path: string, label: string, ctx: Ctx): Type {
  const props = s.properties;
  if (props === undefined || (isObj(props) && Object.keys(props).length === 0)) {
    if (isObj(s.additionalProperties)) {
      return { kind: 'dict', key: STR, value: mapType(s.additionalProperties, `${path}.additionalProperties`, `${label}[*]`, ctx) };
    }
    return { kind: 'dict', key: STR, value: ANY };
  }
  if (!isObj(props)) throw new SchemaError(`${path}.properties`, 'expected an object', 'ERR_SCHEMA_INVALID');
  const required = readRequired(s, props, path);
  const allPresent = ctx.inResult && s.required === undefined;
  const fields: RecordField[] = Object.entries(props).map(([name, sub]) => ({
    name,
    type: mapType(sub, `${path}.properties.${name}`, label ? `${label}.${name}` : name, ctx),
    optional: !allPresent && !required.has(name),
  }));
  return { kind: 'record', fields };
}

function readRequired(s: Json, props: Json, path: string): Set<string> {
  if (s.required === undefined) return new Set();
  if (!Array.isArray(s.required)) throw new SchemaError(`${path}.required`, 'expected an array of property names', 'ERR_SCHEMA_INVALID');
  const out = new Set<string>();
  s.required.forEach((r, i) => {
    if (typeof r !== 'string') throw new SchemaError(`${path}.required[${i}]`, `expected a property name, got ${JSON.stringify(r)}`, 'ERR_SCHEMA_INVALID');
    if (!Object.prototype.hasOwnProperty.call(props, r)) throw new SchemaError(`${path}.required[${i}]`, `"${r}" is not a property`, 'ERR_SCHEMA_INVALID');
    out.add(r);
  });
  return out;
}

function toolError(tool: string, e: SchemaError): CocodaError {
  return new CocodaError(`tool "${tool}": ${e.message}`, e.code, { tool, field: e.path });
}

/**
 * The L1 signature of a spec, plus L3 notes from constraints (`minimum`, `format`, …).
 * @throws CocodaError `ERR_SCHEMA_UNSUPPORTED` / `ERR_SCHEMA_INVALID` naming the tool and field.
 */
export function schemaToSignature(spec: unknown, toolName?: string): { signature: Signature; notes: string[] } {
  const tool = toolName ?? (isObj(spec) && typeof spec.name === 'string' ? spec.name : '?');
  try {
    if (!isObj(spec)) throw new SchemaError('(spec)', 'expected an object', 'ERR_SCHEMA_INVALID');
    const ctx: Ctx = { inResult: false, notes: [], depth: 0 };
    const params: Param[] = [];
    const p = spec.parameters;
    if (p !== undefined) {
      if (!isObj(p)) throw new SchemaError('parameters', 'expected an object', 'ERR_SCHEMA_INVALID');
      if (p.type !== undefined && !(typeof p.type === 'string' && OBJECTS.has(p.type))) {
        throw new SchemaError('parameters.type', `expected "dict" or "object", got ${JSON.stringify(p.type)}`, 'ERR_SCHEMA_UNSUPPORTED');
      }
      const props = p.properties ?? {};
      if (!isObj(props)) throw new SchemaError('parameters.properties', 'expected an object', 'ERR_SCHEMA_INVALID');
      const required = readRequired(p, props, 'parameters');
      for (const [name, sub] of Object.entries(props)) {
        params.push({ name, type: mapType(sub, `parameters.properties.${name}`, name, ctx), optional: !required.has(name) });
      }
    }
    let result: Type = UNKNOWN;
    if (spec.returns !== undefined) {
      ctx.inResult = true;
      const notesBefore = ctx.notes.length;
      result = mapType(spec.returns, 'returns', 'result', ctx);
      ctx.notes.length = notesBefore; // constraints on results are not preconditions
    }
    return { signature: { params, result }, notes: ctx.notes };
  } catch (e) {
    if (e instanceof SchemaError) throw toolError(tool, e);
    throw e;
  }
}

/**
 * Converts one spec into a record (L1 signature, L2 description + tags, L3 conditions from
 * constraints; no body, origin `imported`).
 * @param key the name the spec is filed under in a dict-shaped file (must match `spec.name` when both exist)
 * @throws CocodaError `ERR_SCHEMA_UNSUPPORTED` / `ERR_SCHEMA_INVALID`
 */
export function schemaToRecord(spec: unknown, options: SchemaImportOptions = {}, key?: string): ToolRecord {
  const label = key ?? (isObj(spec) && typeof spec.name === 'string' ? spec.name : '?');
  if (!isObj(spec)) throw toolError(label, new SchemaError('(spec)', 'expected an object', 'ERR_SCHEMA_INVALID'));
  const name = spec.name ?? key;
  if (typeof name !== 'string' || name.trim() === '') throw toolError(label, new SchemaError('name', 'expected a non-empty string', 'ERR_SCHEMA_INVALID'));
  if (key !== undefined && name !== key) throw toolError(key, new SchemaError('name', `"${name}" does not match its key "${key}"`, 'ERR_SCHEMA_INVALID'));
  if (spec.description !== undefined && typeof spec.description !== 'string') {
    throw toolError(name, new SchemaError('description', 'expected a string', 'ERR_SCHEMA_INVALID'));
  }
  const { signature, notes } = schemaToSignature(spec, name);
  const tags = [...(options.tags ?? [])];
  const dot = name.indexOf('.');
  if (dot > 0) tags.push(name.slice(0, dot));
  // Preconditions the sandbox can check: numeric bounds on top-level parameters with identifier names.
  const pre: string[] = [];
  for (const prm of signature.params) {
    if (!prm.name || !IDENTIFIER_RE.test(prm.name)) continue;
    const p = (spec.parameters as Json).properties as Json;
    const sub = p[prm.name] as Json;
    const bounds: string[] = [];
    if (typeof sub.minimum === 'number') bounds.push(`${prm.name} >= ${sub.minimum}`);
    if (typeof sub.maximum === 'number') bounds.push(`${prm.name} <= ${sub.maximum}`);
    if (bounds.length === 0) continue;
    const b = bounds.join(' && ');
    pre.push(prm.optional ? `(${prm.name} === undefined || ${b})` : b);
  }
  return normalizeRecord({
    name,
    signature: printSignature(signature),
    description: (spec.description ?? '').trim(),
    tags: [...new Set(tags)],
    pre: pre.join(' && '),
    conditions: notes.join('; '),
    origin: 'imported',
  });
}

/** Specs in either shape: an array of specs, or a dict keyed by tool name (the DepthBench files). */
function entries(specs: unknown): Array<{ key?: string; spec: unknown; label: string }> {
  if (Array.isArray(specs)) {
    return specs.map((spec, i) => ({ spec, label: isObj(spec) && typeof spec.name === 'string' ? spec.name : `#${i}` }));
  }
  if (isObj(specs)) {
    // A single spec object (has `parameters` or `name` + `description` and no nested specs).
    if (typeof specs.name === 'string' && (isObj(specs.parameters) || specs.parameters === undefined) && !Object.values(specs).some((v) => isObj(v) && isObj((v as Json).parameters))) {
      return [{ spec: specs, label: specs.name }];
    }
    return Object.entries(specs).map(([key, spec]) => ({ key, spec, label: key }));
  }
  throw new TypeError(`Expected "specs" to be an array of tool specs or an object keyed by tool name (got ${specs === null ? 'null' : typeof specs})`);
}

/**
 * Converts many specs; every spec ends up in `records` or in `failed` (with an error naming the
 * tool and the field), in input order.
 */
export function importSchemas(specs: unknown, options: SchemaImportOptions = {}): SchemaImportResult {
  const records: ToolRecord[] = [];
  const failed: ImportFailure[] = [];
  for (const { key, spec, label } of entries(specs)) {
    try {
      records.push(schemaToRecord(spec, options, key));
    } catch (err) {
      if (err instanceof CocodaError || err instanceof TypeError || err instanceof RangeError) failed.push({ tool: label, error: err });
      else throw err;
    }
  }
  return { records, failed };
}

/**
 * Imports specs into a library version: converts them ({@link importSchemas}), then adds every
 * convertible one with {@link ToolDag.addEach} (duplicates and other library errors are reported
 * per tool). Returns the new version (or the same one when nothing was imported).
 *
 * @example
 * ```ts
 * const specs = JSON.parse(readFileSync('tools.json', 'utf8'));
 * const { dag, imported, failed } = importSchemasInto(ToolDag.empty(), specs, { tags: ['depthbench'] });
 * ```
 */
export function importSchemasInto(
  dag: ToolDag,
  specs: unknown,
  options: SchemaImportOptions = {},
): { dag: ToolDag; imported: string[]; failed: Array<ImportFailure | AddFailure> } {
  const conv = importSchemas(specs, options);
  const res = dag.addEach(conv.records);
  return { dag: res.dag, imported: res.added, failed: [...conv.failed, ...res.failed] };
}
