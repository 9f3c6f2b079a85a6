/**
 * The pluggable stages of the cascade (docs/retrieval.md "Plugging in a
 * ranker"): what an L2 ranker, an L3 checker and an L4 reranker receive and return. The embedded
 * implementations (no network) are {@link LexicalRanker} / the field-weighted ranker (L2),
 * {@link ContractChecker} (L3) and {@link ExampleReranker} (L4); an LLM- or embedding-backed stage
 * (an OpenAI-compatible server: the paper's prompts D.4 L2, D.5 L3, D.6 L4) implements the same
 * interfaces and may answer asynchronously.
 *
 * Asynchronous stages: any method may return a Promise. `Retriever.retrieveAsync` awaits it;
 * `Retriever.retrieve` (synchronous) throws `CocodaError` `ERR_ASYNC_STAGE` when a stage returns
 * one. Token accounting is the cascade's: it counts the cards it materialises for a stage (the
 * candidates it passes), whatever the stage does with them; a prompt template's own words are the
 * stage's business and are not counted.
 *
 * @example
 * ```ts
 * import { cardL2, Retriever, type L2Ranker } from 'cocoda';
 * // A ranker that asks a model server which cards fit the intent (sketch):
 * const llmRanker: L2Ranker = {
 *   name: 'llm',
 *   async rank(intent, candidates, k, ctx) {
 *     const cards = Array.from(candidates, (v) => cardL2(ctx!.corpus.records[v]!));
 *     const order: number[] = await askServer(intent, cards); // indices into `cards`, best first
 *     const ids = Int32Array.from(order.slice(0, k), (i) => candidates[i]!);
 *     return { ids, scores: Float64Array.from(ids, (_, i) => 1 - i / ids.length) };
 *   },
 * };
 * const r = await new Retriever(corpus, { l2: llmRanker }).retrieveAsync(subgoal, { sandbox, dag });
 * ```
 */
import type { Signature } from '../types/ast.ts';
import type { Corpus } from './corpus.ts';

/** A value or a promise of it (stages may be asynchronous). */
export type MaybePromise<T> = T | PromiseLike<T>;

/** A sub-goal after validation: parsed signature, intent, optional argument values. */
export interface ResolvedGoal {
  signature: Signature;
  intent: string;
  /** Argument values by position (named sub-goals are mapped to positions of the goal signature). */
  args?: readonly unknown[];
  /** Argument values by name, when the sub-goal named them. */
  namedArgs?: Readonly<Record<string, unknown>>;
}

/** Ids (indices into the library's record array) with their scores, best first. */
export interface Ranked {
  ids: Int32Array;
  scores: Float64Array;
}

/**
 * What the cascade tells a ranker besides the intent. Arrays are parallel to the `candidates`
 * passed with it.
 */
export interface RankContext {
  /** The library version (records, cards, token counts, DAG). */
  corpus: Corpus;
  /** The sub-goal: parsed signature, intent, argument values if any. */
  goal: ResolvedGoal;
  /**
   * The free pre-ranker's score of each candidate (type class + lexical + DAG structure; higher is
   * better). Candidates arrive in pre-ranker order, best first.
   */
  prior?: Float64Array;
  /** L1 type class of each candidate: 0 exact, 1 coercible, 2 unknown result `?`, 3 incompatible. */
  typeClass?: Uint8Array;
}

/**
 * L2 ranking stage: scores candidate tools' descriptions (their L2 cards) against a sub-goal's
 * intent. Implementations: the embedded lexical rankers; LLM (prompt D.4) and embedding rankers
 * behind an OpenAI-compatible endpoint plug in here.
 */
export interface L2Ranker {
  /** Short name for reports (e.g. `lexical`, `llm`, `embedding`). */
  readonly name?: string;
  /**
   * Ranks `candidates` (ids into the records of `ctx.corpus`) against `intent` and returns the
   * best `k` (or all, when fewer), best first; ties break by lower id. Candidates with no evidence
   * at all (score 0) rank after every scored one. Must return only ids from `candidates`.
   */
  rank(intent: string, candidates: Int32Array, k: number, ctx?: RankContext): MaybePromise<Ranked>;
}

/** Verdict of the L3 stage on one tool. */
export interface L3Verdict {
  ok: boolean;
  /** Why a tool was rejected, e.g. `ticker: "DOGE2" not in enum`. */
  reason?: string;
}

/**
 * What running tool v on the sub-goal's argument values in the exec sandbox gave (async cascade
 * with argument values only): its result, or the failure; `violation` when the tool's own pre- or
 * post-condition failed.
 */
export interface RunOutcome {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
  violation?: { kind: 'pre' | 'post'; message: string };
}

/**
 * L3 stage: hard accept/reject of each shortlisted tool (its L3 card: pre/post-conditions,
 * complexity) for the sub-goal. An LLM judge (prompt D.5) implements `check`, or `checkMany` to
 * judge a whole group in one request.
 */
export interface L3Checker {
  check(corpus: Corpus, v: number, tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): MaybePromise<L3Verdict>;
  /**
   * Optional batch form: verdicts for `ids` in order (the cascade calls it once per group: the S2
   * shortlist, then each group a descent opens). `runs` holds sandbox outcomes where there are any.
   */
  checkMany?(corpus: Corpus, ids: Int32Array, goal: ResolvedGoal, runs: ReadonlyMap<number, RunOutcome>): MaybePromise<L3Verdict[]>;
}

/**
 * L4 stage: evidence from worked examples (L4 cards) for each L3 survivor; added to the normalised
 * L2 score and the type prior. An LLM reranker (prompt D.6) implements `scoreMany` to rerank the
 * survivors in one request.
 */
export interface L4Reranker {
  /** Evidence score of tool `v` for the goal (higher is better; 0 = no evidence). */
  score(corpus: Corpus, v: number, tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): MaybePromise<number>;
  /** Optional batch form: scores of `ids` in order (called once, on S3). */
  scoreMany?(corpus: Corpus, ids: Int32Array, goal: ResolvedGoal, runs: ReadonlyMap<number, RunOutcome>): MaybePromise<ArrayLike<number>>;
}

/** Whether `x` is a promise-like (then-able) value. */
export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === 'object' || typeof x === 'function') && x !== null && typeof (x as { then?: unknown }).then === 'function';
}
