/**
 * Interim executor: runs tool bodies in a `node:vm` context per library version, with a wall-time
 * limit per top-level call, JSON-only values across the boundary and nested call traces.
 *
 * What it does and does not protect against: the context has no `process`, `require`, `import`,
 * file system, timers or network objects, and a loop is stopped by the vm timeout; but `node:vm`
 * is not a security boundary (a crafted body can reach the host through constructor chains) and
 * memory is not limited. It serves gold programs and teacher composites built from library tools;
 * the sandbox of src/exec (worker + resource limits) is the one for untrusted code.
 */
import vm from 'node:vm';
import type { ToolDag } from '../library/dag.ts';
import type { CallTrace, ToolCallResult, ToolExecutor } from './executor.ts';

const PRELUDE = `
"use strict";
const __root = [];
const __stack = [];
function __clone(x) { return x === undefined ? null : JSON.parse(JSON.stringify(x)); }
function __wrap(name, fn) {
  return function (...args) {
    const node = { tool: name, args: __clone(args), calls: [], ms: 0 };
    const parent = __stack.length ? __stack[__stack.length - 1] : null;
    (parent ? parent.calls : __root).push(node);
    __stack.push(node);
    const t0 = Date.now();
    try {
      const r = fn(...args);
      if (r !== null && typeof r === 'object' && typeof r.then === 'function') throw new Error('async bodies are not supported by this executor');
      node.result = __clone(r);
      return r;
    } catch (e) {
      node.error = String(e && e.message !== undefined ? e.message : e);
      throw e;
    } finally {
      node.ms = Date.now() - t0;
      __stack.pop();
    }
  };
}
globalThis.__run = function (name, argsJson) {
  __root.length = 0; __stack.length = 0;
  const f = globalThis[name];
  let out;
  try {
    const v = f(...JSON.parse(argsJson));
    out = typeof v === 'number' && !Number.isFinite(v) ? { ok: false, error: 'result is not a finite number (' + v + ')' } : { ok: true, value: v === undefined ? null : v };
  } catch (e) {
    out = { ok: false, error: String(e && e.message !== undefined ? e.message : e) };
  }
  out.trace = __root[0] || null;
  return JSON.stringify(out, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
};
`;

export interface VmExecutorOptions {
  /** Wall-time limit per top-level call in ms; default 1000. */
  timeoutMs?: number;
}

/**
 * @example
 * ```ts
 * const ex = new VmExecutor();
 * const r = await ex.call(dag, 'add', [1, 2]); // { ok: true, value: 3, trace: { tool: 'add', ... } }
 * ```
 */
export class VmExecutor implements ToolExecutor {
  readonly timeoutMs: number;
  readonly #contexts = new WeakMap<ToolDag, vm.Context | Error>();

  constructor(options: VmExecutorOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  #context(dag: ToolDag): vm.Context | Error {
    let ctx = this.#contexts.get(dag);
    if (ctx) return ctx;
    try {
      const c = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
      vm.runInContext(PRELUDE, c, { timeout: this.timeoutMs });
      for (const rec of dag.records()) {
        if (rec.body === undefined) continue;
        // Each body is its own function declaration; calls to other tools resolve to the wrapped globals.
        const src = `globalThis[${JSON.stringify(rec.name)}] = __wrap(${JSON.stringify(rec.name)}, (function () { ${rec.body}\n; return ${rec.name}; })());`;
        vm.runInContext(src, c, { timeout: this.timeoutMs, filename: `tool:${rec.name}` });
      }
      ctx = c;
    } catch (e) {
      ctx = new Error(`cannot load library version ${dag.version} into the executor: ${(e as Error).message}`);
    }
    this.#contexts.set(dag, ctx);
    return ctx;
  }

  async call(dag: ToolDag, tool: string, args: unknown[]): Promise<ToolCallResult> {
    const empty: CallTrace = { tool, args, ms: 0, calls: [] };
    const rec = dag.record(tool);
    if (!rec) return { ok: false, error: `no tool "${tool}"`, trace: { ...empty, error: 'unknown tool' } };
    if (rec.body === undefined) return { ok: false, error: `tool "${tool}" has no body (schema-only)`, trace: { ...empty, error: 'no body' } };
    const ctx = this.#context(dag);
    if (ctx instanceof Error) return { ok: false, error: ctx.message, trace: { ...empty, error: ctx.message } };
    let argsJson: string;
    try {
      argsJson = JSON.stringify(args);
    } catch (e) {
      return { ok: false, error: `arguments are not plain data: ${(e as Error).message}`, trace: empty };
    }
    const t0 = performance.now();
    try {
      const raw = vm.runInContext(`__run(${JSON.stringify(tool)}, ${JSON.stringify(argsJson)})`, ctx, { timeout: this.timeoutMs }) as string;
      const out = JSON.parse(raw) as { ok: boolean; value?: unknown; error?: string; trace: CallTrace | null };
      const trace = out.trace ?? { ...empty, ms: performance.now() - t0 };
      return out.ok ? { ok: true, value: out.value, trace } : { ok: false, error: out.error ?? 'failed', trace };
    } catch (e) {
      // Timeouts land here; the context stays usable for later calls.
      const msg = (e as Error).message ?? String(e);
      return { ok: false, error: /timed out/i.test(msg) ? `timed out after ${this.timeoutMs} ms` : msg, trace: { ...empty, error: msg, ms: performance.now() - t0 } };
    }
  }
}
