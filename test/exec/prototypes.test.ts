/**
 * Independent check of the sandbox's freezing (docs/sandbox.md): starting from the
 * context's global object and from syntax, walk everything reachable — properties, accessors,
 * prototypes — and also everything reachable by *calling*: construct every reachable function,
 * call every method of the instances (and of what those return, three levels deep). Every
 * intrinsic found (anything not created by the walk itself) and every prototype of anything the
 * walk created must be frozen. This is how the Intl.Segmenter prototypes (reachable only through
 * instances) were found unfrozen; the runner's list of instance-only intrinsics must cover every
 * such object this walk can reach.
 */
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { createToolContext } = require('../../src/exec/runner.cjs') as {
  createToolContext: (nonce: string, maxTrace: number) => { context: vm.Context; rt: unknown };
};

/** Runs inside the context; returns what is not frozen. Stringified: closes over nothing. */
function walker(): { intrinsics: number; probes: number; hidden: string[]; unfrozen: string[] } {
  'use strict';
  const G = globalThis as any;
  const { isFrozen, getPrototypeOf, getOwnPropertyDescriptor } = Object;
  const ownKeys = Reflect.ownKeys;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const mine = new WeakSet<object>(); // created by this walk: not asserted, only probed
  const own = new WeakSet<object>(); // created by this walk's own syntax
  const seen = new Set<unknown>();
  const unfrozen: string[] = [];
  const hidden = new Set<string>();
  const probedKinds = new Map<unknown, number>();
  const queue: Array<{ o: any; path: string; depth: number }> = [];
  const isObj = (x: unknown): x is object => (typeof x === 'object' || typeof x === 'function') && x !== null;
  const push = (o: unknown, path: string, depth: number) => {
    if (isObj(o) && !seen.has(o) && o !== G) queue.push({ o, path, depth });
  };
  const ARGS: unknown[][] = [[], ['a'], [0], [(x: unknown) => x], ['a', 'b']];
  let probes = 0;
  const MAX_PROBES = 200000;
  const PromiseThen = G.Promise.prototype.then;
  const fresh = (x: unknown, path: string, depth: number) => {
    if (!isObj(x) || seen.has(x)) return;
    if (x instanceof G.Promise) {
      try { apply(PromiseThen, x, [undefined, () => undefined]); } catch { /* */ } // no unhandled rejections
    }
    if (!isIntrinsicCandidate(x)) mine.add(x);
    push(x, path, depth);
  };
  // Objects that existed before this walk started are intrinsics; anything else was made by a probe.
  const before = new WeakSet<object>();
  const isIntrinsicCandidate = (x: object) => before.has(x);
  // Pass 1: the plain property/prototype closure from the global and syntax (all intrinsics).
  const syntax: unknown[] = [
    function* () {}, async function () {}, async function* () {}, class {}, () => 1, /a/g, [], {}, 'a', 1, true, Symbol('s'), 1n,
    (function () { return arguments; })(), ((s: TemplateStringsArray) => s)`x`,
  ];
  const closure: object[] = [];
  const stack: unknown[] = [...ownKeys(G).flatMap((k) => { const d = getOwnPropertyDescriptor(G, k)!; return [d.value, d.get, d.set]; }), getPrototypeOf(G)];
  for (const s of syntax) stack.push(getPrototypeOf(Object(s)));
  while (stack.length) {
    const o = stack.pop();
    if (!isObj(o) || before.has(o) || o === G) continue;
    before.add(o);
    closure.push(o);
    stack.push(getPrototypeOf(o));
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (d) stack.push(d.value, d.get, d.set);
    }
  }
  for (const o of closure) push(o, typeof o === 'function' ? `fn ${String((o as any).name)}` : Object.prototype.toString.call(o), 0);
  // The walk's own syntax objects and what hangs off them (a class's prototype) are its own.
  const ownStack: unknown[] = [...syntax, ...ARGS.flat()];
  while (ownStack.length) {
    const o = ownStack.pop();
    if (!isObj(o) || before.has(o) || own.has(o)) continue;
    own.add(o);
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (d) ownStack.push(d.value);
    }
  }
  for (const s of syntax) if (isObj(s)) fresh(s, 'syntax', 1);

  while (queue.length) {
    const { o, path, depth } = queue.shift()!;
    if (seen.has(o)) continue;
    seen.add(o);
    if (!mine.has(o) && !isFrozen(o)) unfrozen.push(path);
    // prototypes of anything (ours or not) are intrinsics
    const p = getPrototypeOf(o);
    // Whatever something inherits from must be frozen, unless this walk's own syntax made it
    // (a class's prototype). A probe's result may be an intrinsic (the __proto__ getter returns
    // one), so "made by a probe" never excuses a prototype.
    if (isObj(p) && !own.has(p) && !isFrozen(p)) unfrozen.push(`[[Prototype]] of ${path} (${Object.prototype.toString.call(p)})`);
    if (isObj(p) && !seen.has(p)) {
      // A prototype the property walk did not find is an instance-only intrinsic (such as
      // %SegmentsPrototype%): it must be frozen like the others.
      if (!before.has(p) && !mine.has(p)) hidden.add(Object.prototype.toString.call(p));
      push(p, `${path}.[[Prototype]]`, depth);
    }
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (!d) continue;
      const kp = `${path}.${String(k)}`;
      for (const v of [d.value, d.get, d.set]) {
        if (!isObj(v)) continue;
        if (mine.has(o) && !before.has(v)) fresh(v, kp, depth);
        else push(v, kp, depth);
      }
    }
    if (depth >= 4 || probes > MAX_PROBES) continue;
    // Probe: construct functions, call methods found on the prototype chain with `o` as receiver.
    if (typeof o === 'function') {
      for (const args of ARGS) {
        probes++;
        try { fresh(construct(o, args), `new ${path}(${args.length})`, depth + 1); } catch { /* not a constructor / bad args */ }
        probes++;
        try { fresh(apply(o, undefined, args), `${path}(${args.length})`, depth + 1); } catch { /* */ }
      }
    }
    const kin = (probedKinds.get(p) ?? 0) + 1; // probe at most 3 instances of each prototype
    probedKinds.set(p, kin);
    if (mine.has(o) && kin <= 3) {
      for (let q = getPrototypeOf(o); isObj(q); q = getPrototypeOf(q)) {
        for (const k of ownKeys(q)) {
          const d = getOwnPropertyDescriptor(q, k)!;
          const fns = [d.value, d.get].filter((f) => typeof f === 'function');
          for (const f of fns) {
            for (const args of ARGS) {
              probes++;
              try { fresh(apply(f, o, args), `${path}.${String(k)}(${args.length})`, depth + 1); } catch { /* */ }
            }
          }
        }
      }
    }
  }
  return { intrinsics: closure.length, probes, hidden: [...hidden].sort(), unfrozen: [...new Set(unfrozen)].slice(0, 40) };
}

