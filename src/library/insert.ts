/**
 * InsertTool (paper Algorithm 3): validate a candidate tool by running it, then ADD it, MERGE it
 * into a behaviourally equal tool, or REJECT it. The library is immutable per version, so a
 * REJECT returns the very version it was given and nothing else changes.
 *
 * Order of checks (the first failure decides the reason):
 * 1. the record itself: shape and signature (`validateRecord`), a body, at least one L4 example,
 *    examples that are plain data, a body and pre/post that parse;
 * 2. children: every tool the body calls exists (`ERR_UNKNOWN_CHILD`); the insert closes no cycle
 *    (`ERR_CYCLE`, reason `cycle via fact_rec`); every child has a body;
 * 3. execution, in the sandbox, of the candidate's own examples with *every* call's pre/post
 *    checked (children instrumented): a child's contract violated on any call — even one the
 *    candidate catches — is `ERR_CHILD_CONTRACT`; its own pre/post `ERR_PRE_VIOLATED` /
 *    `ERR_POST_VIOLATED`; a failure `ERR_EXAMPLE_FAILED`; a wrong result `ERR_EXAMPLE_MISMATCH`;
 * 4. MERGE into an existing tool whose L1 unifies (parameter names ignored; the existing tool must
 *    serve the candidate's signature) and whose behaviour is equal on the union of both example
 *    sets: the candidate's new examples are appended to it and no vertex is created. A candidate
 *    named like an existing tool (an update) merges only when equal; otherwise `ERR_NAME_TAKEN`;
 * 5. otherwise ADD: a primitive (no children, depth 0) or a composite (depth 1 + max child depth,
 *    edges from the body).
 */
import { CocodaError } from '../errors.ts';
import { closureOf, programFor } from '../exec/library.ts';
import { parseBody, parseContract } from '../exec/program.ts';
import { defaultSandbox, type CallOutcome, type Sandbox } from '../exec/sandbox.ts';
import { assertPlainData, plainEqual, showValue } from '../exec/values.ts';
import type { Signature } from '../types/ast.ts';
import { parseSignature } from '../types/parse.ts';
import { unifySignature } from '../types/unify.ts';
import { validateRecord, type ToolDag, type ToolInput } from './dag.ts';
import { analyzeBody } from './edges.ts';
import type { ToolExample, ToolRecord } from './record.ts';

/** The outcome of {@link insertTool}. */
export interface InsertDecision {
  action: 'ADD' | 'MERGE' | 'REJECT';
  /** Machine-readable: `ADDED`, `MERGED`, or the rejection's `ERR_…` code. */
  code: string;
  /** Human-readable, starting with the action: `REJECT: cycle via fact_rec`. */
  reason: string;
  /** The candidate's name ('' when the record has none). */
  tool: string;
  /** The library after the decision: new on ADD/MERGE, the input version itself on REJECT. */
  version: ToolDag;
  /** Alias of {@link version} (the teacher's `Inserter` seam reads `dag`). */
  dag: ToolDag;
  /** The tool merged into (MERGE only). */
  mergedInto?: string;
  /** Alias of {@link mergedInto}. */
  into?: string;
  /** ADD: the new tool's depth and ordered children (with multiplicity). */
  depth?: number;
  children?: string[];
  /** Structured context of the reason (example index, offending call, cycle path …). */
  details?: Record<string, unknown>;
}

/** Options of {@link insertTool}. */
export interface InsertOptions {
  /** Where examples run (default: the process-wide {@link defaultSandbox}). */
  sandbox?: Sandbox;
  /** Wall-time limit per example call (default: the sandbox's). */
  timeoutMs?: number;
  /** Most existing tools compared for MERGE (those with unifying signatures, same name first). Default 64. */
  maxMergeCandidates?: number;
  /** Most examples a merged tool keeps (the oldest are kept). Default 32. */
  maxExamples?: number;
  /**
   * Semantic dedup (paper prompt D.8, e.g. `llmDedup` from src/llm): asked when a validated
   * candidate merged into no behaviourally equal tool, with up to 8 existing tools whose signatures
   * unify with it (most similar names/descriptions first). `merge: NAME` turns the ADD into a MERGE
   * into that tool (the candidate's examples the tool reproduces are appended); `null` keeps the ADD.
   * If it throws, the insert is a REJECT `ERR_DEDUP_FAILED` and nothing changes.
   */
  dedup?: (candidate: Readonly<ToolRecord>, neighbours: ReadonlyArray<Readonly<ToolRecord>>) => Promise<{ merge: string | null; reason: string }>;
}

