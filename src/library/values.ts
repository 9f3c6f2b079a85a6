/**
 * Example values (L4 `args` / `result`) as text: JSON in a small tagged encoding that is lossless
 * for JSON data plus NaN, ±Infinity, -0 and undefined (snapshots store examples this way).
 * Anything else (class instances, functions, BigInt, cycles) is rejected with a TypeError when a
 * record enters the library.
 *
 * @example
 * ```ts
 * encodeValue([1, NaN, { $ref: 2 }]); // '[1,{"$n":"NaN"},{"$o":{"$ref":2}}]'
 * ```
 */
import type { ToolExample } from './record.ts';

/** Encodes an example value as JSON text (see library.fbs). TypeError on unsupported values. */
export function encodeValue(v: unknown): string {
  return JSON.stringify(tag(v, '$', new Set()));
}

/** Deepest nesting of an example value (the sandbox's limit for values, src/exec/values.ts). */
export const MAX_EXAMPLE_DEPTH = 256;

function tag(v: unknown, path: string, seen: Set<object>): unknown {
  if (seen.size > MAX_EXAMPLE_DEPTH) throw new TypeError(`Expected "${path.length > 80 ? `${path.slice(0, 80)}…` : path}" to be nested at most ${MAX_EXAMPLE_DEPTH} levels deep`);
  if (v === undefined) return { $u: 1 };
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $n: 'NaN' };
    if (v === Infinity) return { $n: 'Infinity' };
    if (v === -Infinity) return { $n: '-Infinity' };
    if (Object.is(v, -0)) return { $n: '-0' };
    return v;
  }
  if (typeof v === 'object') {
    if (seen.has(v)) throw new TypeError(`Expected "${path}" to be acyclic plain data (it contains a cycle)`);
    seen.add(v);
    let out: unknown;
    if (Array.isArray(v)) {
      out = Array.from(v, (x, i) => tag(x, `${path}[${i}]`, seen));
    } else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new TypeError(`Expected "${path}" to be plain data (got ${(v as object).constructor?.name ?? 'an object'})`);
      const o: Record<string, unknown> = {};
      let dollar = false;
      for (const [k, x] of Object.entries(v)) {
        if (k.startsWith('$')) dollar = true;
        setOwn(o, k, tag(x, `${path}.${k}`, seen));
      }
      out = dollar ? { $o: o } : o;
    }
    seen.delete(v);
    return out;
  }
  throw new TypeError(`Expected "${path}" to be plain data (got ${typeof v})`);
}

/** Defines an own data property (plain assignment of "__proto__" would set the prototype instead). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/** Decodes {@link encodeValue}'s text. */
export function decodeValue(text: string): unknown {
  return untag(JSON.parse(text));
}

function untag(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untag);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    if (keys[0] === '$u') return undefined;
    if (keys[0] === '$n') return o.$n === '-0' ? -0 : Number(o.$n);
    if (keys[0] === '$o') {
      const inner = o.$o as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(inner)) setOwn(out, k, untag(x));
      return out;
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) setOwn(out, k, untag(o[k]));
  return out;
}

/** Checks that examples can be stored (throws TypeError naming the field otherwise). */
export function checkExamples(tool: string, examples: readonly ToolExample[]): void {
  examples.forEach((e, i) => {
    tag(e.args, `${tool}.examples[${i}].args`, new Set());
    tag(e.result, `${tool}.examples[${i}].result`, new Set());
  });
}

