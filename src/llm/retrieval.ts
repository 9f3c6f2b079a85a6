/**
 * LLM- and embedding-backed stages of Typed DAG Retrieval, behind the cascade's pluggable stage
 * interfaces (src/retrieval/rankers.ts), all through one {@link LlmClient}:
 *
 * * {@link LlmL2Ranker} — prompt D.4: one request ranks every L2 card of the frontier; the
 *   shortlist is the model's order, filled up to `k` from the embedded ranker's order.
 * * {@link EmbeddingRanker} — cosine similarity between the intent's and each L2 card's embedding
 *   (`/v1/embeddings`); card vectors are cached per library version.
 * * {@link LlmL3Checker} — prompt D.5: one request judges a whole group of L3 cards; executable
 *   evidence (the embedded contract check, sandbox violations) is applied first and is final.
 * * {@link LlmL4Reranker} — prompt D.6: one request reranks the L3 survivors by their L4 cards; the
 *   model's order outweighs the normalised L2 score (steps of 2).
 *
 * When a request fails for good (timeouts, HTTP errors, answers that stay malformed after the
 * re-asks), a stage falls back to its embedded twin for that call and counts the failure in
 * `fallbacks`, so a retrieval always answers. The server's token usage is in `llm.usage`.
 *
 * @example
 * ```ts
 * const llm = new LlmClient({ baseURL: 'http://127.0.0.1:8000/v1', model: 'qwen3' });
 * const r = await new Retriever(corpus, llmStages(llm, ['l2', 'l3', 'l4'])).retrieveAsync(goal);
 * llm.usage.toJSON().roles.l2; // { requests: 1, promptTokens: 812, completionTokens: 40, … }
 * ```
 */
import { CocodaError, argError } from '../errors.ts';
import { cardL2, cardL3, cardL4 } from '../retrieval/cards.ts';
import { defaultLexical, type CascadeOptions } from '../retrieval/cascade.ts';
import type { Corpus } from '../retrieval/corpus.ts';
import type { L2Ranker, L3Checker, L3Verdict, L4Reranker, RankContext, Ranked, ResolvedGoal, RunOutcome } from '../retrieval/rankers.ts';
import { ContractChecker, ExampleReranker } from '../retrieval/stages.ts';
import { printSignature } from '../types/print.ts';
import type { Signature } from '../types/ast.ts';
import type { LlmClient } from './client.ts';
import { l2RankPrompt, l3CheckPrompt, l4RerankPrompt, parseRanking, parseVerdicts, type GoalText } from './prompts.ts';

/** Which stages an endpoint replaces (`--llm-roles`). */
export const RETRIEVAL_ROLES = ['l2', 'l3', 'l4', 'embed'] as const;
export type RetrievalRole = (typeof RETRIEVAL_ROLES)[number];

/** Is this an LLM failure a stage may fall back from (not a programming error)? */
function isLlmFailure(e: unknown): e is CocodaError {
  return e instanceof CocodaError && e.code.startsWith('ERR_LLM');
}

function goalText(goal: ResolvedGoal): GoalText {
  const g: GoalText = { signature: printSignature(goal.signature), intent: goal.intent };
  if (goal.namedArgs) g.args = goal.namedArgs;
  else if (goal.args) g.args = goal.args;
  return g;
}

/** The cascade's own embedded L2 (the field-weighted ranker of the graded cascade). */
function embeddedL2(corpus: Corpus): L2Ranker {
  return defaultLexical(corpus);
}

function needCtx(ctx: RankContext | undefined): RankContext {
  if (!ctx) throw argError('type', 'ctx', 'the RankContext the cascade passes (corpus, goal)');
  return ctx;
}

/** Fills a ranking (ids best first) up to `k` with `rest` in its order; scores fall from 1. */
function shortlist(first: number[], rest: ArrayLike<number>, k: number): Ranked {
  const ids: number[] = [];
  const seen = new Set<number>();
  for (const v of first) if (ids.length < k && !seen.has(v)) (seen.add(v), ids.push(v));
  const nFirst = ids.length;
  for (let i = 0; i < rest.length && ids.length < k; i++) {
    const v = rest[i]!;
    if (!seen.has(v)) (seen.add(v), ids.push(v));
  }
  const n = ids.length;
  // Model-ranked ids score in (0.5, 1], the fill below 0.5: the shortlist order is kept by score.
  const scores = Float64Array.from(ids, (_, i) => (i < nFirst ? 1 - (0.5 * i) / Math.max(1, nFirst) : 0.5 * (1 - (i - nFirst) / Math.max(1, n - nFirst + 1))));
  return { ids: Int32Array.from(ids), scores };
}

