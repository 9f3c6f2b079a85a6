/**
 * Structural validation of hand-built type ASTs (parsed ones are always well formed): every
 * node has a known kind, base names are base types, enums have at least one finite literal,
 * names are strings, optional flags are booleans.
 *
 * @example
 * ```ts
 * import { validateSignature } from 'cocoda';
 * validateSignature({ params: [], result: { kind: 'enum', values: [] } }); // TypeError: Expected "signature.result" to be an enum with at least one literal
 * ```
 */
import { BASE_TYPES, type Signature, type Type } from './ast.ts';
import { argError } from '../errors.ts';

const BASES: ReadonlySet<string> = new Set<string>(BASE_TYPES);

function bad(path: string, what: string, got?: unknown): TypeError {
  return (arguments.length >= 3 ? argError('type', path, what, got) : argError('type', path, what)) as TypeError;
}

/** Throws a TypeError naming the offending path unless `t` is a well-formed Type. */
export function validateType(t: unknown, path = 'type'): asserts t is Type {
  if (!t || typeof t !== 'object') throw bad(path, 'a Type node', t);
  const n = t as Type;
  switch (n.kind) {
    case 'unknown':
      return;
    case 'base':
      if (!BASES.has(n.name)) throw bad(`${path}.name`, 'a base type name', n.name);
      return;
    case 'nominal':
    case 'var':
      if (typeof n.name !== 'string' || n.name.length === 0) throw bad(`${path}.name`, 'a non-empty string', n.name);
      return;
    case 'list':
      return validateType(n.elem, `${path}.elem`);
    case 'optional':
      return validateType(n.inner, `${path}.inner`);
    case 'dict':
      validateType(n.key, `${path}.key`);
      return validateType(n.value, `${path}.value`);
    case 'tuple':
      if (!Array.isArray(n.elems)) throw bad(`${path}.elems`, 'an array', n.elems);
      n.elems.forEach((e, i) => validateType(e, `${path}.elems[${i}]`));
      return;
    case 'record':
      if (!Array.isArray(n.fields)) throw bad(`${path}.fields`, 'an array', n.fields);
      n.fields.forEach((f, i) => {
        if (!f || typeof f.name !== 'string') throw bad(`${path}.fields[${i}].name`, 'a string', f?.name);
        if (typeof f.optional !== 'boolean') throw bad(`${path}.fields[${i}].optional`, 'a boolean', f.optional);
        validateType(f.type, `${path}.fields[${i}].type`);
      });
      return;
    case 'enum':
      if (!Array.isArray(n.values) || n.values.length === 0) throw bad(path, 'an enum with at least one literal');
      n.values.forEach((v, i) => {
        const ok = typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
        if (!ok) throw bad(`${path}.values[${i}]`, 'a string, boolean or finite number', v);
      });
      return;
    case 'callable':
      if (!Array.isArray(n.params)) throw bad(`${path}.params`, 'an array', n.params);
      n.params.forEach((p, i) => validateType(p, `${path}.params[${i}]`));
      return validateType(n.result, `${path}.result`);
    default:
      throw bad(`${path}.kind`, 'a Type kind', (n as { kind: unknown }).kind);
  }
}

/** Throws a TypeError naming the offending path unless `s` is a well-formed Signature. */
export function validateSignature(s: unknown, path = 'signature'): asserts s is Signature {
  if (!s || typeof s !== 'object' || !Array.isArray((s as Signature).params)) throw bad(path, 'a Signature ({ params, result })', s);
  const sig = s as Signature;
  sig.params.forEach((p, i) => {
    if (!p || typeof p !== 'object') throw bad(`${path}.params[${i}]`, 'a Param', p);
    if (p.name !== undefined && typeof p.name !== 'string') throw bad(`${path}.params[${i}].name`, 'a string', p.name);
    if (typeof p.optional !== 'boolean') throw bad(`${path}.params[${i}].optional`, 'a boolean', p.optional);
    validateType(p.type, `${path}.params[${i}].type`);
  });
  validateType(sig.result, `${path}.result`);
}
