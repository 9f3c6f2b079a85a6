// @ts-check
'use strict';
/*
 * The sandbox process (forked by src/exec/sandbox.ts; plain CommonJS so it runs without a loader).
 *
 *   host process  ──IPC──▶  this process: main thread runs tool calls inside ONE locked-down
 *                                         node:vm context (no host objects in it, ever)
 *                                         watchdog thread: SIGKILLs this process when a call
 *                                         overruns its wall-time limit
 *
 * Memory is bounded by --max-old-space-size (set by the host); exhausting it kills only this
 * process. Every value enters the context as a JSON string and leaves it as a JSON string built
 * inside the context, so no object of this realm is ever reachable from tool code.
 *
 * Protocol (host → runner):  {type: 'run', id, key, source?, calls: [[tool, argsJson, flags]], timeoutMs}
 *                            {type: 'drop', key}
 * (runner → host):           {type: 'ready'} | {type: 'done', id, outcomes: string[]} | {type: 'missing', id}
 *                            {type: 'compile-error', id, message}
 * Timeout report (stderr, just before SIGKILL): "\n@@cocoda-timeout <id> <index>\n".
 */
const vm = require('node:vm');
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');


// Type-checked by `npm run typecheck` (// @ts-check with these JSDoc types; tsconfig allowJs).
/**
 * @typedef {{ code: string, message: string, tool?: string }} OutcomeError
 * @typedef {{ tool: string, kind: 'pre' | 'post', message: string, args: unknown, result?: unknown }} Violation
 * @typedef {{ tool: string, args: unknown, calls: TraceNode[], result?: unknown, ms?: number,
 *   errorObj?: unknown, error?: OutcomeError }} TraceNode
 * @typedef {{ ok: boolean, result?: unknown, error?: OutcomeError, ms?: number, trace?: TraceNode | null,
 *   droppedTraceNodes?: number, violations?: Violation[] }} Outcome
 * @typedef {(...args: unknown[]) => unknown} ToolFn
 * @typedef {{ name: string, impl: ToolFn | null, pre: ToolFn | null, post: ToolFn | null,
 *   preSrc: string, postSrc: string }} ToolSlot
 * @typedef {{ mode: number, parent: TraceNode | { calls: TraceNode[] } | null, nodes: number, dropped: number,
 *   violations: Violation[], errObj: unknown, errTool: string }} CallState
 * @typedef {(name: string, argsText: string, flags: number) => string} Entry
 * @typedef {{ type: 'run', id: number, key: string, source?: string, calls: Array<[string, string, number]>,
 *   timeoutMs?: number } | { type: 'drop', key: string } | { type: 'exit' }} HostMessage
 */

// ---------------------------------------------------------------------------------------------
// Code that runs INSIDE the context. It is stringified, so it must not close over anything.
// `hostNow` is the only function of this realm the context ever sees; it is captured in a closure
// that tool code cannot reach and called behind a try/catch that discards whatever it throws, so
// no object of this realm can flow into tool code through it.
/**
 * @param {() => number} hostNow
 * @param {string} NONCE
 * @param {number} MAX_TRACE
 */
