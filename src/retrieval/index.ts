/**
 * Typed DAG Retrieval (docs/retrieval.md): tool cards and Qwen3 token accounting, the L1→L4
 * cascade with its stage interfaces, baselines (flat, flat dense, RAPTOR-style text tree), the
 * DepthBench evaluation set, synthetic distractors, and batch retrieval on a worker pool.
 */
export { card, cardL1, cardL2, cardL3, cardL4, flatCard, LAYERS, MAX_CARD_EXAMPLES } from './cards.ts';
export type { Layer } from './cards.ts';
export { CardTokens, qwen3Counter, qwen3MemoCounter } from './tokens.ts';
export type { TokenCounter } from './tokens.ts';
export { Corpus } from './corpus.ts';
export type { CorpusSource } from './corpus.ts';
export { LexicalRanker, FieldRanker, L2_FIELDS, recordFields, intentQuery, signatureNames, termPairs, topIndices } from './lexical.ts';
export type { LexicalScores } from './lexical.ts';
export { FieldIndex, topSparse, MIN_DF_CAP } from './bm25.ts';
export type { FieldSpec, QueryTerm, SparseScores, FieldIndexData, FieldIndexOptions } from './bm25.ts';
export { WordNet, sharedWordNet, RELATION_WEIGHTS, SENSES_FOLLOWED, MAX_EXPANDED_WORDS, DEFAULT_RELATIONS, DEFAULT_MAX_DF } from './wordnet.ts';
export type { Related, Relation, ExpanderOptions } from './wordnet.ts';
export type { L2Ranker, Ranked } from './lexical.ts';
export { isThenable } from './rankers.ts';
export type { RankContext, MaybePromise } from './rankers.ts';
export { ContractChecker, ExampleReranker, valueFits } from './stages.ts';
export type { L3Checker, L3Verdict, L4Reranker, ContractEvaluator, ResolvedGoal } from './stages.ts';
export { Retriever, resolveGoal, defaultLexical, DEFAULT_M, DEFAULT_CLASS_PRIOR, DEFAULT_PENALTY_WEIGHT, MAX_GOAL_TYPE_DEPTH } from './cascade.ts';
export type { SubGoal, L1Stage, CascadeOptions, StageName, StageReport, Winner, RetrievalResult } from './cascade.ts';
export { ScanL1, UnorderedInputsL1, KnownResultL1, defaultL1, GradedL1, isGraded } from './l1.ts';
export type { GradedL1Stage } from './l1.ts';
export { Bm25Baseline, FlatBaseline, FlatDenseBaseline, TextTree } from './baselines.ts';
export type { MethodResult, TextTreeOptions } from './baselines.ts';
export { geometricGrid, pickMatched } from './matched.ts';
export type { SweepPoint, MatchedPick } from './matched.ts';
export { depthbenchEvalSet, typeOfValue, hitAt, coarseForm, coarseTypeOfValue } from './depthbench.ts';
export type { EvalSubGoal, EvalSet } from './depthbench.ts';
export { synthesizeTools } from './synth.ts';
export { BatchRetriever, toPlainResult } from './batch.ts';
export type { BatchOptions, BatchTask, BatchReply, PlainResult } from './batch.ts';