/** D.4: the L2 semantic ranker (see the module comment). */
export class LlmL2Ranker implements L2Ranker {
  readonly name = 'llm';
  fallbacks = 0;
  /**
   * @param maxCards most cards in one prompt (default 64): larger frontiers are cut to the embedded
   *   ranker's top `maxCards` first, so one request stays within the model's context.
   */
  constructor(
    readonly llm: LlmClient,
    readonly opts: { maxCards?: number; fallback?: (corpus: Corpus) => L2Ranker } = {},
  ) {}

  async rank(intent: string, candidates: Int32Array, k: number, ctx?: RankContext): Promise<Ranked> {
    const { corpus, goal } = needCtx(ctx);
    const fb = (this.opts.fallback ?? embeddedL2)(corpus);
    if (candidates.length === 0) return { ids: new Int32Array(0), scores: new Float64Array(0) };
    const maxCards = this.opts.maxCards ?? 64;
    const pre = await fb.rank(intent, candidates, Math.max(k, Math.min(maxCards, candidates.length)), ctx);
    const shown = candidates.length > maxCards ? Array.from(pre.ids.subarray(0, maxCards)) : Array.from(candidates);
    const cards = shown.map((v) => cardL2(corpus.records[v]!));
    let order: number[];
    try {
      order = await this.llm.json('l2', l2RankPrompt({ ...goalText(goal), intent }, cards, k), (v) => parseRanking(v, cards.length));
    } catch (e) {
      if (!isLlmFailure(e)) throw e;
      this.fallbacks++;
      return fb.rank(intent, candidates, k, ctx);
    }
    return shortlist(order.map((i) => shown[i]!), pre.ids, k);
  }
}

/** L2 by embeddings: cosine(intent, L2 card) through `/v1/embeddings` (see the module comment). */
export class EmbeddingRanker implements L2Ranker {
  readonly name = 'embedding';
  fallbacks = 0;
  readonly #cache = new WeakMap<Corpus, Map<number, Float32Array>>();
  readonly #intents = new Map<string, Float32Array>();

  constructor(
    readonly llm: LlmClient,
    readonly opts: { fallback?: (corpus: Corpus) => L2Ranker } = {},
  ) {}

  async rank(intent: string, candidates: Int32Array, k: number, ctx?: RankContext): Promise<Ranked> {
    const { corpus } = needCtx(ctx);
    if (candidates.length === 0) return { ids: new Int32Array(0), scores: new Float64Array(0) };
    let cache = this.#cache.get(corpus);
    if (!cache) this.#cache.set(corpus, (cache = new Map()));
    const missing = Array.from(candidates).filter((v) => !cache!.has(v));
    let q = this.#intents.get(intent);
    try {
      if (q === undefined || missing.length > 0) {
        const vecs = await this.llm.embed('embed', [...(q ? [] : [intent]), ...missing.map((v) => cardL2(corpus.records[v]!))]);
        const off = q ? 0 : 1;
        if (!q) {
          q = vecs[0]!;
          if (this.#intents.size >= 256) this.#intents.clear();
          this.#intents.set(intent, q);
        }
        missing.forEach((v, i) => cache!.set(v, vecs[i + off]!));
      }
    } catch (e) {
      if (!isLlmFailure(e)) throw e;
      this.fallbacks++;
      return (this.opts.fallback ?? embeddedL2)(corpus).rank(intent, candidates, k, ctx);
    }
    const scored = Array.from(candidates, (v) => {
      const e = cache!.get(v)!;
      let s = 0;
      for (let i = 0; i < Math.min(e.length, q!.length); i++) s += e[i]! * q![i]!;
      return { v, s };
    });
    scored.sort((a, b) => b.s - a.s || a.v - b.v);
    const top = scored.slice(0, k);
    // Cosine in [-1, 1] → (0, 1] so every candidate keeps some evidence.
    return { ids: Int32Array.from(top, (x) => x.v), scores: Float64Array.from(top, (x) => (x.s + 1) / 2 + 1e-9) };
  }
}

/** D.5: the L3 constraint check (see the module comment). */
export class LlmL3Checker implements L3Checker {
  fallbacks = 0;
  readonly #embedded: L3Checker;

  constructor(
    readonly llm: LlmClient,
    embedded: L3Checker = new ContractChecker(),
  ) {
    this.#embedded = embedded;
  }

  check(corpus: Corpus, v: number, _tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): Promise<L3Verdict> {
    const runs = new Map<number, RunOutcome>();
    if (run) runs.set(v, run);
    return this.checkMany(corpus, Int32Array.of(v), goal, runs).then((r) => r[0]!);
  }

