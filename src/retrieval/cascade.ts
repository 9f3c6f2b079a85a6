/**
 * Typed DAG Retrieval (CoCoDA Algorithm 2) over one library version, for one typed sub-goal
 * `(Tin -> Tout, intent)`: V = S0 ⊇ S1 ⊇ S2 ⊇ S3 → winner.
 *
 * * **L1** (free): S1 = tools whose signature unifies with the sub-goal, from the L1 index.
 * * **L2** (abstraction axis, then ranking): a tool in S1 that is called by a composite also in S1
 *   is *covered* by it: the walk climbs from each S1 tool through its callers while they stay in
 *   S1, and only the tops of those climbs (the frontier: S1 tools with no caller in S1) have their
 *   L2 card materialised and ranked against the intent. S2 = top-`k2` of the frontier.
 * * **L3**: each tool of S2 has its L3 card materialised and is hard-checked. When a composite is
 *   rejected, the walk descends: its children that are in S1 (and not shown yet) have their L2
 *   cards materialised, are ranked, and are checked at L3 in its place (recursively).
 * * **L4**: the survivors S3 have their L4 cards materialised; each scores its normalised L2 score
 *   plus the L4 evidence; the winner is the best, ties going to the deeper (higher-level) tool.
 *
 * Token cost = every card materialised at L2, L3, L4 (L1 is symbolic and free).
 */
import type { Signature } from '../types/ast.ts';
import { parseSignature } from '../types/parse.ts';
import { argError, checkNonEmptyString, checkPositiveInt, CocodaError } from '../errors.ts';
import type { Corpus } from './corpus.ts';
import { LexicalRanker } from './lexical.ts';
import { defaultL1 } from './l1.ts';
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

export interface CascadeOptions {
  /** Shortlist size after L2 (paper: 32). */
  k2?: number;
  /** L1 stage; default: the library's L1 index built once per version. */
  l1?: L1Stage;
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
  private readonly l1: L1Stage;
  private readonly l2: L2Ranker;
  private readonly l3: L3Checker;
  private readonly l4: L4Reranker;

  constructor(readonly corpus: Corpus, opts: CascadeOptions = {}) {
    this.k2 = checkPositiveInt('k2', opts.k2 ?? 32);
    this.l1 = opts.l1 ?? defaultL1(corpus);
    this.l2 = opts.l2 ?? corpus.memoize('l2-bm25', () => new LexicalRanker(corpus.records));
    this.l3 = opts.l3 ?? new ContractChecker(opts.evaluator);
    this.l4 = opts.l4 ?? new ExampleReranker(opts.evaluator);
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

    // L1: symbolic, free.
    let t = performance.now();
    const s1 = this.l1.candidates(goal.signature);
    const inS1 = new Uint8Array(c.n);
    for (const v of s1) inS1[v] = 1;
    stages.push({ stage: 'L1', survivors: s1.length, tokens: 0, ms: performance.now() - t });

    // L2: frontier of the abstraction axis, then top-k2 by the ranker.
    t = performance.now();
    const frontier: number[] = [];
    for (const v of s1) {
      let covered = false;
      for (const p of c.parents(v)) if (inS1[p]) covered = true;
      if (!covered) frontier.push(v);
    }
    const shown = new Uint8Array(c.n);
    let tok2 = 0;
    for (const v of frontier) {
      shown[v] = 1;
      tok2 += c.tokens(v, 2);
    }
    const r2: Ranked = yield* settle('L2', this.l2.rank(goal.intent, Int32Array.from(frontier), this.k2, { corpus: c, goal }));
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
          const rd: Ranked = yield* settle('L2', this.l2.rank(goal.intent, Int32Array.from(open), this.k2, { corpus: c, goal }));
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
    let evidence: ArrayLike<number>;
    if (this.l4.scoreMany) evidence = yield* settle('L4', this.l4.scoreMany(c, Int32Array.from(s3), goal, runs));
    else {
      const ev: number[] = [];
      for (const v of s3) ev.push(yield* settle('L4', this.l4.score(c, v, c.signature(v), goal, runs.get(v))));
      evidence = ev;
    }
    const scored = s3.map((v, i) => {
      tok4 += c.tokens(v, 4);
      const base = maxL2 > 0 ? (l2score.get(v) ?? 0) / maxL2 : 0;
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
    };
  }
}

/** What the cascade generator hands its driver: ids to run in the sandbox, or a stage's promise. */
type Yielded = { exec: number[] } | { wait: PromiseLike<unknown>; stage: StageName };

/** Passes a plain value through; yields a promise to the driver and resumes with its value. */
function* settle<T>(stage: StageName, x: MaybePromise<T>): Generator<Yielded, T, any> {
  if (isThenable(x)) return (yield { wait: x, stage }) as T;
  return x as T;
}