function stripNames(sig: Signature): Signature {
  return { params: sig.params.map((p) => ({ type: p.type, optional: p.optional })), result: sig.result };
}

function countList(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...counts].map(([n, k]) => (k > 1 ? `${n} ×${k}` : n)).join(', ');
}

function callText(tool: string, args: unknown): string {
  const a = Array.isArray(args) ? args.map((x) => showValue(x, 60)).join(', ') : showValue(args);
  return `${tool}(${a})`;
}

/**
 * Validates a candidate tool and inserts, merges or rejects it (see the module comment).
 * Never throws for a bad candidate: every problem is a REJECT with a code and a reason.
 *
 * @example
 * ```ts
 * const d = await insertTool(dag, {
 *   name: 'quadratic_expr', signature: '(a: float, b: float, c: float, x: float) -> float',
 *   examples: [{ args: [1, -3, 2, 2], result: 0 }],
 *   body: 'function quadratic_expr(a, b, c, x) { return add(add(mul(a, pow_int(x, 2)), mul(b, x)), c); }',
 * });
 * d.action; // 'ADD'
 * d.reason; // 'ADD: composite quadratic_expr (depth 1, children add ×2, mul ×2, pow_int)'
 * d.version.depth('quadratic_expr'); // 1
 * ```
 */
