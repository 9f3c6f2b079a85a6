/**
 * Sandboxed execution of tool bodies (docs/sandbox.md).
 *
 * A {@link Sandbox} owns one child process (`runner.cjs`) whose main thread runs tool calls
 * inside a single locked-down `node:vm` context, and whose watchdog thread kills the process
 * when a call overruns its wall-time limit. The heap of that process is capped with
 * `--max-old-space-size`; running out kills only the child. After any kill the host respawns the
 * child and re-runs the rest of the batch, so one bad call costs one respawn and every other
 * call of the batch still gets its result.
 *
 * Calls are batched: one IPC round trip per {@link Sandbox.run}, a direct in-process call per
 * tool call inside the child. Values cross as JSON (see `values.ts`).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { CocodaError, argError } from '../errors.ts';
import type { Program } from './program.ts';
import { decodeWire, encodeWire, findNonPlain } from './values.ts';

/** Options of a {@link Sandbox}. */
export interface SandboxOptions {
  /** Wall-time limit of one top-level call, composites included (ms). Default 2000. */
  timeoutMs?: number;
  /** Heap limit of the sandbox process (`--max-old-space-size`, MB). Default 192. */
  memoryMb?: number;
  /** Trace nodes kept per top-level call; further calls are counted in `droppedTraceNodes`. Default 10000. */
  maxTraceNodes?: number;
  /** Compiled programs kept in the sandbox (LRU). Default 256. */
  maxPrograms?: number;
  /** Largest outcome (JSON characters) one call may send back. Default 64 Mi. */
  maxOutcomeChars?: number;
}

/** One call of a batch. */
export interface CallSpec {
  tool: string;
  /** Positional arguments: plain data only. */
  args: unknown[];
  /** Record the nested call trace. Default false. */
  trace?: boolean;
  /** Evaluate `pre`/`post` of every tool called (the top-level one and all nested ones). Default true. */
  contracts?: boolean;
}

/** A failure, with a stable code. */
export interface ExecError {
  /**
   * `ERR_EXEC_THROW` (the body threw), `ERR_PRE_VIOLATED`, `ERR_POST_VIOLATED`, `ERR_EXEC_VALUE`
   * (argument or result not plain data), `ERR_EXEC_ASYNC` (returned a Promise), `ERR_EXEC_STACK`
   * (recursion too deep), `ERR_EXEC_TIMEOUT`, `ERR_EXEC_MEMORY`, `ERR_EXEC_CRASH`,
   * `ERR_UNKNOWN_TOOL`, `ERR_PROGRAM_COMPILE`, `ERR_EXEC_INTERNAL`.
   */
  code: string;
  message: string;
  /** The innermost tool in which the failure arose (when known). */
  tool?: string;
}

/** One node of a call trace: a call of `tool`, with the calls its body made. */
export interface TraceNode {
  tool: string;
  args: unknown[];
  /** Present when the call returned (non-plain values appear as strings like `"[function]"`). */
  result?: unknown;
  /** Present when the call threw. */
  error?: ExecError;
  /** Wall time of the call in ms (sub-ms resolution; includes tracing overhead). */
  ms: number;
  calls: TraceNode[];
}

/** A contract violation observed during a call (also when the caller caught the error). */
export interface Violation {
  tool: string;
  kind: 'pre' | 'post';
  message: string;
  args: unknown[];
  result?: unknown;
}

/** The outcome of one call. Never thrown: every failure is data. */
export interface CallOutcome {
  ok: boolean;
  result?: unknown;
  error?: ExecError;
  /** Wall time of the call inside the sandbox (ms). */
  ms: number;
  /** The call tree (when `trace` was asked), `null` if nothing could be recorded. */
  trace?: TraceNode | null;
  /** Every pre/post violation on any call made, in order (empty when none). */
  violations: Violation[];
  /** Calls beyond `maxTraceNodes` that were executed but not recorded. */
  droppedTraceNodes?: number;
}

