/**
 * The default {@link ToolExecutor}: tool calls run in the sandbox of src/exec (a locked-down
 * `node:vm` context in a heap-capped child process with a wall-time watchdog), with contracts
 * (pre/post) checked on every nested call and the nested trace recorded. Each call runs the
 * program of the tool's closure (`programFor` of src/exec: the tool and its transitive children),
 * content-addressed, so an unchanged tool reuses its compiled program across library versions.
 */
import type { ToolDag } from '../library/dag.ts';
import { Sandbox, type SandboxOptions, type TraceNode } from '../exec/sandbox.ts';
import type { Program } from '../exec/program.ts';
import { programFor } from '../exec/library.ts';
import type { CallTrace, ToolCallResult, ToolExecutor } from './executor.ts';

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
    const empty: CallTrace = { tool, args, ms: 0, calls: [] };
    const rec = dag.record(tool);
    if (!rec) return { ok: false, error: `no tool "${tool}"`, trace: { ...empty, error: 'unknown tool' } };
    if (rec.body === undefined) return { ok: false, error: `tool "${tool}" has no body (schema-only)`, trace: { ...empty, error: 'no body' } };
    const program = this.program(dag, tool);
    if (program instanceof Error) return { ok: false, error: program.message, trace: { ...empty, error: program.message } };
    const out = await this.sandbox.call(program, tool, args, { trace: true, contracts: this.#contracts });
    const trace = out.trace ? toTrace(out.trace) : { ...empty, ms: out.ms };
    if (!out.ok) return { ok: false, error: `${out.error?.code ?? 'ERR_EXEC'}: ${out.error?.message ?? 'failed'}`, trace };
    if (typeof out.result === 'number' && !Number.isFinite(out.result)) return { ok: false, error: `ERR_EXEC_VALUE: result is not a finite number (${out.result})`, trace };
    return { ok: true, value: out.result, trace };
  }

  /** Closes the sandbox process if this executor created it. */
  async close(): Promise<void> {
    if (this.#owned) await this.sandbox.close();
  }
}
