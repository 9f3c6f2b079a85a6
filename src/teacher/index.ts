/**
 * The teacher: the embedded programmatic abstractor (successful trajectories → candidate
 * composites), the InsertTool seam with rejection accounting, and the teacher planner that solves
 * tasks from gold programs with the composites of the current library.
 */
export { proposeComposites } from './abstract.ts';
export type { Candidate, SolvedTrajectory, AbstractOptions } from './abstract.ts';
export { foldIntoLibrary } from './fold.ts';
export type { FoldOptions, FoldResult, FoldCandidate } from './fold.ts';
export type { Inserter, InserterResult, InsertDecision } from './insert.ts';
export { planWithLibrary, libraryPatterns, matchAt, substitute, consumers } from './planner.ts';
export type { Plan, PatternMatch, LibraryPattern } from './planner.ts';
export { patternFromBody, patternBody, patternKey, patternExpression, canonicalize } from './pattern.ts';
export type { Pattern, PatternCall, PArg } from './pattern.ts';
