/**
 * Tasks: the embedded generated task family (math word problems and table questions) with gold
 * programs, depths 1–6, train/test splits and the deterministic verifier.
 */
export { generateTasks, makeTask, scenarios, scenarioDepth, taskVocabulary, ALL_SCENARIOS } from './generate.ts';
export type { Task, TaskOptions } from './generate.ts';
export { verifyAnswer, valuesMatch, NUMERIC_RTOL } from '../reward/verify.ts';
export { evaluateReference, REFERENCE } from './reference.ts';
export type { Predicate, Row } from './reference.ts';
export { RANGES } from './scenario.ts';
export type { Domain, Split, Scenario } from './scenario.ts';
export { Rng, mixSeed } from './rng.ts';