/** Counters of a sandbox's life. */
export interface SandboxStats {
  spawns: number;
  batches: number;
  calls: number;
  timeouts: number;
  memoryKills: number;
  crashes: number;
}

/** Largest per-call wall-time limit (ms): the watchdog keeps it in an Int32 slot. */
export const MAX_TIMEOUT_MS = 2_147_483_647;
/** Longest delay a Node timer takes (larger ones fire after 1 ms). */
const MAX_TIMER_MS = 2_147_483_647;

const RUNNER = fileURLToPath(new URL('./runner.cjs', import.meta.url));
const TRACE = 1;
const CONTRACTS = 2;

interface Pending {
  id: number;
  resolve: (msg: RunnerReply) => void;
}

type RunnerReply =
  | { type: 'done'; id: number; outcomes: string[] }
  | { type: 'missing'; id: number }
  | { type: 'compile-error'; id: number; message: string }
  | { type: 'died'; id: number; timeoutIndex: number; memory: boolean; detail: string; drain?: boolean };

/** The watchdog's index while the runner drains a batch's Promise jobs (runner.cjs). */
const DRAIN_INDEX = -2;

interface Child {
  proc: ChildProcess;
  ready: Promise<void>;
  sent: Set<string>;
  stderr: string;
  dead: boolean;
  pending: Pending | undefined;
}

function failure(code: string, message: string, tool?: string): CallOutcome {
  const error: ExecError = { code, message };
  if (tool !== undefined) error.tool = tool;
  return { ok: false, error, ms: 0, violations: [] };
}

/**
 * A sandbox process. Create one per worker / CLI invocation and {@link close} it when done
 * (an idle sandbox does not keep the host process alive).
 *
 * @example
 * ```ts
 * const sb = new Sandbox({ timeoutMs: 1000 });
 * const prog = compileProgram([{ name: 'sq', body: 'function sq(x) { return x * x; }' }]);
 * const [a, b] = await sb.run(prog, [{ tool: 'sq', args: [3] }, { tool: 'sq', args: ['x'] }]);
 * a.result; // 9
 * b.result; // NaN
 * await sb.close();
 * ```
 */
export class Sandbox {
  readonly timeoutMs: number;
  readonly memoryMb: number;
  readonly #config: { nonce: string; maxTraceNodes: number; maxPrograms: number; maxOutcomeChars: number };
  readonly #marker: string;
  #child: Child | undefined;
  #nextId = 1;
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;
  readonly #stats: SandboxStats = { spawns: 0, batches: 0, calls: 0, timeouts: 0, memoryKills: 0, crashes: 0 };