  async checkMany(corpus: Corpus, ids: Int32Array, goal: ResolvedGoal, runs: ReadonlyMap<number, RunOutcome>): Promise<L3Verdict[]> {
    const out: L3Verdict[] = [];
    const ask: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const v = ids[i]!;
      const e = await this.#embedded.check(corpus, v, corpus.signature(v), goal, runs.get(v));
      out.push(e);
      if (e.ok) ask.push(i);
    }
    if (ask.length === 0) return out;
    const cards = ask.map((i) => cardL3(corpus.records[ids[i]!]!));
    let verdicts: Array<{ ok: boolean; reason?: string } | undefined>;
    try {
      verdicts = await this.llm.json('l3', l3CheckPrompt(goalText(goal), cards), (x) => parseVerdicts(x, cards.length));
    } catch (e) {
      if (!isLlmFailure(e)) throw e;
      this.fallbacks++;
      return out; // the embedded verdicts
    }
    ask.forEach((i, j) => {
      const v = verdicts[j];
      // A tool the model gave no verdict on keeps its embedded (accepting) verdict.
      if (v && !v.ok) out[i] = { ok: false, reason: `LLM check: ${v.reason ?? 'constraints not satisfiable for this sub-goal'}` };
    });
    return out;
  }
}

/** D.6: the L4 example-based rerank (see the module comment). */
export class LlmL4Reranker implements L4Reranker {
  fallbacks = 0;
  readonly #embedded: L4Reranker;

  constructor(
    readonly llm: LlmClient,
    embedded: L4Reranker = new ExampleReranker(),
  ) {
    this.#embedded = embedded;
  }

  score(corpus: Corpus, v: number, tool: Signature | null, goal: ResolvedGoal, run?: RunOutcome): number | PromiseLike<number> {
    return this.#embedded.score(corpus, v, tool, goal, run);
  }

  async scoreMany(corpus: Corpus, ids: Int32Array, goal: ResolvedGoal, runs: ReadonlyMap<number, RunOutcome>): Promise<number[]> {
    if (ids.length <= 1) return Array.from(ids, () => 0);
    const cards = Array.from(ids, (v) => cardL4(corpus.records[v]!));
    let order: number[];
    try {
      order = await this.llm.json('l4', l4RerankPrompt(goalText(goal), cards), (x) => parseRanking(x, cards.length));
    } catch (e) {
      if (!isLlmFailure(e)) throw e;
      this.fallbacks++;
      const out: number[] = [];
      for (const v of ids) out.push(await this.#embedded.score(corpus, v, corpus.signature(v), goal, runs.get(v)));
      return out;
    }
    // Ranked tools get 2·(n − position); unranked ones 0: the model's order outweighs L2 (≤ 1).
    const n = ids.length;
    const score = new Array<number>(n).fill(0);
    order.forEach((i, pos) => (score[i] = 2 * (n - pos)));
    return score;
  }
}

/**
 * Cascade stages for `roles` through `llm` (the rest stay embedded). `embed` replaces L2 by the
 * embedding ranker; with both `l2` and `embed`, the embedding ranker orders the cards the LLM sees.
 * `maxCards` caps the L2 cards in one prompt (default 64).
 */
export function llmStages(llm: LlmClient, roles: readonly RetrievalRole[], opts: { maxCards?: number } = {}): CascadeOptions & { stages: Array<{ fallbacks: number }> } {
  for (const r of roles) if (!(RETRIEVAL_ROLES as readonly string[]).includes(r)) throw argError('range', 'roles', `names from ${RETRIEVAL_ROLES.join(', ')}`, r);
  const out: CascadeOptions & { stages: Array<{ fallbacks: number }> } = { stages: [] };
  const emb = roles.includes('embed') ? new EmbeddingRanker(llm) : undefined;
  if (emb) out.stages.push(emb);
  if (roles.includes('l2')) {
    const l2 = new LlmL2Ranker(llm, { ...(emb ? { fallback: () => emb } : {}), ...(opts.maxCards !== undefined ? { maxCards: opts.maxCards } : {}) });
    out.l2 = l2;
    out.stages.push(l2);
  } else if (emb) out.l2 = emb;
  if (roles.includes('l3')) {
    const l3 = new LlmL3Checker(llm);
    out.l3 = l3;
    out.stages.push(l3);
  }
  if (roles.includes('l4')) {
    const l4 = new LlmL4Reranker(llm);
    out.l4 = l4;
    out.stages.push(l4);
  }
  return out;
}
