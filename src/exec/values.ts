/**
 * Plain data: the only values that cross the sandbox boundary (docs/sandbox.md).
 *
 * Plain data is `null`, booleans, strings, numbers (including `NaN`, `Infinity`, `-Infinity`;
 * `-0` arrives as `0`), dense arrays of plain data and plain objects (prototype `Object.prototype`
 * or `null`, string keys, data properties) of plain data, with no cycles and at most
 * {@link MAX_DEPTH} levels of nesting. A table is an array of row objects. Everything else —
 * `undefined`, functions, symbols, bigints, class instances (`Date`, `Map`, …), accessors, holes,
 * cyclic values — is rejected with an error naming where it was found.
 */
import { CocodaError } from '../errors.ts';

/** Deepest nesting accepted for a value crossing the boundary. */
export const MAX_DEPTH = 256;

function kindOf(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'bigint') return 'a bigint';
  if (typeof v === 'object' && v !== null) {
    const proto = Object.getPrototypeOf(v) as { constructor?: { name?: unknown } } | null;
    const name = proto && typeof proto.constructor?.name === 'string' ? proto.constructor.name : 'object';
    return `a ${name} instance`;
  }
  return typeof v;
}

/**
 * Where a value is not plain data: `undefined` when it is, else `{path, problem}` such as
 * `{path: 'args[1].when', problem: 'a Date instance'}`.
 */
export function findNonPlain(value: unknown, path = 'value'): { path: string; problem: string } | undefined {
  const ancestors = new Set<object>();
  const visit = (v: unknown, p: string, depth: number): { path: string; problem: string } | undefined => {
    switch (typeof v) {
      case 'number':
      case 'string':
      case 'boolean':
        return undefined;
      case 'object':
        break;
      default:
        return { path: p, problem: kindOf(v) };
    }
    if (v === null) return undefined;
    if (depth > MAX_DEPTH) return { path: p, problem: `nesting deeper than ${MAX_DEPTH} levels` };
    if (ancestors.has(v)) return { path: p, problem: 'a cyclic reference' };
    ancestors.add(v);
    try {
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return { path: p, problem: kindOf(v) };
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) return { path: `${p}[${i}]`, problem: 'a hole in a sparse array' };
          const bad = visit(v[i], `${p}[${i}]`, depth + 1);
          if (bad) return bad;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return { path: p, problem: kindOf(v) };
      for (const key of Reflect.ownKeys(v)) {
        if (typeof key === 'symbol') return { path: p, problem: 'a symbol-keyed property' };
        const d = Object.getOwnPropertyDescriptor(v, key)!;
        const kp = /^[A-Za-z_$][\w$]*$/.test(key) ? `${p}.${key}` : `${p}[${JSON.stringify(key)}]`;
        if (!('value' in d)) return { path: kp, problem: 'an accessor property' };
        if (!d.enumerable) return { path: kp, problem: 'a non-enumerable property' };
        const bad = visit(d.value, kp, depth + 1);
        if (bad) return bad;
      }
      return undefined;
    } finally {
      ancestors.delete(v);
    }
  };
  return visit(value, path, 0);
}

/** True when `value` is plain data (see the module comment). */
export function isPlainData(value: unknown): boolean {
  return findNonPlain(value) === undefined;
}

/**
 * Throws `ERR_EXEC_VALUE` naming the place when `value` is not plain data.
 * @param where how to name the value in the message, e.g. `tool "add": examples[0].args`
 */
export function assertPlainData(value: unknown, where: string, details?: Record<string, unknown>): void {
  const bad = findNonPlain(value, where);
  if (bad) {
    throw new CocodaError(`${bad.path} is ${bad.problem}, not plain data (null, boolean, number, string, array, plain object)`, 'ERR_EXEC_VALUE', {
      ...details,
      path: bad.path,
    });
  }
}

/**
 * Wire encoding between host and sandbox: JSON, with the non-finite numbers written as strings
 * tagged by a per-sandbox secret `marker` that code inside the sandbox cannot learn.
 */
export function encodeWire(value: unknown, marker: string): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'number' && !Number.isFinite(v)) return marker + (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf');
    return v;
  });
}

/** Inverse of {@link encodeWire}. Non-plain markers from traces decode to strings like `[function]`. */
export function decodeWire(text: string, marker: string): unknown {
  if (!text.includes(marker.slice(1))) return JSON.parse(text);
  return JSON.parse(text, (_k, v: unknown) => {
    if (typeof v === 'string' && v.startsWith(marker)) {
      const tag = v.slice(marker.length);
      if (tag === 'NaN') return NaN;
      if (tag === 'Inf') return Infinity;
      if (tag === '-Inf') return -Infinity;
      return `[${tag}]`;
    }
    return v;
  });
}

/** Tolerances of {@link plainEqual}. */
export interface EqualOptions {
  /** Relative tolerance for numbers (default 1e-9). */
  relTol?: number;
  /** Absolute tolerance for numbers (default 1e-9). */
  absTol?: number;
}

/**
 * Deep equality of plain data with a numeric tolerance: `NaN` equals `NaN`, infinities equal
 * themselves, finite numbers are equal within `max(absTol, relTol·max(|a|, |b|))`; arrays
 * element-wise; objects by key set (order ignored).
 *
 * @example
 * ```ts
 * plainEqual({ x: [0.1 + 0.2] }, { x: [0.3] }); // true
 * ```
 */
export function plainEqual(a: unknown, b: unknown, options: EqualOptions = {}): boolean {
  const rel = options.relTol ?? 1e-9;
  const abs = options.absTol ?? 1e-9;
  const eq = (x: unknown, y: unknown): boolean => {
    if (typeof x === 'number' && typeof y === 'number') {
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
      if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
      return Math.abs(x - y) <= Math.max(abs, rel * Math.max(Math.abs(x), Math.abs(y)));
    }
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return x === y;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x)) {
      const ya = y as unknown[];
      if (x.length !== ya.length) return false;
      for (let i = 0; i < x.length; i++) if (!eq(x[i], ya[i])) return false;
      return true;
    }
    const xo = x as Record<string, unknown>;
    const yo = y as Record<string, unknown>;
    const xk = Object.keys(xo);
    if (xk.length !== Object.keys(yo).length) return false;
    for (const k of xk) if (!Object.prototype.hasOwnProperty.call(yo, k) || !eq(xo[k], yo[k])) return false;
    return true;
  };
  return eq(a, b);
}

/** Short human rendering of a plain value for messages (non-finite numbers spelled out). */
export function showValue(value: unknown, max = 120): string {
  let s: string;
  try {
    s = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${v}` : v)) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}