function cocodaPrelude(hostNow, NONCE, MAX_TRACE) {
  'use strict';
  /** @type {any} the context's global object, changed in place */
  const G = globalThis;

  // 1. Strip what is not ECMAScript or allocates outside the V8 heap (ArrayBuffer backing stores
  //    are not bounded by the heap limit), and the code loaders.
  const STRIP = ['console', 'SharedArrayBuffer', 'Atomics', 'WebAssembly', 'ArrayBuffer', 'DataView',
    'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
    'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array', 'FinalizationRegistry', 'WeakRef',
    'eval', 'escape', 'unescape'];
  for (const n of STRIP) delete G[n];

  // 2. Capture the intrinsics the runtime uses.
  const ObjectProto = Object.prototype;
  const ArrayProto = Array.prototype;
  const { freeze, getPrototypeOf, getOwnPropertyDescriptor, defineProperty, create } = Object;
  const { ownKeys, apply } = Reflect;
  const isArray = Array.isArray;
  const jsonParse = JSON.parse;
  const jsonStringify = JSON.stringify;
  const StringCtor = String;
  const ErrorCtor = Error;
  const RangeErrorCtor = RangeError;
  const PromiseCtor = Promise;
  const SetCtor = Set;
  const MARK = '\u0000' + NONCE + ':';
  // MARK as it appears inside JSON text (JSON.stringify escapes the NUL character).
  const MARK_JSON = '\\u0000' + NONCE + ':';
  /** @param {string} text */
  function unmark(text) {
    return text.split(MARK_JSON).join('').split(MARK).join('');
  }

  // 3. Keep the "override mistake" from biting ordinary code once prototypes are frozen:
  //    `err.name = 'X'` or `obj.toString = f` define an own property instead of throwing.
  /** @param {any} obj @param {PropertyKey} key */
  function tame(obj, key) {
    const d = getOwnPropertyDescriptor(obj, key);
    if (!d || !('value' in d)) return;
    const value = d.value;
    defineProperty(obj, key, {
      get: function () { return value; },
      set: function (v) {
        if (this === obj) throw new TypeError('Cannot assign to read only property \'' + StringCtor(key) + '\' of a frozen intrinsic');
        defineProperty(this, key, { value: v, writable: true, enumerable: true, configurable: true });
      },
      enumerable: d.enumerable,
      configurable: false,
    });
  }
  // 3a. RegExp's legacy static accessors (RegExp.$1, lastMatch, input, …) are context-wide state
  //     that every regex operation writes: one call could read what the previous one matched, or
  //     plant RegExp.input. Delete them all (they are configurable own accessors of RegExp).
  for (const k of ownKeys(RegExp)) {
    if (k === 'length' || k === 'name' || k === 'prototype' || typeof k === 'symbol') continue;
    const d = getOwnPropertyDescriptor(RegExp, k);
    if (d && d.configurable && !('value' in d)) delete /** @type {any} */ (RegExp)[k];
  }

  // 3b. Stack traces show only tool-program frames: the runner's own frames would reveal host
  //     paths. Installed before Error is frozen, so tool code cannot replace it.
  const PROGRAM_FILE = 'cocoda-program-';
  /** @param {NodeJS.CallSite} f */
  function frameText(f) {
    let file = '';
    try { file = StringCtor(f.getFileName() || ''); } catch (e) { return ''; }
    if (file.slice(0, PROGRAM_FILE.length) !== PROGRAM_FILE) return '';
    let fn = '';
    try { fn = StringCtor(f.getFunctionName() || ''); } catch (e) { fn = ''; }
    const where = file + ':' + f.getLineNumber() + ':' + f.getColumnNumber();
    return '\n    at ' + (fn ? fn + ' (' + where + ')' : where);
  }
  defineProperty(ErrorCtor, 'prepareStackTrace', {
    /** @param {any} error @param {NodeJS.CallSite[]} frames */
    value: function prepareStackTrace(error, frames) {
      let head = 'Error';
      try {
        const name = error.name;
        const message = error.message;
        head = (name === undefined ? 'Error' : StringCtor(name)) + (message === undefined || message === '' ? '' : ': ' + StringCtor(message));
      } catch (e) { head = 'Error'; }
      let out = head;
      for (let i = 0; i < frames.length; i++) out += frameText(frames[i]);
      return out;
    },
    writable: false, enumerable: false, configurable: false,
  });

  tame(ObjectProto, 'toString');
  tame(ObjectProto, 'valueOf');
  tame(ObjectProto, 'toLocaleString');
  tame(ObjectProto, 'constructor');
  for (const E of [Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError, AggregateError]) {
    tame(E.prototype, 'name');
    tame(E.prototype, 'message');
    tame(E.prototype, 'constructor');
  }

  // 4. Deep-freeze every intrinsic reachable from the global object and from syntax, so nothing a
  //    call does to a prototype or builtin survives into another call (prototype pollution).
  const roots = [];
  for (const k of ownKeys(G)) {
    const d = getOwnPropertyDescriptor(G, k);
    if (d) roots.push(d.value, d.get, d.set);
  }
  roots.push(getPrototypeOf(G));
  roots.push(getPrototypeOf(function* () {}), getPrototypeOf(async function () {}), getPrototypeOf(async function* () {}));
  roots.push(getPrototypeOf((function* () {})()), getPrototypeOf((async function* () {})()));
  roots.push(getPrototypeOf([][Symbol.iterator]()), getPrototypeOf(new Map().entries()), getPrototypeOf(new Set().values()));
  roots.push(getPrototypeOf(''[Symbol.iterator]()), getPrototypeOf('a'.matchAll(/a/g)));
  roots.push(/** @type {PropertyDescriptor} */ (getOwnPropertyDescriptor((function () { return arguments; })(), 'callee')).get);
  // Intrinsics reachable only through instances (not from any global by property access):
  // Intl.Segmenter's %SegmentsPrototype% and %SegmentIteratorPrototype%, and, where the engine
  // has them, the iterator-helper prototypes (%IteratorHelperPrototype%,
  // %WrapForValidIteratorPrototype%). test/exec/prototypes.test.ts walks the context
  // independently (calling every reachable method) to find any this list misses.
  const viaInstances = [
    () => new Intl.Segmenter().segment('a'),
    () => new Intl.Segmenter().segment('a')[Symbol.iterator](),
    () => G.Iterator.from({ next() { return { done: true, value: undefined }; } }),
    () => /** @type {any} */ ([].values()).map((/** @type {unknown} */ x) => x),
    () => /** @type {any} */ ([].values()).flatMap((/** @type {unknown} */ x) => [x]),
    () => new Map().keys(),
    () => new Set().entries(),
  ];
  for (const make of viaInstances) {
    try { roots.push(getPrototypeOf(make())); } catch (e) { /* not in this engine */ }
  }
  const seen = new SetCtor();
  while (roots.length) {
    const o = roots.pop();
    if ((typeof o !== 'object' && typeof o !== 'function') || o === null || o === G || seen.has(o)) continue;
    seen.add(o);
    freeze(o);
    roots.push(getPrototypeOf(o));
    for (const k of ownKeys(o)) {
      const d = getOwnPropertyDescriptor(o, k);
      if (d) roots.push(d.value, d.get, d.set);
    }
  }

  // 5. Values: copy to JSON-able data, non-finite numbers as MARK-tagged strings.
  /** @constructor @param {string} path @param {string} problem @this {{ path: string, problem: string }} */
  function ValueProblem(path, problem) { this.path = path; this.problem = problem; }
  /** @param {unknown} v */
  function kindOf(v) {
    if (v === undefined) return 'undefined';
    if (typeof v === 'function') return 'a function';
    if (typeof v === 'symbol') return 'a symbol';
    if (typeof v === 'bigint') return 'a bigint';
    if (v instanceof PromiseCtor) return 'a Promise';
    try {
      const p = getPrototypeOf(v);
      const c = p && getOwnPropertyDescriptor(p, 'constructor');
      const name = c && typeof c.value === 'function' ? c.value.name : c && c.get ? 'Object' : '';
      return name ? 'a ' + StringCtor(name) + ' instance' : 'an exotic object';
    } catch (e) {
      return 'an exotic object';
    }
  }
  // strict: throw ValueProblem; lenient (traces): substitute a marker naming the kind.
  // Paths are only built when a problem is found (prepended while the exception unwinds).
  /**
   * @param {any} v @param {boolean} strict @param {number} depth @param {unknown[]} ancestors
   * @returns {any}
   */
  function copy(v, strict, depth, ancestors) {
    switch (typeof v) {
      case 'number':
        if (v !== v) return MARK + 'NaN';
        if (v === Infinity) return MARK + 'Inf';
        if (v === -Infinity) return MARK + '-Inf';
        return v;
      case 'string':
      case 'boolean':
        return v;
      case 'object':
        if (v === null) return null;
        break;
      default:
        if (strict) throw new ValueProblem('', kindOf(v));
        return MARK + (typeof v === 'function' ? 'function' : typeof v);
    }
    if (depth > 256) {
      if (strict) throw new ValueProblem('', 'nesting deeper than 256 levels');
      return MARK + 'too deep';
    }
    if (ancestors.indexOf(v) >= 0) {
      if (strict) throw new ValueProblem('', 'a cyclic reference');
      return MARK + 'cycle';
    }
    if (isArray(v)) {
      if (getPrototypeOf(v) !== ArrayProto) {
        if (strict) throw new ValueProblem('', kindOf(v));
        return MARK + 'array subclass';
      }
      ancestors.push(v);
      const n = v.length;
      const out = new Array(n);
      let i = 0;
      try {
        for (; i < n; i++) {
          if (!(i in v)) {
            if (strict) throw new ValueProblem('', 'a hole in a sparse array');
            out[i] = null;
            continue;
          }
          const x = v[i];
          const t = typeof x;
          out[i] = (t === 'string' || t === 'boolean' || (t === 'number' && x - x === 0)) ? x : copy(x, strict, depth + 1, ancestors);
        }
      } catch (e) {
        if (e instanceof ValueProblem) e.path = '[' + i + ']' + e.path;
        throw e;
      }
      ancestors.pop();
      return out;
    }
    const proto = getPrototypeOf(v);
    if (proto !== ObjectProto && proto !== null) {
      if (strict) throw new ValueProblem('', kindOf(v));
      return MARK + kindOf(v);
    }
    ancestors.push(v);
    /** @type {Record<string, unknown>} */
    const out = {};
    const keys = ownKeys(v);
    let k;
    try {
      for (let j = 0; j < keys.length; j++) {
        k = keys[j];
        if (typeof k === 'symbol') {
          if (strict) throw new ValueProblem('', 'a symbol-keyed property');
          continue;
        }
        const d = getOwnPropertyDescriptor(v, k);
        if (!d) continue;
        let x;
        if (!('value' in d)) {
          if (strict) throw new ValueProblem('', 'an accessor property');
          x = MARK + 'accessor';
        } else if (!d.enumerable) {
          if (strict) throw new ValueProblem('', 'a non-enumerable property');
          continue;
        } else {
          x = copy(d.value, strict, depth + 1, ancestors);
        }
        // Keys that exist on the (frozen) Object.prototype, __proto__ included, must be defined.
        if (k in ObjectProto) defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
        else out[k] = x;
      }
    } catch (e) {
      if (e instanceof ValueProblem) e.path = '[' + jsonStringify(k) + ']' + e.path;
      throw e;
    }
    ancestors.pop();
    return out;
  }
  /** @param {unknown} v @param {string} path */
  function plain(v, path) {
    try {
      return copy(v, true, 0, []);
    } catch (e) {
      if (e instanceof ValueProblem) e.path = path + e.path;
      throw e;
    }
  }
  /** @param {any} v @returns {unknown} */
  function snapshot(v) {
    const t = typeof v;
    if (t === 'string' || t === 'boolean' || v === null || (t === 'number' && v - v === 0)) return v;
    try { return copy(v, false, 0, []); } catch (e) { return MARK + 'unavailable'; }
  }
  // A call's argument array is its own (made by the wrapper's rest parameter) and never handed
  // to tool code, so when every argument is a finite scalar it is already its own snapshot.
  /** @param {any[]} args */
  function snapshotArgs(args) {
    for (let i = 0; i < args.length; i++) {
      const v = args[i];
      const t = typeof v;
      if (!(t === 'string' || t === 'boolean' || v === null || (t === 'number' && v - v === 0))) return snapshot(args);
    }
    return args;
  }
  /** @param {string} k @param {unknown} v */
  function revive(k, v) {
    if (typeof v === 'string' && v.length > MARK.length && v.charCodeAt(0) === 0 && v.slice(0, MARK.length) === MARK) {
      const tag = v.slice(MARK.length);
      if (tag === 'NaN') return NaN;
      if (tag === 'Inf') return Infinity;
      if (tag === '-Inf') return -Infinity;
    }
    return v;
  }
  /** @param {string} text */
  function decode(text) {
    return text.indexOf(NONCE) >= 0 ? jsonParse(text, revive) : jsonParse(text);
  }

  function now() {
    try { return +hostNow(); } catch (e) { return NaN; }
  }
  // Durations at 0.1 µs resolution: shorter to print and parse than full doubles.
  /** @param {number} t0 */
  function span(t0) { return Math.round((now() - t0) * 1e4) / 1e4; }

  // 6. Errors.
  class ContractViolation extends ErrorCtor {
    /** @param {string} tool @param {'pre' | 'post'} kind @param {string} message */
    constructor(tool, kind, message) {
      super(message);
      defineProperty(this, 'name', { value: 'ContractViolation' });
      defineProperty(this, 'tool', { value: tool, enumerable: true });
      defineProperty(this, 'kind', { value: kind, enumerable: true });
      freeze(this);
    }
  }
  freeze(ContractViolation.prototype);
  freeze(ContractViolation);

  /** @param {unknown} s @param {number} n */
  function clip(s, n) { const t = StringCtor(s); return t.length > n ? t.slice(0, n - 1) + '\u2026' : t; }
  /** @param {any} e @returns {OutcomeError} */
  function describe(e) {
    try {
      if (e instanceof ContractViolation) {
        return { code: /** @type {any} */ (e).kind === 'pre' ? 'ERR_PRE_VIOLATED' : 'ERR_POST_VIOLATED', message: clip(e.message, 2000) };
      }
      if (e instanceof ErrorCtor) {
        const message = clip(e.message, 2000);
        if (e instanceof RangeErrorCtor && message.indexOf('Maximum call stack size exceeded') >= 0) {
          return { code: 'ERR_EXEC_STACK', message: 'recursion too deep: Maximum call stack size exceeded' };
        }
        const name = clip(e.name, 100);
        return { code: 'ERR_EXEC_THROW', message: name && name !== 'Error' ? name + ': ' + message : message };
      }
      return { code: 'ERR_EXEC_THROW', message: 'threw a non-Error value: ' + clip(typeof e === 'object' && e !== null ? unmark(jsonStringify(snapshot(e))) : StringCtor(e), 500) };
    } catch (e2) {
      return { code: 'ERR_EXEC_THROW', message: 'threw a value that cannot be described' };
    }
  }

  // 7. Calls. One top-level call at a time (the process is single-threaded; Promise jobs a call
  //    queues are run by the runner right after that call, under that call's time limit).
  const TRACE = 1, CONTRACTS = 2;
  /** @type {CallState} */
  const st = { mode: 0, parent: null, nodes: 0, dropped: 0, violations: [], errObj: undefined, errTool: '' };

  /** @param {ToolSlot} t @param {'pre' | 'post'} kind @param {unknown[]} args @param {unknown} result @param {string} message */
  function violation(t, kind, args, result, message) {
    if (st.violations.length < 100) {
      /** @type {Violation} */
      const v = { tool: t.name, kind: kind, message: clip(message, 2000), args: snapshot(args) };
      if (kind === 'post') v.result = snapshot(result);
      st.violations.push(v);
    }
    return new ContractViolation(t.name, kind, message);
  }

  /** @param {ToolSlot} t @param {'pre' | 'post'} kind @param {ToolFn} fn @param {unknown[]} args @param {unknown} result */
  function check(t, kind, fn, args, result) {
    let ok;
    try {
      ok = fn(args, result);
    } catch (e) {
      const d = describe(e);
      throw violation(t, kind, args, result, kind + '-condition of "' + t.name + '" threw (' + d.message + '): ' + (kind === 'pre' ? t.preSrc : t.postSrc));
    }
    if (!ok) {
      // Markers are removed BEFORE clipping: a clip that cut a marker in half would leave part of
      // the per-sandbox secret in a message that tool code can read (it catches the violation).
      let shown = '';
      try { shown = clip(unmark(jsonStringify(snapshot(args))), 300); } catch (e) { shown = '?'; }
      let rs = '';
      if (kind === 'post') { try { rs = ', result ' + clip(unmark(jsonStringify(snapshot(result))), 200); } catch (e) { rs = ''; } }
      throw violation(t, kind, args, result, kind + '-condition of "' + t.name + '" violated: ' + (kind === 'pre' ? t.preSrc : t.postSrc) + ' with args ' + shown + rs);
    }
  }

  /** @param {ToolSlot} t @param {unknown[]} args */
  function invoke(t, args) {
    const mode = st.mode;
    if (mode === 0) return apply(/** @type {ToolFn} */ (t.impl), undefined, args);
    /** @type {TraceNode | null} */
    let node = null;
    /** @type {CallState['parent']} */
    let parent = null;
    let t0 = 0;
    if (mode & TRACE) {
      parent = st.parent;
      if (st.nodes < MAX_TRACE) {
        st.nodes++;
        const snap = snapshotArgs(args);
        if (snap === args) freeze(args); // contracts see `args`; the recorded arguments stay as called
        node = { tool: t.name, args: snap, calls: [] };
        if (parent) parent.calls.push(node);
        st.parent = node;
        t0 = now();
      } else {
        st.dropped++;
      }
    }
    try {
      if ((mode & CONTRACTS) && t.pre) check(t, 'pre', t.pre, args, undefined);
      const r = apply(/** @type {ToolFn} */ (t.impl), undefined, args);
      if ((mode & CONTRACTS) && t.post) check(t, 'post', t.post, args, r);
      if (node) node.result = snapshot(r);
      return r;
    } catch (e) {
      if (st.errObj !== e) { st.errObj = e; st.errTool = t.name; }
      if (node) node.errorObj = e;
      throw e;
    } finally {
      if (node) {
        node.ms = span(t0);
        st.parent = parent;
      }
    }
  }

  /** @param {TraceNode} node @returns {TraceNode} */
  function finishTrace(node) {
    if (node.errorObj !== undefined) {
      node.error = describe(node.errorObj);
      delete node.errorObj;
      delete node.result;
    }
    for (let i = 0; i < node.calls.length; i++) finishTrace(node.calls[i]);
    return node;
  }

  function program() {
    /** @type {Record<string, ToolSlot>} */
    const tools = create(null);
    let sealed = false;
    /** @param {string} name @returns {ToolSlot} */
    function toolFor(name) {
      let t = tools[name];
      if (!t) {
        t = { name: name, impl: null, pre: null, post: null, preSrc: '', postSrc: '' };
        tools[name] = t;
      }
      return t;
    }
    const p = {
      /** @param {string} name */
      wrapper(name) {
        const t = toolFor(name);
        const w = (/** @type {unknown[]} */ ...args) => invoke(t, args);
        defineProperty(w, 'name', { value: name });
        return freeze(w);
      },
      /** @param {string} name @param {ToolFn} fn */
      impl(name, fn) {
        if (sealed) throw new TypeError('program sealed');
        const t = toolFor(name);
        if (fn.prototype) freeze(fn.prototype);
        t.impl = freeze(fn);
      },
      /** @param {string} name @param {ToolFn | null} pre @param {string} preSrc @param {ToolFn | null} post @param {string} postSrc */
      contracts(name, pre, preSrc, post, postSrc) {
        if (sealed) throw new TypeError('program sealed');
        const t = toolFor(name);
        if (pre) { t.pre = freeze(pre); t.preSrc = preSrc; }
        if (post) { t.post = freeze(post); t.postSrc = postSrc; }
      },
      seal() {
        sealed = true;
        for (const k in tools) freeze(tools[k]);
        return freeze(entry);
      },
    };
    /** @param {Outcome} o */
    function outcome(o) {
      try {
        return jsonStringify(o);
      } catch (e) {
        return jsonStringify({ ok: false, error: { code: 'ERR_EXEC_VALUE', message: 'outcome could not be serialized' } });
      }
    }
    // The only function the runner calls: strings in, a string out; never throws.
    /** @type {Entry} */
    function entry(name, argsText, flags) {
      const t = tools[name];
      if (!t || !t.impl) return outcome({ ok: false, error: { code: 'ERR_UNKNOWN_TOOL', message: 'no tool "' + name + '" in this program', tool: name } });
      let args;
      try {
        args = decode(argsText);
        if (!isArray(args)) throw new TypeError('arguments must be an array');
      } catch (e) {
        return outcome({ ok: false, error: { code: 'ERR_EXEC_VALUE', message: 'arguments are not a JSON array', tool: name } });
      }
      st.mode = flags & 3;
      st.parent = null;
      st.nodes = 0;
      st.dropped = 0;
      st.violations = [];
      st.errObj = undefined;
      st.errTool = name;
      const root = { calls: [] };
      if (st.mode & TRACE) st.parent = root;
      const t0 = now();
      let r;
      let err;
      let threw = false;
      try {
        r = invoke(t, args);
      } catch (e) {
        threw = true;
        err = e;
      }
      /** @type {Outcome} */
      const o = { ok: !threw, ms: span(t0) };
      if (threw) {
        const d = describe(err);
        d.tool = st.errTool;
        o.error = d;
      } else if (r instanceof PromiseCtor) {
        o.ok = false;
        o.error = { code: 'ERR_EXEC_ASYNC', message: 'tool "' + name + '" returned a Promise; tool bodies must be synchronous', tool: name };
      } else {
        try {
          o.result = plain(r, 'result');
        } catch (e) {
          o.ok = false;
          if (e instanceof ValueProblem) {
            o.error = { code: 'ERR_EXEC_VALUE', message: 'tool "' + name + '" returned ' + (e.path === 'result' ? '' : e.path + ' = ') + e.problem + ', not plain data', tool: name };
          } else {
            o.error = describe(e);
            o.error.tool = name;
          }
        }
      }
      if (st.mode & TRACE) {
        try {
          o.trace = root.calls.length ? finishTrace(root.calls[0]) : null;
        } catch (e) {
          o.trace = null;
        }
        if (st.dropped) o.droppedTraceNodes = st.dropped;
      }
      if (st.violations.length) o.violations = st.violations;
      st.mode = 0;
      st.parent = null;
      st.errObj = undefined;
      return outcome(o);
    }
    return freeze(p);
  }

  return freeze({ program: program });
}

