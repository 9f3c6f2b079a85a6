/**
 * The seam between the teacher and InsertTool (paper Algorithm 3). Every candidate goes through an
 * {@link Inserter}; the decision carries an action, a machine-readable code and a reason, and a
 * rejected candidate leaves the library version unchanged. The library's InsertTool
 * (`libraryInserter()` of src/library/insert.ts: validation in the sandbox with children
 * instrumented, cycle check, MERGE on unifying L1 and equal behaviour) is the implementation used
 * by `cocoda evolve`; tests may pass others (e.g. one that rejects everything).
 */
import type { ToolDag, ToolInput } from '../library/dag.ts';
import type { InsertDecision } from '../library/insert.ts';

export type { InsertDecision };

/**
 * What an {@link Inserter} returns: an {@link InsertDecision} of which the teacher reads `action`,
 * `code` (`ADDED`, `MERGED`, or the rejection's code: `ERR_CYCLE`, `ERR_EXAMPLE_MISMATCH`,
 * `ERR_CHILD_CONTRACT` …), `reason` and `dag` (the input version itself on REJECT); the other
 * fields are optional for inserters other than the library's.
 */
export type InserterResult = Pick<InsertDecision, 'action' | 'code' | 'reason' | 'dag'> & Partial<InsertDecision>;

export type Inserter = (dag: ToolDag, candidate: ToolInput) => Promise<InserterResult>;