export async function insertTool(dag: ToolDag, candidate: ToolInput | Record<string, unknown>, options: InsertOptions = {}): Promise<InsertDecision> {
  const sandbox = options.sandbox ?? defaultSandbox();
  const runOpts = options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {};
  const rawName = typeof (candidate as { name?: unknown })?.name === 'string' ? ((candidate as { name: string }).name) : '';
  const reject = (code: string, reason: string, details?: Record<string, unknown>): InsertDecision => {
    const d: InsertDecision = { action: 'REJECT', code, reason: `REJECT: ${reason}`, tool: rawName, version: dag, dag };
    if (details) d.details = details;
    return d;
  };

  // 1. The record.
  let rec: Readonly<ToolRecord>;
  try {
    const ex = (candidate as { examples?: unknown })?.examples;
    if (Array.isArray(ex)) {
      ex.forEach((e: unknown, i) => {
        if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new CocodaError(`tool "${rawName}": examples[${i}] must be an object {"args": [...], "result": ...}`, 'ERR_RECORD', { tool: rawName, field: `examples[${i}]` });
        const { args } = e as { args?: unknown };
        if (!Array.isArray(args)) throw new CocodaError(`tool "${rawName}": examples[${i}].args must be an array of arguments`, 'ERR_RECORD', { tool: rawName, field: `examples[${i}].args` });
        if (!('result' in e)) throw new CocodaError(`tool "${rawName}": examples[${i}].result is missing`, 'ERR_RECORD', { tool: rawName, field: `examples[${i}].result` });
        assertPlainData(args, `tool "${rawName}": examples[${i}].args`, { tool: rawName, field: `examples[${i}].args` });
        assertPlainData((e as { result: unknown }).result, `tool "${rawName}": examples[${i}].result`, { tool: rawName, field: `examples[${i}].result` });
      });
    }
    rec = validateRecord(candidate, dag.typeRegistry());
  } catch (e) {
    if (e instanceof CocodaError) return reject(e.code, e.message, e.details);
    if (e instanceof TypeError || e instanceof RangeError) return reject('ERR_RECORD', e.message);
    throw e;
  }
  const name = rec.name;
  if (rec.body === undefined) {
    return reject('ERR_NO_BODY', `tool "${name}": body: missing — InsertTool validates a tool by running it, so it needs the source of \`function ${name}(…) { … }\``, { tool: name, field: 'body' });
  }
  if (rec.examples.length === 0) {
    return reject('ERR_NO_EXAMPLES', `tool "${name}": examples: none — at least one worked example {"args": [...], "result": ...} is needed to validate it`, { tool: name, field: 'examples' });
  }
  try {
    parseBody(name, rec.body);
    parseContract(name, 'pre', rec.pre);
    parseContract(name, 'post', rec.post);
  } catch (e) {
    if (e instanceof CocodaError) return reject(e.code, e.message, e.details);
    throw e;
  }

  // 2. Children and the graph.
  const isUpdate = dag.has(name);
  try {
    analyzeBody(name, rec.body, (n) => n === name || dag.has(n));
  } catch (e) {
    if (e instanceof CocodaError) {
      if (e.code === 'ERR_UNKNOWN_CHILD') {
        const child = String(e.details?.name ?? '?');
        return reject(e.code, `tool "${name}": body calls "${child}", which does not exist in library version ${dag.version}`, { ...e.details, child });
      }
      return reject(e.code, e.message, e.details);
    }
    throw e;
  }
  let next: ToolDag;
  try {
    next = isUpdate ? dag.replace(rec) : dag.add(rec);
  } catch (e) {
    if (e instanceof CocodaError && e.code === 'ERR_CYCLE') {
      const path = Array.isArray(e.details?.cycle) ? (e.details!.cycle as string[]) : [];
      const via = [...new Set(path.filter((n) => n !== name))];
      return reject('ERR_CYCLE', via.length ? `cycle via ${via.join(' -> ')}` : `cycle: "${name}" calls itself`, { cycle: path });
    }
    if (e instanceof CocodaError) return reject(e.code, e.message, e.details);
    if (e instanceof TypeError || e instanceof RangeError) return reject('ERR_RECORD', e.message);
    throw e;
  }
  const children = [...next.children(name)];
  for (const c of closureOf(next, [name])) {
    if (c !== name && next.record(c)!.body === undefined) {
      return reject('ERR_CHILD_NO_BODY', `tool "${name}" calls "${c}", a schema-only tool without a body, so it cannot be validated`, { child: c });
    }
  }

  // 3. The candidate's own examples, every call's contracts checked.
  let outs: CallOutcome[];
  try {
    outs = await sandbox.run(programFor(next, name), rec.examples.map((e) => ({ tool: name, args: e.args, contracts: true })), runOpts);
  } catch (e) {
    if (e instanceof CocodaError) return reject(e.code, `tool "${name}": ${e.message}`, e.details);
    throw e;
  }
  for (let i = 0; i < outs.length; i++) {
    const o = outs[i]!;
    const ex = rec.examples[i]!;
    const v = o.violations[0];
    if (v) {
      const cond = v.kind === 'pre' ? next.record(v.tool)?.pre : next.record(v.tool)?.post;
      const details = { example: i, violation: v };
      if (v.tool !== name) {
        return reject('ERR_CHILD_CONTRACT', `${name} violates ${v.tool}'s ${v.kind}-condition \`${cond}\` on example ${i}: ${callText(v.tool, v.args)}`, details);
      }
      return reject(v.kind === 'pre' ? 'ERR_PRE_VIOLATED' : 'ERR_POST_VIOLATED', `example ${i} ${callText(name, ex.args)} violates ${name}'s own ${v.kind}-condition \`${cond}\``, details);
    }
    if (!o.ok) {
      return reject('ERR_EXAMPLE_FAILED', `example ${i} ${callText(name, ex.args)} fails: ${o.error!.message} [${o.error!.code}]`, { example: i, error: o.error });
    }
    if (!plainEqual(o.result, ex.result)) {
      return reject('ERR_EXAMPLE_MISMATCH', `example ${i} ${callText(name, ex.args)} returns ${showValue(o.result)}, expected ${showValue(ex.result)}`, { example: i, got: o.result, expected: ex.result });
    }
  }

  // 4. MERGE into an equal tool.
  const merge = await findMerge(dag, next, rec, sandbox, runOpts, options.maxMergeCandidates ?? 64);
  if (merge) {
    const target = dag.record(merge.into)!;
    const fresh = rec.examples.filter((e) => !target.examples.some((t) => plainEqual(t.args, e.args)));
    const room = Math.max(0, (options.maxExamples ?? 32) - target.examples.length);
    const appended = fresh.slice(0, room);
    const version = appended.length ? dag.replace({ ...target, examples: [...target.examples, ...appended] as ToolExample[] }) : dag;
    const what = merge.into === name ? `${name} into the existing ${name}` : `${name} into ${merge.into}`;
    return {
      action: 'MERGE',
      code: 'MERGED',
      reason: `MERGE: ${what} (same behaviour on ${merge.compared} examples; ${appended.length} example${appended.length === 1 ? '' : 's'} appended)`,
      tool: name,
      version,
      dag: version,
      mergedInto: merge.into,
      into: merge.into,
      details: { compared: merge.compared, appended: appended.length },
    };
  }
  if (isUpdate) {
    return reject('ERR_NAME_TAKEN', `a different tool named "${name}" already exists (its behaviour differs from the candidate's); give the candidate another name`, { tool: name });
  }

  // 4b. Semantic dedup (D.8), when plugged in.
  if (options.dedup) {
    const neighbours = semanticNeighbours(dag, rec, 8);
    if (neighbours.length > 0) {
      let verdict: { merge: string | null; reason: string };
      try {
        verdict = await options.dedup(rec, neighbours);
      } catch (e) {
        return reject('ERR_DEDUP_FAILED', `semantic dedup of "${name}" failed, nothing was written: ${(e as Error).message}`, { tool: name });
      }
      if (verdict.merge !== null) {
        const target = dag.record(verdict.merge);
        if (!target || !neighbours.some((r) => r.name === verdict.merge)) {
          return reject('ERR_DEDUP_FAILED', `semantic dedup named "${verdict.merge}", which is not one of the candidates offered`, { tool: name });
        }
        // Append only the candidate's examples the target reproduces (its record must stay true).
        let appended: ToolExample[] = [];
        const fresh = rec.examples.filter((e) => !target.examples.some((t) => plainEqual(t.args, e.args)));
        if (target.body !== undefined && fresh.length > 0) {
          try {
            const outs = await sandbox.run(programFor(dag, target.name), fresh.map((e) => ({ tool: target.name, args: e.args })), runOpts);
            appended = fresh.filter((e, i) => ok(outs[i]!) && plainEqual(outs[i]!.result, e.result));
          } catch {
            appended = [];
          }
        }
        appended = appended.slice(0, Math.max(0, (options.maxExamples ?? 32) - target.examples.length));
        const version = appended.length ? dag.replace({ ...target, examples: [...target.examples, ...appended] as ToolExample[] }) : dag;
        return {
          action: 'MERGE',
          code: 'MERGED',
          reason: `MERGE: ${name} into ${target.name} (semantic duplicate: ${verdict.reason || 'same computation'}; ${appended.length} example${appended.length === 1 ? '' : 's'} appended)`,
          tool: name,
          version,
          dag: version,
          mergedInto: target.name,
          into: target.name,
          details: { semantic: true, appended: appended.length },
        };
      }
    }
  }

  // 5. ADD.
  const depth = next.depth(name);
  const reason = children.length === 0 ? `ADD: primitive ${name} (depth 0)` : `ADD: composite ${name} (depth ${depth}, children ${countList(children)})`;
  return { action: 'ADD', code: 'ADDED', reason, tool: name, version: next, dag: next, depth, children };
}

