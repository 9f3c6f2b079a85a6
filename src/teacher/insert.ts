/**
 * The seam between the teacher and the library's InsertTool (paper Algorithm 3). Every candidate
 * goes through an {@link Inserter}; the decision carries an action, a machine-readable code and a
 * reason, and a rejected candidate leaves the library version unchanged.
 *
 * {@link executableInserter} is the embedded implementation used until the library's own
 * InsertTool (issue 3, `src/library/insert.ts`) is available; it follows the same algorithm:
 * 1. structural checks by `ToolDag.add` (unknown child, cycle, bad body …) → REJECT with its code;
 * 2. the candidate's L4 examples run in the sandbox with every tool's pre/post checked — a thrown
 *    error, a violated child contract or a result different from the example → REJECT;
 * 3. an existing tool with the same signature that agrees with the candidate on the union of both
 *    example sets → MERGE (the candidate's examples are appended to it, no new vertex);
 * 4. otherwise ADD (depth and edges from the body).
 */
import { CocodaError } from '../errors.ts';
import type { ToolDag, ToolInput } from '../library/dag.ts';
import type { ToolExample } from '../library/record.ts';
import type { ToolExecutor } from '../trajectory/executor.ts';
import { valuesMatch } from '../tasks/verify.ts';

export interface InsertDecision {
  action: 'ADD' | 'MERGE' | 'REJECT';
  /** Stable code: `OK`, `MERGED`, or the rejection's (`ERR_CYCLE`, `ERR_EXAMPLE_FAILED`, `ERR_PRE_VIOLATED` …). */
  code: string;
  reason: string;
  /** The library after the decision (the input version on REJECT). */
  dag: ToolDag;
  /** Tool merged into, for MERGE. */
  into?: string;
}

export type Inserter = (dag: ToolDag, candidate: ToolInput) => Promise<InsertDecision>;

const MAX_EXAMPLES = 8;

async function agrees(dag: ToolDag, tool: string, examples: readonly ToolExample[], ex: ToolExecutor): Promise<boolean> {
  for (const e of examples) {
    const r = await ex.call(dag, tool, e.args as unknown[]);
    if (!r.ok || !valuesMatch(r.value, e.result)) return false;
  }
  return true;
}

/**
 * @example
 * ```ts
 * const insert = executableInserter(new SandboxExecutor());
 * const d = await insert(dag, candidate.record); // { action: 'ADD', code: 'OK', reason: 'ADD: composite depth 1 …', dag }
 * ```
 */
export function executableInserter(executor: ToolExecutor): Inserter {
  return async (dag, candidate) => {
    const reject = (code: string, reason: string): InsertDecision => ({ action: 'REJECT', code, reason: `REJECT: ${reason}`, dag });
    let trial: ToolDag;
    try {
      trial = dag.add(candidate);
    } catch (e) {
      if (e instanceof CocodaError) return reject(e.code, e.message);
      if (e instanceof TypeError || e instanceof RangeError) return reject('ERR_RECORD', e.message);
      throw e;
    }
    const examples = candidate.examples ?? [];
    if (examples.length === 0) return reject('ERR_NO_EXAMPLES', `"${candidate.name}" has no L4 examples to validate against`);
    for (const [i, e] of examples.entries()) {
      const r = await executor.call(trial, candidate.name, e.args as unknown[]);
      if (!r.ok) {
        const code = /^(ERR_[A-Z_]+)/.exec(r.error ?? '')?.[1] ?? 'ERR_EXAMPLE_FAILED';
        return reject(code, `"${candidate.name}" example ${i} fails: ${r.error}`);
      }
      if (!valuesMatch(r.value, e.result)) return reject('ERR_EXAMPLE_FAILED', `"${candidate.name}" example ${i} returns ${JSON.stringify(r.value)}, expected ${JSON.stringify(e.result)}`);
    }
    const sig = trial.record(candidate.name)!.signature;
    for (const rec of dag.records()) {
      if (rec.signature !== sig || rec.body === undefined || rec.examples.length === 0) continue;
      if ((await agrees(dag, rec.name, examples, executor)) && (await agrees(trial, candidate.name, rec.examples, executor))) {
        const merged = dag.replace({ ...rec, examples: [...rec.examples, ...examples].slice(0, MAX_EXAMPLES) });
        return { action: 'MERGE', code: 'MERGED', reason: `MERGE: "${candidate.name}" behaves as "${rec.name}" on both example sets`, dag: merged, into: rec.name };
      }
    }
    const d = trial.depth(candidate.name);
    return { action: 'ADD', code: 'OK', reason: `ADD: ${d === 0 ? 'primitive' : `composite depth ${d}`} "${candidate.name}" (children ${trial.children(candidate.name).join(', ')})`, dag: trial };
  };
}
