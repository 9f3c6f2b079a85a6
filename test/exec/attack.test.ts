/**
 * The sandbox attack suite (docs/sandbox.md): every attack is stopped and reported
 * as an outcome with a reason, the host process is untouched, and later calls still work.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProgram, type ExecTool } from '../../src/exec/program.ts';
import { Sandbox, type CallOutcome } from '../../src/exec/sandbox.ts';

const TOOLS: Record<string, string> = {
  add: 'function add(a, b) { return a + b; }',
  // infinite loops
  spin: 'function spin() { for (;;) {} }',
  spin_catch: 'function spin_catch() { for (;;) { try { throw 1; } catch (e) { continue; } } }',
  regex_bomb: 'function regex_bomb() { return /^(a+)+$/.test("a".repeat(40) + "!"); }',
  micro_loop: 'function micro_loop() { let p = Promise.resolve(); const f = () => { p = p.then(f); }; f(); return 1; }',
  micro_spin: 'function micro_spin() { Promise.resolve().then(() => { for (;;) {} }); return 2; }',
  returns_promise: 'function returns_promise() { return Promise.resolve(1); }',
  micro_slow: 'function micro_slow() { Promise.resolve().then(() => { const t = Date.now(); while (Date.now() - t < 3000); }); return 3; }',
  micro_async: 'function micro_async() { (async () => { await null; for (;;) {} })(); return 4; }',
  // memory
  alloc_push: 'function alloc_push() { const a = []; for (;;) a.push({ x: [1, 2, 3] }); }',
  alloc_sparse: 'function alloc_sparse() { const a = []; a.length = 2 ** 32 - 1; a.fill(0); return 1; }',
  alloc_string: 'function alloc_string() { let s = "x"; for (;;) s = s + s; }',
  alloc_buffer: 'function alloc_buffer() { return new ArrayBuffer(2 ** 31).byteLength; }',
  // throws
  throws: 'function throws(x) { throw new Error("bad input " + x); }',
  throws_value: 'function throws_value() { throw { code: 42 }; }',
  throws_getter: 'function throws_getter() { throw { get message() { for (;;) {} } }; }',
  custom_error: 'function custom_error() { const e = new Error("boom"); e.name = "DomainError"; throw e; }',
  // recursion
  deep: 'function deep() { const r = (k) => r(k + 1) + 1; return r(0); }',
  deep_catch: 'function deep_catch() { const r = (k) => { try { return r(k + 1) + 1; } catch (e) { return r(k + 1); } }; return r(0); }',
  // prototype pollution and intrinsic tampering
  pollute: 'function pollute() { Object.prototype.polluted = "yes"; return 1; }',
  pollute_proto: 'function pollute_proto() { ({}).__proto__.polluted = "yes"; return 1; }',
  pollute_define: 'function pollute_define() { Object.defineProperty(Array.prototype, "polluted", { value: 1 }); return 1; }',
  tamper_builtin: 'function tamper_builtin() { Math.max = () => 0; return 1; }',
  tamper_json: 'function tamper_json() { JSON.parse = () => ({}); return 1; }',
  tamper_tool: 'function tamper_tool() { add.cache = 1; return 1; }',
  tamper_global: 'function tamper_global() { leaked = 1; return 1; }',
  probe_pollution: `function probe_pollution() {
    return [({}).polluted === undefined, [].polluted === undefined, Math.max(1, 2) === 2, typeof JSON.parse('{}'), add.cache === undefined];
  }`,
  arg_proto: 'function arg_proto(o) { return [Object.keys(o), ({}).polluted === undefined, Object.getPrototypeOf(o) === Object.prototype]; }',
  override_ok: 'function override_ok() { const o = {}; o.toString = () => "custom"; return String(o); }',
  // escapes
  probe_globals: `function probe_globals() {
    return [typeof process, typeof require, typeof module, typeof setTimeout, typeof setInterval, typeof setImmediate,
      typeof queueMicrotask, typeof fetch, typeof WebAssembly, typeof SharedArrayBuffer, typeof ArrayBuffer,
      typeof Atomics, typeof console, typeof Buffer, typeof globalThis, typeof global, typeof self, typeof eval,
      typeof performance, typeof XMLHttpRequest, typeof WebSocket];
  }`,
  ctor_escape: 'function ctor_escape() { return [].constructor.constructor("return typeof process")(); }',
  fn_escape: 'function fn_escape() { return Function("return process")(); }',
  this_escape: 'function this_escape() { return (function () { return typeof this; })(); }',
  gen_escape: 'function gen_escape() { const G = Object.getPrototypeOf(function* () {}).constructor; return G("yield process")().next().value; }',
  stack_escape: `function stack_escape() {
    try { Error.prepareStackTrace = (e, frames) => frames; } catch (e) { return 'frozen:' + e.message; }
    return 'assigned';
  }`,
  add_ref: 'function add_ref() { return add.constructor.constructor("return process")(); }',
  reach_all: `function reach_all() {
    // Walk every object reachable from the standard globals, the tool wrapper and syntax:
    // everything must belong to this context (instanceof its Object/Function) and be frozen.
    const roots = [Object, Function, Array, Number, String, Boolean, Symbol, Date, Promise, RegExp, Error, TypeError,
      RangeError, SyntaxError, JSON, Math, Intl, Map, Set, WeakMap, WeakSet, Proxy, Reflect, BigInt, parseInt,
      parseFloat, isNaN, isFinite, decodeURI, encodeURIComponent, add];
    // Objects made by this call are its own (not frozen); what they inherit from must be.
    const fresh = [function* () {}, async function () {}, [][Symbol.iterator](), new Map().entries(), 'a'.matchAll(/a/g)];
    fresh.push(fresh[0].prototype);
    roots.push(...fresh);
    const seen = new Set();
    let foreign = 0, unfrozen = [], count = 0;
    while (roots.length) {
      const o = roots.pop();
      if ((typeof o !== 'object' && typeof o !== 'function') || o === null || seen.has(o)) continue;
      seen.add(o);
      count++;
      if (!(o instanceof Object) && Object.getPrototypeOf(o) !== null) foreign++;
      if (typeof o === 'function' && o !== Function.prototype && !(o instanceof Function)) foreign++;
      if (!Object.isFrozen(o) && !fresh.includes(o)) unfrozen.push(String(typeof o === 'function' ? o.name : Object.prototype.toString.call(o)));
      roots.push(Object.getPrototypeOf(o));
      for (const k of Reflect.ownKeys(o)) {
        const d = Object.getOwnPropertyDescriptor(o, k);
        roots.push(d.value, d.get, d.set);
      }
    }
    return { count, foreign, unfrozen: unfrozen.slice(0, 20) };
  }`,
  // values
  ret_fn: 'function ret_fn() { return () => 1; }',
  ret_undef: 'function ret_undef() { }',
  ret_date: 'function ret_date() { return { when: new Date(0) }; }',
  ret_map: 'function ret_map() { return [new Map()]; }',
  ret_cyclic: 'function ret_cyclic() { const o = { a: 1 }; o.self = o; return o; }',
  ret_symbol: 'function ret_symbol() { return { s: Symbol("x") }; }',
  ret_sparse: 'function ret_sparse() { return [1, , 3]; }',
  ret_class: 'function ret_class() { class P { constructor() { this.x = 1; } } return new P(); }',
  ret_getter: 'function ret_getter() { return { get x() { return 1; } }; }',
  ret_bigint: 'function ret_bigint() { return 10n; }',
  echo: 'function echo(x) { return x; }',
  big_result: 'function big_result(n) { return "x".repeat(n); }',
};

const program = compileProgram(Object.entries(TOOLS).map(([name, body]): ExecTool => ({ name, body })));

let sb: Sandbox;
beforeAll(() => {
  // Generous default limit (the machine may be loaded); attacks that must time out use 400 ms.
  sb = new Sandbox({ timeoutMs: 5000, memoryMb: 64, maxOutcomeChars: 1 << 20 });
});
afterAll(async () => {
  await sb.close();
});

const SPINNERS = new Set(['spin', 'spin_catch', 'regex_bomb', 'alloc_push', 'alloc_sparse', 'throws_getter', 'deep_catch', 'micro_loop', 'micro_spin', 'micro_async']);

async function call(tool: string, args: unknown[] = []): Promise<CallOutcome> {
  return sb.call(program, tool, args, SPINNERS.has(tool) ? { timeoutMs: 400 } : {});
}

/** After every attack: the host is intact and the sandbox still computes. */
async function stillWorks(): Promise<void> {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(typeof process.exit).toBe('function');
  const o = await call('add', [2, 3]);
  expect(o).toMatchObject({ ok: true, result: 5 });
}