describe('sandbox context: every reachable intrinsic is frozen', () => {
  it('finds nothing unfrozen by property walk or by calling what it reaches', () => {
    const { context } = createToolContext('0123456789abcdef01234567', 100);
    const res = vm.runInContext(`(${walker.toString()})()`, context, { timeout: 60_000 }) as ReturnType<typeof walker>;
    expect(res.intrinsics).toBeGreaterThan(500);
    expect(res.probes).toBeGreaterThan(1000);
    expect(res.probes).toBeLessThan(200000); // finished, not cut off
    // The walk does reach the instance-only prototypes (so it would see them unfrozen).
    expect(res.hidden).toEqual(expect.arrayContaining(['[object Array Iterator]', '[object Segmenter String Iterator]', '[object RegExp String Iterator]']));
    expect(res.unfrozen).toEqual([]);
  }, 90_000);

  it('has no RegExp legacy statics, and stack traces show no runner frames', () => {
    const { context } = createToolContext('0123456789abcdef01234567', 100);
    const out = vm.runInContext(
      `/(se)cret/.exec('secret');
       [Object.getOwnPropertyNames(RegExp).sort().join(','), typeof RegExp.$1, typeof RegExp.lastMatch, Object.isFrozen(Error), new Error('x').stack]`,
      context,
    ) as [string, string, string, boolean, string];
    expect(out[0]).toBe('length,name,prototype');
    expect(out[1]).toBe('undefined');
    expect(out[2]).toBe('undefined');
    expect(out[3]).toBe(true);
    expect(out[4]).toBe('Error: x');
  });
});
