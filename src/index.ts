/**
 * cocoda public API. Each concept folder exports its public surface here; each folder is also a
 * subpath export (`cocoda/library`, `cocoda/retrieval`, `cocoda/policy` …) that loads only that
 * concept and what it depends on, while this entry loads everything, TensorFlow.js included.
 */
export { CocodaError, argError } from './errors.ts';
export { VERSION } from './version.ts';
export { backendInfo } from './native/loader.ts';
export type { BackendInfo } from './native/loader.ts';
export * from './types/index.ts';
export * from './l1/index.ts';
export * from './library/index.ts';
export * from './reward/index.ts';
export * from './exec/index.ts';
export * from './retrieval/index.ts';
export * from './primitives/index.ts';
export { insertTool, libraryInserter } from './library/insert.ts';
export type { InsertDecision, InsertOptions } from './library/insert.ts';
export { generateTasks, makeTask, taskVocabulary, verifyAnswer, evaluateReference } from './tasks/index.ts';
export type { Task, TaskOptions, Domain, Split } from './tasks/index.ts';
export { parseTrajectory, checkSchema, executeTrajectory, scoreTrajectory, SandboxExecutor, ProgramBuilder } from './trajectory/index.ts';
export type { Trajectory, Call, Arg, TrajectoryIssue, SchemaReport, ExecutionReport, TrajectoryScore, ToolExecutor, CallTrace } from './trajectory/index.ts';
export { proposeComposites, foldIntoLibrary, planWithLibrary } from './teacher/index.ts';
export type { Candidate, SolvedTrajectory, Inserter, InserterResult, Plan, FoldResult } from './teacher/index.ts';
export { evolveLibrary } from './train/index.ts';
export type { EvolveOptions, EvolveResult, StepReport } from './train/index.ts';
export { createPolicy, createTrainer, loadPolicy, fitTokenizer, loadQwen3Tokenizer, packBatch, packRollouts, unpackRows, Policy, Trainer } from './policy/index.ts';
export type { PolicyConfig, TrainerOptions, StepReport as TrainStepReport, TokenBatch, GrpoBatch, GenerateOptions, GenerateResult, PolicyTokenizer } from './policy/index.ts';