describe('sandbox attack suite', () => {
  it('stops a synchronous infinite loop by wall time and keeps going', async () => {
    for (const tool of ['spin', 'spin_catch', 'regex_bomb']) {
      const t0 = performance.now();
      const o = await call(tool);
      expect(o.ok).toBe(false);
      expect(o.error).toMatchObject({ code: 'ERR_EXEC_TIMEOUT', tool });
      expect(o.error!.message).toMatch(/did not return within 400 ms/);
      expect(performance.now() - t0).toBeLessThan(5000);
      await stillWorks();
    }
  });

  it('runs the Promise jobs a call queues right after it, charged to that call; Promises are rejected', async () => {
    // A job loop is the queuing call's own timeout, never another call's.
    for (const tool of ['micro_loop', 'micro_spin', 'micro_async']) {
      expect(await call(tool)).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_TIMEOUT', tool } });
      const t0 = performance.now();
      await stillWorks();
      expect(performance.now() - t0).toBeLessThan(4000); // nothing left spinning (a respawn may be needed)
    }
    expect(await call('returns_promise')).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_ASYNC' } });
    await stillWorks();
    // In a batch, the call whose jobs never finish is found; the others keep their results.
    const outs = await sb.run(program, [{ tool: 'add', args: [1, 1] }, { tool: 'micro_spin', args: [] }, { tool: 'add', args: [2, 2] }], { timeoutMs: 400 });
    expect(outs.map((o) => (o.ok ? o.result : o.error!.code))).toEqual([2, 'ERR_EXEC_TIMEOUT', 4]);
    expect(outs[1]!.error!.message).toMatch(/micro_spin" left Promise jobs that did not finish within 400 ms/);
  });

  it('leaves no Promise job behind to stall the next program compile (a different tool)', async () => {
    expect(await call('micro_slow')).toMatchObject({ ok: true, result: 3 });
    // A program this sandbox has not compiled yet: compiling it used to run micro_slow's job first.
    const other = compileProgram([{ name: 'fresh_tool', body: `function fresh_tool() { return ${Date.now() % 1000}; }` }]);
    const t0 = performance.now();
    const o = await sb.call(other, 'fresh_tool', []);
    expect(o.ok).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2500); // the 3 s job ran inside micro_slow, not here
  });

  it('stops allocation bombs at the memory limit (on- and off-heap)', async () => {
    const rss0 = process.memoryUsage().rss;
    for (const tool of ['alloc_push', 'alloc_sparse']) {
      const o = await call(tool);
      expect(o.ok).toBe(false);
      expect(['ERR_EXEC_MEMORY', 'ERR_EXEC_TIMEOUT']).toContain(o.error!.code);
      await stillWorks();
    }
    expect(await call('alloc_string')).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_THROW', message: expect.stringMatching(/Invalid string length/) } });
    // ArrayBuffer backing stores live outside the V8 heap, so the constructor is not there at all.
    expect(await call('alloc_buffer')).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_THROW', message: expect.stringMatching(/ArrayBuffer is not defined/) } });
    await stillWorks();
    expect(process.memoryUsage().rss - rss0).toBeLessThan(100 * 1024 * 1024);
  });

  it('reports an allocation bomb as a memory kill when the time limit is generous', async () => {
    const roomy = new Sandbox({ timeoutMs: 20_000, memoryMb: 48 });
    try {
      const o = await roomy.call(program, 'alloc_push', []);
      expect(o).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_MEMORY', tool: 'alloc_push', message: expect.stringMatching(/memory limit \(48 MB\)/) } });
      expect(await roomy.call(program, 'add', [1, 2])).toMatchObject({ ok: true, result: 3 });
      expect(roomy.stats.memoryKills).toBe(1);
    } finally {
      await roomy.close();
    }
  });

  it('reports thrown errors with the message, the tool and a code', async () => {
    expect(await call('throws', [7])).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_THROW', message: 'bad input 7', tool: 'throws' } });
    expect(await call('throws_value')).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_THROW', message: 'threw a non-Error value: {"code":42}' } });
    expect(await call('custom_error')).toMatchObject({ ok: false, error: { message: 'DomainError: boom' } });
    const g = await call('throws_getter');
    expect(g.ok).toBe(false);
    expect(['ERR_EXEC_TIMEOUT', 'ERR_EXEC_THROW']).toContain(g.error!.code);
    await stillWorks();
  });

  it('stops deep recursion', async () => {
    expect(await call('deep')).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_STACK' } });
    const o = await call('deep_catch');
    expect(o.ok).toBe(false);
    expect(['ERR_EXEC_STACK', 'ERR_EXEC_TIMEOUT']).toContain(o.error!.code);
    await stillWorks();
  });

  it('refuses prototype pollution and intrinsic tampering; nothing leaks to the host or to later calls', async () => {
    for (const tool of ['pollute', 'pollute_proto', 'pollute_define', 'tamper_builtin', 'tamper_json', 'tamper_tool', 'tamper_global']) {
      const o = await call(tool);
      expect(o.ok, tool).toBe(false);
      expect(o.error!.code).toBe('ERR_EXEC_THROW');
      expect(o.error!.message).toMatch(/not extensible|read only|Cannot (add|define|assign)|object is not extensible|not defined/);
    }
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(await call('probe_pollution')).toMatchObject({ ok: true, result: [true, true, true, 'object', true] });
    // A "__proto__" key in JSON arguments is an own property, not a prototype change.
    expect(await call('arg_proto', [JSON.parse('{"__proto__": {"polluted": 1}}')])).toMatchObject({ ok: true, result: [['__proto__'], true, true] });
    // Frozen prototypes still let ordinary code shadow inherited methods.
    expect(await call('override_ok')).toMatchObject({ ok: true, result: 'custom' });
    await stillWorks();
  });

  it('gives no access to process, require, import(), timers, network or the global object', async () => {
    const g = await call('probe_globals');
    expect(g.ok).toBe(true);
    expect(g.result).toEqual(new Array(21).fill('undefined'));
    expect(await call('ctor_escape')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/Code generation from strings disallowed/) } });
    expect(await call('fn_escape')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/Code generation from strings disallowed/) } });
    expect(await call('gen_escape')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/Code generation from strings disallowed/) } });
    expect(await call('add_ref')).toMatchObject({ ok: false, error: { message: expect.stringMatching(/Code generation from strings disallowed/) } });
    expect(await call('this_escape')).toMatchObject({ ok: true, result: 'undefined' });
    expect(await call('stack_escape')).toMatchObject({ ok: true, result: expect.stringMatching(/^frozen:/) });
    expect(() => compileProgram([{ name: 'imp', body: 'function imp() { return import("node:fs"); }' }])).toThrow(/import\(\) and import.meta are not available/);
    expect(() => compileProgram([{ name: 'sneak', body: 'function sneak() { return __cocoda_rt; }' }])).toThrow(/reserved for the sandbox/);
    await stillWorks();
  });

  it('everything reachable inside belongs to the sandbox realm and is frozen', async () => {
    const o = await call('reach_all');
    expect(o.ok).toBe(true);
    const r = o.result as { count: number; foreign: number; unfrozen: string[] };
    expect(r.count).toBeGreaterThan(500);
    expect(r.foreign).toBe(0);
    expect(r.unfrozen).toEqual([]);
  });

  it('rejects values that are not plain data, naming where', async () => {
    const cases: Array<[string, RegExp]> = [
      ['ret_fn', /returned a function/],
      ['ret_undef', /returned undefined/],
      ['ret_date', /result\["when"\] = a Date instance/],
      ['ret_map', /a Map instance/],
      ['ret_cyclic', /cyclic/],
      ['ret_symbol', /a symbol/],
      ['ret_sparse', /hole/],
      ['ret_class', /a P instance/],
      ['ret_getter', /accessor/],
      ['ret_bigint', /a bigint/],
    ];
    for (const [tool, re] of cases) {
      const o = await call(tool);
      expect(o.ok, tool).toBe(false);
      expect(o.error!.code, tool).toBe('ERR_EXEC_VALUE');
      expect(o.error!.message, tool).toMatch(re);
    }
    expect(await call('echo', [new Date()])).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_VALUE', message: expect.stringMatching(/args\[0\] is a Date instance/) } });
    expect(await call('echo', [[1, undefined]])).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_VALUE', message: expect.stringMatching(/args\[0\]\[1\] is undefined/) } });
    expect(await call('echo', [() => 1])).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_VALUE' } });
    expect(await call('big_result', [2_000_000])).toMatchObject({ ok: false, error: { code: 'ERR_EXEC_VALUE', message: expect.stringMatching(/larger than/) } });
    await stillWorks();
  });

  it('round-trips plain data including non-finite numbers and tables', async () => {
    const table = [{ region: 'EU', amount: 3.5, tags: ['a'], note: null }, { region: 'US', amount: -1, tags: [], note: 'x' }];
    expect(await call('echo', [table])).toMatchObject({ ok: true, result: table });
    expect((await call('echo', [[NaN, Infinity, -Infinity, 0, -0, 1e308, 'NaN']])).result).toEqual([NaN, Infinity, -Infinity, 0, 0, 1e308, 'NaN']);
    const odd = JSON.parse('{"": 1, "a b": {"__proto__": 2}}');
    expect((await call('echo', [odd])).result).toEqual(odd);
  });

  it('keeps the other calls of a batch when one of them is killed', async () => {
    const outs = await sb.run(
      program,
      [
        { tool: 'add', args: [1, 1] },
        { tool: 'spin', args: [] },
        { tool: 'add', args: [2, 2] },
        { tool: 'alloc_push', args: [] },
        { tool: 'add', args: [3, 3] },
      ],
      { timeoutMs: 1000 },
    );
    expect(outs.map((o) => (o.ok ? o.result : o.error!.code))).toEqual([2, 'ERR_EXEC_TIMEOUT', 4, expect.stringMatching(/ERR_EXEC_(MEMORY|TIMEOUT)/), 6]);
  });
});

