/**
 * Folding successful trajectories into the library (paper Algorithm 1, lines 26–33): keep only
 * trajectories with R_res ≥ ρ, propose composites, and pass each through InsertTool; the next
 * query sees the new version. Rejections are counted by code.
 */
import type { ToolDag } from '../library/dag.ts';
import { proposeComposites, type AbstractOptions, type Candidate, type SolvedTrajectory } from './abstract.ts';
import type { Inserter, InserterResult } from './insert.ts';

export interface FoldOptions extends AbstractOptions {
  /** At most this many candidates inserted per fold (best utility first); default 2. */
  maxInserts?: number;
  /**
   * Replaces the embedded abstractor (e.g. `llmAbstractor` from src/llm, paper prompt D.1):
   * candidates in the order to try. Each still goes through InsertTool.
   */
  abstractor?: (solved: readonly SolvedTrajectory[], dag: ToolDag) => Promise<FoldCandidate[]>;
}

/** A candidate composite: the embedded abstractor's {@link Candidate}, or at least a name and a record. */
export type FoldCandidate = Pick<Candidate, 'name' | 'record'> & Partial<Candidate>;

export interface FoldResult {
  dag: ToolDag;
  candidates: FoldCandidate[];
  decisions: Array<{ candidate: string; decision: Omit<InserterResult, 'dag'> }>;
  added: string[];
  merged: string[];
  /** REJECT counts by code. */
  rejections: Record<string, number>;
}

/**
 * @example
 * ```ts
 * const r = await foldIntoLibrary(dag, solved, executableInserter(executor));
 * r.added; r.rejections; // e.g. ['mul_mul_add'], { ERR_EXAMPLE_FAILED: 1 }
 * ```
 */
export async function foldIntoLibrary(dag: ToolDag, solved: readonly SolvedTrajectory[], insert: Inserter, options: FoldOptions = {}): Promise<FoldResult> {
  const maxInserts = options.maxInserts ?? 2;
  const candidates: FoldCandidate[] = options.abstractor ? await options.abstractor(solved, dag) : proposeComposites(solved, dag, options);
  const out: FoldResult = { dag, candidates, decisions: [], added: [], merged: [], rejections: {} };
  let inserted = 0;
  for (const c of candidates) {
    if (inserted >= maxInserts) break;
    // A name taken by an earlier insert of this fold: propose it again next time under a fresh name.
    if (out.dag.has(c.name)) continue;
    const d = await insert(out.dag, c.record);
    const { dag: next, ...decision } = d;
    out.decisions.push({ candidate: c.name, decision });
    if (d.action === 'REJECT') {
      out.rejections[d.code] = (out.rejections[d.code] ?? 0) + 1;
      continue;
    }
    out.dag = next;
    inserted++;
    (d.action === 'ADD' ? out.added : out.merged).push(c.name);
  }
  return out;
}