/** The first existing tool equal in behaviour to the candidate on the union of both example sets. */
async function findMerge(
  dag: ToolDag,
  next: ToolDag,
  rec: Readonly<ToolRecord>,
  sandbox: Sandbox,
  runOpts: { timeoutMs?: number },
  limit: number,
): Promise<{ into: string; compared: number } | undefined> {
  const registry = dag.typeRegistry();
  let candSig: Signature;
  try {
    candSig = stripNames(parseSignature(rec.signature, { registry }));
  } catch {
    return undefined;
  }
  const pool: Array<Readonly<ToolRecord>> = [];
  // A candidate named like an existing tool is an update of that tool: it can only merge into
  // it (never into another name); otherwise the caller reports ERR_NAME_TAKEN.
  const same = dag.record(rec.name);
  const ordered = same ? [same] : dag.records();
  for (const r of ordered) {
    if (pool.length >= limit) break;
    if (r.body === undefined || r.examples.length === 0) continue;
    let sig: Signature;
    try {
      sig = stripNames(parseSignature(r.signature, { registry }));
    } catch {
      continue;
    }
    if (sig.params.length !== candSig.params.length || unifySignature(candSig, sig) === null) continue;
    try {
      closureOf(dag, [r.name]).forEach((c) => {
        if (dag.record(c)!.body === undefined) throw new Error('schema-only child');
      });
    } catch {
      continue;
    }
    pool.push(r);
  }
  if (pool.length === 0) return undefined;

  // The candidate (in `next`) on every pool tool's example arguments, in one batch.
  const candCalls = pool.flatMap((r) => r.examples.map((e) => ({ tool: rec.name, args: e.args })));
  const candOuts = await sandbox.run(programFor(next, rec.name), candCalls, runOpts);
  // The pool tools (in `dag`) on the union of their own and the candidate's examples, in one batch.
  const poolProgram = programFor(dag, pool.map((r) => r.name));
  const poolCalls = pool.flatMap((r) => [...r.examples, ...rec.examples].map((e) => ({ tool: r.name, args: e.args })));
  const poolOuts = await sandbox.run(poolProgram, poolCalls, runOpts);

  let ci = 0;
  let pi = 0;
  for (const r of pool) {
    let equal = true;
    // Pool tool's own examples: both must reproduce them.
    for (const e of r.examples) {
      const c = candOuts[ci++]!;
      const p = poolOuts[pi++]!;
      if (!ok(c) || !ok(p) || !plainEqual(c.result, e.result) || !plainEqual(p.result, e.result)) equal = false;
    }
    // Candidate's examples: the pool tool must reproduce them (the candidate already does).
    for (const e of rec.examples) {
      const p = poolOuts[pi++]!;
      if (!ok(p) || !plainEqual(p.result, e.result)) equal = false;
    }
    if (equal) return { into: r.name, compared: r.examples.length + rec.examples.length };
  }
  return undefined;
}