describe('no state one call can write survives into another call or program', () => {
  const iso = compileProgram([
    { name: 'seg_tamper', body: `function seg_tamper() {
      const seg = new Intl.Segmenter('en', { granularity: 'word' }).segment('a b');
      const results = [];
      for (const P of [Object.getPrototypeOf(seg), Object.getPrototypeOf(seg[Symbol.iterator]())]) {
        try { P.next = function () { return { done: false, value: { segment: 'EVIL', isWordLike: true } }; }; results.push('assigned'); }
        catch (e) { results.push('blocked'); }
        try { Object.defineProperty(P, 'containing', { value: () => 'EVIL' }); results.push('defined'); } catch (e) { results.push('blocked'); }
      }
      return results;
    }` },
    { name: 'words', body: `function words(s) {
      return Array.from(new Intl.Segmenter('en', { granularity: 'word' }).segment(s)).filter((x) => x.isWordLike).map((x) => x.segment);
    }` },
    { name: 'regex_secret', body: 'function regex_secret(s) { return /(s\\w+)/.test(s); }' },
    { name: 'regex_peek', body: 'function regex_peek() { return [typeof RegExp.$1, typeof RegExp.lastMatch, typeof RegExp.input, String(RegExp.$1)]; }' },
    { name: 'regex_plant', body: 'function regex_plant() { try { RegExp.input = "planted"; return "set"; } catch (e) { return "blocked"; } }' },
    { name: 'stack_peek', body: 'function stack_peek() { return new Error("x").stack; }' },
    { name: 'need_pos', body: 'function need_pos(s, x) { return x; }', pre: 'x > 0' },
    { name: 'leak_marker', body: `function leak_marker(n) {
      try { need_pos('a'.repeat(n), NaN); } catch (e) { return e.message; }
      return '';
    }` },
  ]);
  let s2: Sandbox;
  beforeAll(() => {
    s2 = new Sandbox({ timeoutMs: 5000 });
  });
  afterAll(async () => {
    await s2.close();
  });

  it('Intl.Segmenter prototypes are frozen: a candidate cannot change what words() returns', async () => {
    const [t, w] = await s2.run(iso, [{ tool: 'seg_tamper', args: [] }, { tool: 'words', args: ['hello big world'] }]);
    expect(t).toMatchObject({ ok: true, result: ['blocked', 'blocked', 'blocked', 'blocked'] });
    expect(w).toMatchObject({ ok: true, result: ['hello', 'big', 'world'] });
  });

  it('RegExp legacy statics do not exist: no cross-call leak of the last match, nothing to plant', async () => {
    const [a, b, c] = await s2.run(iso, [{ tool: 'regex_secret', args: ['the secret'] }, { tool: 'regex_peek', args: [] }, { tool: 'regex_plant', args: [] }]);
    expect(a).toMatchObject({ ok: true, result: true });
    expect(b).toMatchObject({ ok: true, result: ['undefined', 'undefined', 'undefined', 'undefined'] });
    expect(c).toMatchObject({ ok: true, result: 'blocked' }); // strict mode: RegExp is frozen
  });

  it('stack traces show program frames only, never host paths', async () => {
    const o = await s2.call(iso, 'stack_peek', []);
    expect(o.ok).toBe(true);
    const stack = o.result as string;
    expect(stack).toMatch(/^Error: x\n {4}at \S+ \(cocoda-program-[0-9a-f]+\.js:\d+:\d+\)$/);
    expect(stack).not.toMatch(/runner\.cjs|node:|\/work|\/tmp|\/home/);
  });

  it('a clipped contract message never carries part of the wire marker (no forged Infinity)', async () => {
    // Argument lengths that put the marker of NaN across the 300-character clip.
    const calls = [];
    for (let n = 250; n <= 300; n++) calls.push({ tool: 'leak_marker', args: [n] });
    const outs = await s2.run(iso, calls);
    for (const o of outs) {
      expect(o.ok).toBe(true);
      const m = o.result as string;
      expect(m).toMatch(/pre-condition of "need_pos" violated/);
      expect(m).not.toMatch(/\\u0000|\u0000|\\u00|\\u$|\\$/);
    }
  });

  it('accepts the largest timeout without overflowing a timer', async () => {
    const big = new Sandbox({ timeoutMs: 2_147_483_647 });
    try {
      expect(await big.call(iso, 'words', ['one two'])).toMatchObject({ ok: true, result: ['one', 'two'] });
      await expect(big.run(iso, [], { timeoutMs: 2_147_483_648 })).rejects.toThrow(/from 10 to 2147483647/);
    } finally {
      await big.close();
    }
    expect(() => new Sandbox({ timeoutMs: 2 ** 31 })).toThrow(RangeError);
  });
});
