/**
 * Running the tools of a library version: a tool's program is the tool plus every tool it
 * reaches through its children (the DAG gives the closure), compiled once per (version, tool).
 */
import { CocodaError } from '../errors.ts';
import type { ToolDag } from '../library/dag.ts';
import type { ToolRecord } from '../library/record.ts';
import { parseSignature } from '../types/parse.ts';
import { compileProgram, type ExecTool, type Program } from './program.ts';
import type { CallOutcome, Sandbox } from './sandbox.ts';

/** Parameter names of a signature (`undefined` where a parameter is positional or it does not parse). */
export function signatureParamNames(signature: string, dag?: ToolDag): Array<string | undefined> | undefined {
  try {
    const opts = dag ? { registry: dag.typeRegistry() } : {};
    return parseSignature(signature, opts).params.map((p) => p.name);
  } catch {
    return undefined;
  }
}

/**
 * The sandbox view of a record. Throws `ERR_NO_BODY` (naming the tool and the field) for a
 * schema-only tool, which cannot run.
 */
export function execToolOf(record: Readonly<ToolRecord>, dag?: ToolDag): ExecTool {
  if (typeof record.body !== 'string' || record.body.trim() === '') {
    throw new CocodaError(
      `tool "${record.name}": body: none — "${record.name}" is a schema-only tool (origin ${record.origin}) and cannot be executed`,
      'ERR_NO_BODY',
      { tool: record.name, field: 'body' },
    );
  }
  const t: ExecTool = { name: record.name, body: record.body, pre: record.pre, post: record.post };
  const params = signatureParamNames(record.signature, dag);
  if (params) t.params = params;
  return t;
}

/** `names` and every tool they reach through children in `dag`, dependencies first. */
export function closureOf(dag: ToolDag, names: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const c of dag.children(n)) visit(c);
    out.push(n);
  };
  for (const n of names) {
    if (!dag.has(n)) throw new CocodaError(`unknown tool "${n}"`, 'ERR_UNKNOWN_TOOL', { tool: n });
    visit(n);
  }
  return out;
}

const cache = new WeakMap<ToolDag, Map<string, Program>>();

/**
 * The compiled program that runs `names` (one tool or several) of a library version: the tools
 * and their transitive children. Cached per (version object, names).
 *
 * @example
 * ```ts
 * const prog = programFor(dag, 'quadratic_expr');
 * await sandbox.call(prog, 'quadratic_expr', [1, -3, 2, 2]); // { ok: true, result: 0, … }
 * ```
 */
export function programFor(dag: ToolDag, names: string | readonly string[]): Program {
  const list = typeof names === 'string' ? [names] : [...names].sort();
  const key = list.join('\u0000');
  let byName = cache.get(dag);
  if (!byName) {
    byName = new Map();
    cache.set(dag, byName);
  }
  let p = byName.get(key);
  if (!p) {
    p = compileProgram(closureOf(dag, list).map((n) => execToolOf(dag.record(n)!, dag)));
    byName.set(key, p);
  }
  return p;
}

/** Options of {@link runTool}. */
export interface RunToolOptions {
  trace?: boolean;
  /** Check every called tool's pre/post (default true). */
  contracts?: boolean;
  timeoutMs?: number;
}

/**
 * Runs one tool of a library version in the sandbox. Failures (including "unknown tool" and "no
 * body") are returned as outcomes, never thrown.
 */
export async function runTool(sandbox: Sandbox, dag: ToolDag, name: string, args: unknown[], options: RunToolOptions = {}): Promise<CallOutcome> {
  let program: Program;
  try {
    program = programFor(dag, name);
  } catch (e) {
    if (e instanceof CocodaError) {
      const error: CallOutcome['error'] = { code: e.code, message: e.message };
      const tool = e.details?.tool;
      if (typeof tool === 'string') error.tool = tool;
      return { ok: false, error, ms: 0, violations: [] };
    }
    throw e;
  }
  return sandbox.call(program, name, args, options);
}
