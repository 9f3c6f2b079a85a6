/**
 * The trajectory IR: JSON programs of tool calls, their parser (format), schema check against a
 * library version (names, arity, types), execution with traces, and end-to-end scoring.
 */
export { ProgramBuilder, isRef, isInput, isLit } from './ir.ts';
export type { Trajectory, Call, Arg, AnswerRef, Scalar } from './ir.ts';
export { parseTrajectory } from './parse.ts';
export type { ParseResult, TrajectoryIssue } from './parse.ts';
export { checkSchema, typeOfValue, toolSignature } from './schema.ts';
export type { SchemaReport } from './schema.ts';
export { executeTrajectory } from './execute.ts';
export type { ExecutionReport } from './execute.ts';
export type { ToolExecutor, ToolCallResult, CallTrace } from './executor.ts';
export { SandboxExecutor } from './sandbox-executor.ts';
export type { SandboxExecutorOptions } from './sandbox-executor.ts';
export { scoreTrajectory } from './score.ts';
export type { ScoreContext, TrajectoryScore } from './score.ts';