/** Existing tools whose signature unifies with the candidate's, most similar name/description first. */
function semanticNeighbours(dag: ToolDag, rec: Readonly<ToolRecord>, limit: number): Array<Readonly<ToolRecord>> {
  const registry = dag.typeRegistry();
  let candSig: Signature;
  try {
    candSig = stripNames(parseSignature(rec.signature, { registry }));
  } catch {
    return [];
  }
  const words = (r: Readonly<ToolRecord>) => new Set(`${r.name.replace(/[_.]/g, ' ')} ${r.description} ${r.tags.join(' ')}`.toLowerCase().match(/[a-z0-9]+/g) ?? []);
  const mine = words(rec);
  const scored: Array<{ r: Readonly<ToolRecord>; s: number }> = [];
  for (const r of dag.records()) {
    if (r.name === rec.name) continue;
    let sig: Signature;
    try {
      sig = stripNames(parseSignature(r.signature, { registry }));
    } catch {
      continue;
    }
    if (sig.params.length !== candSig.params.length || unifySignature(candSig, sig) === null) continue;
    const w = words(r);
    let inter = 0;
    for (const x of w) if (mine.has(x)) inter++;
    scored.push({ r, s: inter / (w.size + mine.size - inter || 1) });
  }
  scored.sort((a, b) => b.s - a.s || (a.r.name < b.r.name ? -1 : 1));
  return scored.slice(0, limit).map((x) => x.r);
}

function ok(o: CallOutcome): boolean {
  return o.ok && o.violations.length === 0;
}

/**
 * {@link insertTool} bound to options, in the shape of the teacher's `Inserter` seam
 * (`(dag, candidate) => Promise<decision>`).
 */
export function libraryInserter(options: InsertOptions = {}): (dag: ToolDag, candidate: ToolInput) => Promise<InsertDecision> {
  return (dag, candidate) => insertTool(dag, candidate, options);
}
