/**
 * The default {@link ToolExecutor}: tool calls run in the sandbox of src/exec (a locked-down
 * `node:vm` context in a heap-capped child process with a wall-time watchdog), with contracts
 * (pre/post) checked on every nested call and the nested trace recorded. Each call runs the
 * program of the tool's closure (`programFor` of src/exec: the tool and its transitive children),
 * content-addressed, so an unchanged tool reuses its compiled program across library versions.
 */
import type { ToolDag } from '../library/dag.ts';
import { Sandbox, type CallOutcome, type SandboxOptions, type TraceNode } from '../exec/sandbox.ts';
import type { Program } from '../exec/program.ts';
import { programFor } from '../exec/library.ts';
import type { CallTrace, ToolCallResult, ToolExecutor } from './executor.ts';

function toResult(out: CallOutcome, tool: string, args: unknown[]): ToolCallResult {
  const trace = out.trace ? toTrace(out.trace) : { tool, args, ms: out.ms, calls: [] };
  if (!out.ok) {
    const code = out.error?.code ?? 'ERR_EXEC';
    return { ok: false, code, error: `${code}: ${out.error?.message ?? 'failed'}`, trace };
  }
  if (typeof out.result === 'number' && !Number.isFinite(out.result)) return { ok: false, code: 'ERR_EXEC_VALUE', error: `ERR_EXEC_VALUE: result is not a finite number (${out.result})`, trace };
  return { ok: true, value: out.result, trace };
}

function toTrace(n: TraceNode): CallTrace {
  const t: CallTrace = { tool: n.tool, args: n.args, ms: n.ms, calls: n.calls.map(toTrace) };
  if ('result' in n) t.result = n.result;
  if (n.error) t.error = `${n.error.code}: ${n.error.message}`;
  return t;
}

export interface SandboxExecutorOptions extends SandboxOptions {
  /** Check pre/post of every call (default true): a violated contract fails the call. */
  contracts?: boolean;
}

/**
 * @example
 * ```ts
 * const ex = new SandboxExecutor({ timeoutMs: 1000 });
 * const r = await ex.call(dag, 'add', [1, 2]); // { ok: true, value: 3, trace: {...} }
 * await ex.close();
 * ```
 */
export class SandboxExecutor implements ToolExecutor {
  readonly sandbox: Sandbox;
  readonly #contracts: boolean;
  readonly #owned: boolean;

  /** Pass an existing {@link Sandbox} to share its process; otherwise one is created (and closed by {@link close}). */
  constructor(options: SandboxExecutorOptions | Sandbox = {}) {
    if (options instanceof Sandbox) {
      this.sandbox = options;
      this.#contracts = true;
      this.#owned = false;
    } else {
      const { contracts, ...rest } = options;
      this.sandbox = new Sandbox(rest);
      this.#contracts = contracts ?? true;
      this.#owned = true;
    }
  }

  /** The compiled closure of `tool` in `dag`, or the reason it does not compile. */
  program(dag: ToolDag, tool: string): Program | Error {
    try {
      return programFor(dag, tool);
    } catch (e) {
      return new Error(`tool "${tool}" of library version ${dag.version} does not compile: ${(e as Error).message}`);
    }
  }

  async call(dag: ToolDag, tool: string, args: unknown[]): Promise<ToolCallResult> {
    const pre = this.#precheck(dag, tool, args);
    if ('result' in pre) return pre.result;
    const out = await this.sandbox.call(pre.program, tool, args, { trace: true, contracts: this.#contracts });
    return toResult(out, tool, args);
  }

  /** Unknown tool, no body, or a closure that does not compile: the failure; else the program. */
  #precheck(dag: ToolDag, tool: string, args: unknown[]): { result: ToolCallResult } | { program: Program } {
    const empty: CallTrace = { tool, args, ms: 0, calls: [] };
    const rec = dag.record(tool);
    if (!rec) return { result: { ok: false, error: `no tool "${tool}"`, trace: { ...empty, error: 'unknown tool' } } };
    if (rec.body === undefined) return { result: { ok: false, error: `tool "${tool}" has no body (schema-only)`, trace: { ...empty, error: 'no body' } } };
    const program = this.program(dag, tool);
    if (program instanceof Error) return { result: { ok: false, error: program.message, trace: { ...empty, error: program.message } } };
    return { program };
  }

  /**
   * Many calls in few sandbox round trips: the calls are grouped by tool, one sandbox batch per
   * group; results come back in the order of `calls`. Used by {@link BatchingExecutor}.
   */
  async callMany(dag: ToolDag, calls: ReadonlyArray<{ tool: string; args: unknown[] }>): Promise<ToolCallResult[]> {
    const out: ToolCallResult[] = new Array(calls.length);
    const groups = new Map<string, { program: Program; idx: number[] }>();
    calls.forEach((c, i) => {
      const pre = this.#precheck(dag, c.tool, c.args);
      if ('result' in pre) out[i] = pre.result;
      else {
        let g = groups.get(c.tool);
        if (!g) groups.set(c.tool, (g = { program: pre.program, idx: [] }));
        g.idx.push(i);
      }
    });
    await Promise.all([...groups.entries()].map(async ([tool, g]) => {
      const res = await this.sandbox.run(g.program, g.idx.map((i) => ({ tool, args: calls[i]!.args, trace: true, contracts: this.#contracts })));
      res.forEach((o, j) => (out[g.idx[j]!] = toResult(o, tool, calls[g.idx[j]!]!.args)));
    }));
    return out;
  }

  /** Closes the sandbox process if this executor created it. */
  async close(): Promise<void> {
    if (this.#owned) await this.sandbox.close();
  }
}

/**
 * A {@link ToolExecutor} that gathers the calls issued in the same turn of the event loop and
 * sends them to the sandbox together ({@link SandboxExecutor.callMany}): scoring many
 * trajectories concurrently (`Promise.all`) then costs one round trip per tool per wave of calls
 * instead of one per call. Results are those of {@link SandboxExecutor.call}.
 *
 * @example
 * ```ts
 * const ex = new BatchingExecutor(new SandboxExecutor(sandbox));
 * const scores = await Promise.all(programs.map((p, i) => scoreTrajectory(p, { dag, ...ctx[i], executor: ex })));
 * ```
 */
export class BatchingExecutor implements ToolExecutor {
  readonly inner: SandboxExecutor;
  #pending: Array<{ dag: ToolDag; tool: string; args: unknown[]; resolve: (r: ToolCallResult) => void; reject: (e: unknown) => void }> = [];
  #scheduled = false;
  /** Round trips made (sandbox batches requested) and calls served, for benchmarks. */
  readonly stats = { flushes: 0, calls: 0 };

  constructor(inner: SandboxExecutor) {
    this.inner = inner;
  }

  call(dag: ToolDag, tool: string, args: unknown[]): Promise<ToolCallResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ dag, tool, args, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    const byDag = new Map<ToolDag, typeof batch>();
    for (const p of batch) {
      let g = byDag.get(p.dag);
      if (!g) byDag.set(p.dag, (g = []));
      g.push(p);
    }
    this.stats.flushes++;
    this.stats.calls += batch.length;
    for (const [dag, group] of byDag) {
      try {
        const res = await this.inner.callMany(dag, group.map((p) => ({ tool: p.tool, args: p.args })));
        group.forEach((p, i) => p.resolve(res[i]!));
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
  }
}
