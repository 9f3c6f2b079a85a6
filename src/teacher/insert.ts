/**
 * The seam between the teacher and InsertTool (paper Algorithm 3). Every candidate goes through an
 * {@link Inserter}; the decision carries an action, a machine-readable code and a reason, and a
 * rejected candidate leaves the library version unchanged. The library's InsertTool
 * (`libraryInserter()` of src/library/insert.ts: validation in the sandbox with children
 * instrumented, cycle check, MERGE on unifying L1 and equal behaviour) is the implementation used
 * by `cocoda evolve`; tests may pass others (e.g. one that rejects everything).
 */
import type { ToolDag, ToolInput } from '../library/dag.ts';

/** What the teacher reads of an InsertTool decision. */
export interface InsertDecision {
  action: 'ADD' | 'MERGE' | 'REJECT';
  /** `ADDED`, `MERGED`, or the rejection's code (`ERR_CYCLE`, `ERR_EXAMPLE_MISMATCH`, `ERR_CHILD_CONTRACT` …). */
  code: string;
  /** Human-readable, starting with the action. */
  reason: string;
  /** The library after the decision (the input version itself on REJECT). */
  dag: ToolDag;
  /** Tool merged into, for MERGE. */
  into?: string;
}

export type Inserter = (dag: ToolDag, candidate: ToolInput) => Promise<InsertDecision>;