// ---------------------------------------------------------------------------------------------
// The runner (this realm).

/**
 * The locked-down context tool programs run in: a fresh `node:vm` context (null-prototype global,
 * no code generation from strings, its own microtask queue) with the prelude installed.
 * Exported for tests that inspect the context directly (test/exec/prototypes.test.ts).
 * @param {string} nonce per-sandbox secret of the value marker
 * @param {number} maxTrace trace nodes kept per call
 */
function createToolContext(nonce, maxTrace) {
  const context = vm.createContext(Object.create(null), {
    name: 'cocoda-tools',
    codeGeneration: { strings: false, wasm: false },
    microtaskMode: 'afterEvaluate',
  });
  const hostNow = () => performance.now();
  const install = new vm.Script('(' + cocodaPrelude.toString() + ')', { filename: 'cocoda-prelude.js' }).runInContext(context, { timeout: 10000 });
  const rt = install(hostNow, nonce, maxTrace);
  return { context, rt };
}

/** The watchdog's shared Int32 slots: the runner writes them, the watchdog thread reads them. */
const SLOT = Object.freeze({
  /** Bumped at every call (and program compile): progress the watchdog can see. */
  SEQ: 0,
  /** 0 idle, 1 running a batch, 2 shutting down (the watchdog sleeps on it while idle). */
  BUSY: 1,
  /** Id of the batch being run (reported on a timeout). */
  BATCH: 2,
  /** Index of the call in that batch, -1 while compiling (reported on a timeout). */
  INDEX: 3,
  /** Wall-time limit of the current call in ms (1 … 2^31-1). */
  TIMEOUT_MS: 4,
  /** Non-zero: the watchdog thread stops. */
  STOP: 7,
});