  constructor(options: SandboxOptions = {}) {
    const int = (name: string, v: number | undefined, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
      const want = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
      if (v === undefined) return dflt;
      if (typeof v !== 'number' || !Number.isInteger(v)) throw argError('type', name, want, v);
      if (v < min || v > max) throw argError('range', name, want, v);
      return v;
    };
    this.timeoutMs = int('timeoutMs', options.timeoutMs, 2000, 10, MAX_TIMEOUT_MS);
    this.memoryMb = int('memoryMb', options.memoryMb, 192, 32, 1 << 20);
    const nonce = randomBytes(12).toString('hex');
    this.#config = {
      nonce,
      maxTraceNodes: int('maxTraceNodes', options.maxTraceNodes, 10000, 1),
      maxPrograms: int('maxPrograms', options.maxPrograms, 256, 1),
      maxOutcomeChars: int('maxOutcomeChars', options.maxOutcomeChars, 64 * 1024 * 1024, 1024),
    };
    this.#marker = '\u0000' + nonce + ':';
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Counters: processes spawned, batches, calls, and kills by cause. */
  get stats(): Readonly<SandboxStats> {
    return { ...this.#stats };
  }

  /**
   * Runs a batch of calls against one program, in order, and resolves with one outcome per call
   * (failures are outcomes, never rejections). Batches from concurrent callers are queued.
   *
   * @param options.timeoutMs per-call limit for this batch (default: the sandbox's)
   */
  run(program: Program, calls: readonly CallSpec[], options: { timeoutMs?: number } = {}): Promise<CallOutcome[]> {
    if (this.#closed) return Promise.reject(new CocodaError('sandbox is closed', 'ERR_SANDBOX_CLOSED'));
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 10 || timeoutMs > MAX_TIMEOUT_MS) {
      return Promise.reject(argError('range', 'timeoutMs', `an integer from 10 to ${MAX_TIMEOUT_MS}`, timeoutMs));
    }
    const encoded: Array<[string, string, number] | CallOutcome> = calls.map((c, i) => {
      if (typeof c?.tool !== 'string') return failure('ERR_EXEC_VALUE', `calls[${i}].tool must be a string`);
      if (!Array.isArray(c.args)) return failure('ERR_EXEC_VALUE', `tool "${c.tool}": arguments must be an array`, c.tool);
      const flags = (c.trace ? TRACE : 0) | (c.contracts === false ? 0 : CONTRACTS);
      if (scalarArgs(c.args) && program.tools.includes(c.tool)) return [c.tool, JSON.stringify(c.args), flags];
      const bad = findNonPlain(c.args, 'args');
      if (bad) return failure('ERR_EXEC_VALUE', `tool "${c.tool}": ${bad.path} is ${bad.problem}, not plain data`, c.tool);
      if (!program.tools.includes(c.tool)) return failure('ERR_UNKNOWN_TOOL', `no tool "${c.tool}" in this program`, c.tool);
      return [c.tool, encodeWire(c.args, this.#marker), flags];
    });
    const job = this.#queue.then(() => this.#runEncoded(program, encoded, timeoutMs));
    this.#queue = job.catch(() => undefined);
    return job;
  }

  /** One call; see {@link run}. */
  async call(program: Program, tool: string, args: unknown[], options: { trace?: boolean; contracts?: boolean; timeoutMs?: number } = {}): Promise<CallOutcome> {
    const spec: CallSpec = { tool, args };
    if (options.trace !== undefined) spec.trace = options.trace;
    if (options.contracts !== undefined) spec.contracts = options.contracts;
    const runOpts: { timeoutMs?: number } = {};
    if (options.timeoutMs !== undefined) runOpts.timeoutMs = options.timeoutMs;
    const [out] = await this.run(program, [spec], runOpts);
    return out!;
  }

  /** Kills the sandbox process. Further runs reject with `ERR_SANDBOX_CLOSED`. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    this.#kill();
  }

  async #runEncoded(program: Program, encoded: Array<[string, string, number] | CallOutcome>, timeoutMs: number): Promise<CallOutcome[]> {
    const out: CallOutcome[] = new Array(encoded.length);
    const todo: Array<[string, string, number]> = [];
    const where: number[] = [];
    encoded.forEach((e, i) => {
      if (Array.isArray(e)) {
        todo.push(e);
        where.push(i);
      } else out[i] = e;
    });
    if (todo.length) {
      const res = await this.#batch(program, todo, timeoutMs);
      res.forEach((o, j) => (out[where[j]!] = o));
    }
    return out;
  }

  /** Runs calls in the child; on a kill, re-runs the others around the culprit. */
  async #batch(program: Program, calls: Array<[string, string, number]>, timeoutMs: number): Promise<CallOutcome[]> {
    if (calls.length === 0) return [];
    this.#stats.batches++;
    this.#stats.calls += calls.length;
    const reply = await this.#send(program, calls, timeoutMs);
    if (reply.type === 'done') return reply.outcomes.map((s) => this.#decode(s));
    if (reply.type === 'compile-error') {
      return calls.map((c) => failure('ERR_PROGRAM_COMPILE', reply.message, c[0]));
    }
    if (reply.type === 'missing') throw new CocodaError('sandbox lost a program twice', 'ERR_EXEC_INTERNAL');
    // The child died.
    const culprit = reply.timeoutIndex;
    if (culprit >= 0 && culprit < calls.length) {
      this.#stats.timeouts++;
      const tool = calls[culprit]![0];
      const fail = failure('ERR_EXEC_TIMEOUT', `tool "${tool}" did not return within ${timeoutMs} ms and was stopped`, tool);
      const before = await this.#batch(program, calls.slice(0, culprit), timeoutMs);
      const after = await this.#batch(program, calls.slice(culprit + 1), timeoutMs);
      return [...before, fail, ...after];
    }
    if (calls.length === 1) {
      const tool = calls[0]![0];
      if (reply.drain) {
        this.#stats.timeouts++;
        return [failure('ERR_EXEC_TIMEOUT', `tool "${tool}" left Promise jobs that did not finish within ${timeoutMs} ms and was stopped`, tool)];
      }
      if (reply.memory) {
        this.#stats.memoryKills++;
        return [failure('ERR_EXEC_MEMORY', `tool "${tool}" exceeded the sandbox memory limit (${this.memoryMb} MB) and was stopped`, tool)];
      }
      this.#stats.crashes++;
      return [failure('ERR_EXEC_CRASH', `tool "${tool}" crashed the sandbox process (${reply.detail})`, tool)];
    }
    // Unknown culprit (the process ran out of memory mid-batch, or the batch's Promise jobs did
    // not finish): isolate it by running singly (each single-call batch drains its own jobs).
    const res: CallOutcome[] = [];
    for (const c of calls) res.push(...(await this.#batch(program, [c], timeoutMs)));
    return res;
  }

  #decode(text: string): CallOutcome {
    const o = decodeWire(text, this.#marker) as CallOutcome;
    if (!Array.isArray(o.violations)) o.violations = [];
    if (typeof o.ms !== 'number') o.ms = NaN;
    if (o.trace) fixTrace(o.trace);
    return o;
  }

  async #send(program: Program, calls: Array<[string, string, number]>, timeoutMs: number, retry = true): Promise<RunnerReply> {
    const child = await this.#ensureChild();
    const id = this.#nextId++;
    const msg: Record<string, unknown> = { type: 'run', id, key: program.key, calls, timeoutMs };
    if (!child.sent.has(program.key)) msg.source = program.source;
    let guard: NodeJS.Timeout | undefined;
    const reply = await new Promise<RunnerReply>((resolve) => {
      child.pending = { id, resolve };
      if (child.dead) {
        resolve({ type: 'died', id, timeoutIndex: -1, memory: false, detail: 'the sandbox process had exited' });
        return;
      }
      this.#ref(child, true);
      // Last-resort guard should the child stop answering without dying.
      guard = setTimeout(() => {
        if (child.pending?.id === id) this.#kill();
      }, Math.min(MAX_TIMER_MS, timeoutMs * calls.length + 30_000));
      guard.unref();
      child.proc.send(msg, (err) => {
        if (err && child.pending?.id === id) this.#kill();
      });
    });
    clearTimeout(guard);
    child.pending = undefined;
    this.#ref(child, false);
    if (reply.type === 'missing' || reply.type === 'compile-error') child.sent.delete(program.key);
    else if (reply.type === 'done') child.sent.add(program.key);
    if (reply.type === 'missing' && retry) return this.#send(program, calls, timeoutMs, false);
    return reply;
  }

  #ref(child: Child, on: boolean): void {
    const ch = child.proc as ChildProcess & { channel?: { ref(): void; unref(): void } };
    if (on) {
      child.proc.ref();
      ch.channel?.ref();
    } else {
      child.proc.unref();
      ch.channel?.unref();
    }
  }

  async #ensureChild(): Promise<Child> {
    if (this.#child && !this.#child.dead) {
      await this.#child.ready;
      return this.#child;
    }
    this.#stats.spawns++;
    const proc = fork(RUNNER, [JSON.stringify(this.#config)], {
      execArgv: [`--max-old-space-size=${this.memoryMb}`, '--max-semi-space-size=16'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
      env: {},
      cwd: tmpdir(),
    });
    const child: Child = { proc, ready: Promise.resolve(), sent: new Set(), stderr: '', dead: false, pending: undefined };
    this.#child = child;
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      child.stderr = (child.stderr + d).slice(-16384);
    });
    (proc.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    let onReady: () => void = () => {};
    let onFail: (e: Error) => void = () => {};
    child.ready = new Promise<void>((res, rej) => {
      onReady = res;
      onFail = rej;
    });
    child.ready.catch(() => undefined);
    const startGuard = setTimeout(() => {
      onFail(new CocodaError('sandbox process did not start within 30 s', 'ERR_SANDBOX_START'));
      proc.kill('SIGKILL');
    }, 30_000);
    startGuard.unref();
    proc.on('message', (m: { type?: string; id?: number }) => {
      if (m?.type === 'ready') {
        clearTimeout(startGuard);
        onReady();
        return;
      }
      const p = child.pending;
      if (p && m && m.id === p.id) p.resolve(m as RunnerReply);
    });
    proc.on('error', () => {
      /* reported through 'exit' */
    });
    proc.on('exit', (code, signal) => {
      child.dead = true;
      clearTimeout(startGuard);
      // Let the stderr pipe drain so the timeout marker is seen.
      const finish = (): void => {
        onFail(new CocodaError(`sandbox process exited during start-up (${signal ?? code}): ${child.stderr.trim().slice(-500)}`, 'ERR_SANDBOX_START'));
        const p = child.pending;
        if (!p) return;
        const m = /@@cocoda-timeout (\d+) (-?\d+)/.exec(child.stderr);
        const timeoutIndex = m && Number(m[1]) === p.id ? Number(m[2]) : -1;
        const memory = /heap out of memory|Allocation failed|OOM/i.test(child.stderr);
        const drain = !!m && Number(m[1]) === p.id && timeoutIndex === DRAIN_INDEX;
        p.resolve({ type: 'died', id: p.id, timeoutIndex: m && Number(m[1]) === p.id && timeoutIndex < 0 ? Number.MAX_SAFE_INTEGER : timeoutIndex, memory, detail: `${signal ?? `exit code ${code}`}`, drain });
      };
      if (proc.stderr && !proc.stderr.readableEnded) {
        proc.stderr.once('end', finish);
        proc.stderr.once('close', finish);
        setTimeout(finish, 200).unref();
      } else finish();
    });
    try {
      await child.ready;
    } finally {
      this.#ref(child, false);
    }
    return child;
  }

  #kill(): void {
    const c = this.#child;
    if (c && !c.dead) {
      c.proc.kill('SIGKILL');
    }
  }
}

/** Fast path: a dense array of finite numbers, strings, booleans and nulls is JSON as it is. */
function scalarArgs(args: unknown[]): boolean {
  if (Object.getPrototypeOf(args) !== Array.prototype) return false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const t = typeof a;
    if (!(t === 'string' || t === 'boolean' || a === null || (t === 'number' && Number.isFinite(a))) || !(i in args)) return false;
  }
  return true;
}

function fixTrace(n: TraceNode): void {
  if (typeof n.ms !== 'number') n.ms = NaN;
  if (!Array.isArray(n.calls)) n.calls = [];
  for (const c of n.calls) fixTrace(c);
}

let shared: Sandbox | undefined;

/**
 * A process-wide sandbox with default options, created on first use. It never keeps the process
 * alive while idle; `close()` it to end its child process early (the next call makes a new one).
 */
export function defaultSandbox(): Sandbox {
  if (!shared || shared.closed) shared = new Sandbox();
  return shared;
}