function main() {
  const config = JSON.parse(process.argv[2] || '{}');
  const NONCE = String(config.nonce);
  const MAX_TRACE = config.maxTraceNodes | 0 || 10000;
  const MAX_OUTCOME_CHARS = config.maxOutcomeChars | 0 || 64 * 1024 * 1024;
  const MAX_PROGRAMS = config.maxPrograms | 0 || 256;

  // Forked by src/exec/sandbox.ts, always with an IPC channel.
  const send = /** @type {(message: unknown) => boolean} */ (process.send).bind(process);
  const sab = new SharedArrayBuffer(32);
  // Slots: see SLOT.
  const progress = new Int32Array(sab);

  const WATCHDOG = `
  const { workerData } = require('node:worker_threads');
  const fs = require('node:fs');
  const a = new Int32Array(workerData.sab);
  const S = workerData.slot;
  let lastSeq = -1, lastBusy = 0, since = Date.now();
  for (;;) {
    if (Atomics.load(a, S.STOP) !== 0) break;
    // Idle: sleep until a batch starts (the runner notifies S.BUSY). Busy: poll every 5 ms.
    if (Atomics.load(a, S.BUSY) === 0) { Atomics.wait(a, S.BUSY, 0); lastBusy = 0; continue; }
    Atomics.wait(a, S.STOP, 0, 5);
    const busy = Atomics.load(a, S.BUSY), seq = Atomics.load(a, S.SEQ), now = Date.now();
    if (!busy || seq !== lastSeq || busy !== lastBusy) { lastSeq = seq; lastBusy = busy; since = now; continue; }
    if (now - since > Atomics.load(a, S.TIMEOUT_MS)) {
      try { fs.writeSync(2, '\\n@@cocoda-timeout ' + Atomics.load(a, S.BATCH) + ' ' + Atomics.load(a, S.INDEX) + '\\n'); } catch (e) {}
      process.kill(process.pid, 'SIGKILL');
    }
  }`;
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { sab, slot: SLOT }, resourceLimits: { maxOldGenerationSizeMb: 16 } });
  watchdog.unref();

  const { context, rt } = createToolContext(NONCE, MAX_TRACE);

  /** key → in-context entry function; Map order is the LRU order. */
  /** @type {Map<string, Entry>} */
  const programs = new Map();

  /** @param {string} key @param {string} source @returns {Entry} */
  function compile(key, source) {
    const script = new vm.Script(source, { filename: 'cocoda-program-' + key.slice(0, 12) + '.js' });
    const factory = script.runInContext(context, { timeout: 5000 });
    const entry = factory(rt);
    programs.set(key, entry);
    while (programs.size > MAX_PROGRAMS) programs.delete(/** @type {string} */ (programs.keys().next().value));
    return entry;
  }

  // Evaluating any script in the context ends with a microtask checkpoint (microtaskMode
  // 'afterEvaluate'): running this empty one at the end of each batch runs the Promise jobs its
  // calls queued, under the batch's time limit (watchdog index DRAIN_INDEX), so no job is left to
  // run inside a later batch or program compile (where it could stall or fail a different tool).
  // A job cannot change what another call of the batch returns (every intrinsic is frozen; a job
  // reaches only its own call's objects). If the drain overruns, the host re-runs the batch one
  // call at a time, which finds the call whose jobs do not finish.
  const DRAIN = new vm.Script('undefined', { filename: 'cocoda-drain.js' });
  function drainMicrotasks() {
    try {
      DRAIN.runInContext(context);
    } catch {
      /* a job's exception is its own (unhandled rejections are ignored) */
    }
  }

  /** Watchdog index while a batch's Promise jobs run (the host maps a timeout there to its batch). */
  const DRAIN_INDEX = -2;

  /** A timeout as the watchdog's Int32 slot holds it: 1 … 2^31-1 ms (never wrapped). */
  /** @param {unknown} ms */
  function timeoutSlot(ms) {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 1) return 1000;
    return Math.min(Math.floor(n), 2147483647);
  }

  const FAILED = JSON.stringify({ ok: false, error: { code: 'ERR_EXEC_INTERNAL', message: 'the sandbox entry failed unexpectedly' } });

  /** @param {Extract<HostMessage, { type: 'run' }>} msg */
  function run(msg) {
    let entry = programs.get(msg.key);
    if (entry) {
      programs.delete(msg.key);
      programs.set(msg.key, entry);
    } else if (typeof msg.source === 'string') {
      Atomics.store(progress, SLOT.BATCH, msg.id | 0);
      Atomics.store(progress, SLOT.INDEX, -1);
      Atomics.store(progress, SLOT.TIMEOUT_MS, 10000);
      Atomics.add(progress, SLOT.SEQ, 1);
      Atomics.store(progress, SLOT.BUSY, 1);
      Atomics.notify(progress, SLOT.BUSY);
      try {
        drainMicrotasks(); // (empty here: every batch drains its own jobs)
        entry = compile(msg.key, msg.source);
      } catch (e) {
        Atomics.store(progress, SLOT.BUSY, 0);
        let message = 'program does not compile';
        if (e instanceof Error) message += ': ' + String(e.message);
        send({ type: 'compile-error', id: msg.id, message });
        return;
      }
    } else {
      send({ type: 'missing', id: msg.id });
      return;
    }
    const calls = msg.calls;
    const outcomes = new Array(calls.length);
    Atomics.store(progress, SLOT.BATCH, msg.id | 0);
    Atomics.store(progress, SLOT.TIMEOUT_MS, timeoutSlot(msg.timeoutMs));
    Atomics.store(progress, SLOT.BUSY, 1);
    Atomics.notify(progress, SLOT.BUSY);
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i];
      Atomics.store(progress, SLOT.INDEX, i);
      Atomics.add(progress, SLOT.SEQ, 1);
      let out;
      try {
        out = entry(String(c[0]), String(c[1]), c[2] | 0);
      } catch {
        out = FAILED;
      }
      if (typeof out !== 'string') out = FAILED;
      else if (out.length > MAX_OUTCOME_CHARS) {
        out = JSON.stringify({ ok: false, error: { code: 'ERR_EXEC_VALUE', message: 'result larger than ' + MAX_OUTCOME_CHARS + ' characters of JSON', tool: String(c[0]) } });
      }
      outcomes[i] = out;
    }
    Atomics.store(progress, SLOT.INDEX, DRAIN_INDEX);
    Atomics.add(progress, SLOT.SEQ, 1);
    drainMicrotasks();
    Atomics.store(progress, SLOT.BUSY, 0);
    send({ type: 'done', id: msg.id, outcomes });
  }

  process.on('unhandledRejection', () => {});
  process.on('message', (/** @type {HostMessage | null} */ msg) => {
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'run') run(msg);
    else if (msg.type === 'drop') programs.delete(msg.key);
    else if (msg.type === 'exit') {
      stopWatchdog();
      process.exit(0);
    }
  });
  process.on('disconnect', () => {
    stopWatchdog();
    process.exit(0);
  });
  function stopWatchdog() {
    Atomics.store(progress, SLOT.STOP, 1);
    Atomics.store(progress, SLOT.BUSY, 2);
    Atomics.notify(progress, SLOT.BUSY);
    Atomics.notify(progress, SLOT.STOP);
  }
  send({ type: 'ready' });
}

if (require.main === module) main();
module.exports = { createToolContext, cocodaPrelude };
