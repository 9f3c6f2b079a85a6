/**
 * Library-only co-evolution: the library half of paper Algorithm 1 with the teacher planner in
 * place of the policy. Per step, for each of `batch` training queries: solve (the teacher planner
 * rewrites the gold program with the current library's composites) → reward (sandbox execution,
 * verifier, R = R_res + λ·ΣΦ) → gate (R_res ≥ ρ) → fold (the abstractor proposes composites from
 * the remembered successful trajectories, each through InsertTool); the next query sees the new
 * library. After each step a fixed held-out test set is solved with the current library and the
 * step reports library size/depth, calls per solution, R_comp, test accuracy and retrieval tokens.
 *
 * Retrieval tokens per query: each call of a test solution is one typed sub-goal (its argument
 * types → result type, intent = the query text) run through the Typed DAG Retrieval cascade of
 * src/retrieval over the current version; the query's cost is the sum of the cards the cascade
 * materialised (L2–L4), counted with the Qwen3 tokenizer.
 */
import { argError, checkPositiveInt } from '../errors.ts';
import type { ToolDag } from '../library/dag.ts';
import { generateTasks, type Task } from '../tasks/generate.ts';
import type { Domain } from '../tasks/scenario.ts';
import { REWARD_DEFAULTS } from '../reward/shaped.ts';
import { scoreTrajectory } from '../trajectory/score.ts';
import { checkSchema } from '../trajectory/schema.ts';
import type { ToolExecutor } from '../trajectory/executor.ts';
import { printType } from '../types/print.ts';
import { planWithLibrary } from '../teacher/planner.ts';
import { foldIntoLibrary } from '../teacher/fold.ts';
import type { Inserter } from '../teacher/insert.ts';
import type { SolvedTrajectory } from '../teacher/abstract.ts';
import { Corpus } from '../retrieval/corpus.ts';
import { Retriever } from '../retrieval/cascade.ts';
import { CardTokens } from '../retrieval/tokens.ts';

export interface EvolveOptions {
  /** Steps to run (each: `batch` training queries, then a fold per query). */
  steps: number;
  /** Training queries per step; default 8. */
  batch?: number;
  /** Seed of the training stream and of the test set; default 0. */
  seed?: number;
  /** Held-out test tasks evaluated after every step; default 48. */
  testSize?: number;
  /** Restrict tasks to one domain; default both. */
  domain?: Domain;
  lambda?: number;
  rho?: number;
  /** Composites inserted per fold at most; default 2. */
  maxInserts?: number;
  /** Trajectories a candidate must appear in; default 2. */
  minFrequency?: number;
  /** Successful trajectories remembered for mining (most recent); default 64. */
  memory?: number;
  /** Measure retrieval tokens per query (default true). */
  tokens?: boolean;
  executor: ToolExecutor;
  insert: Inserter;
  /** Called after every step (and once for step 0, the starting library). */
  onStep?: (report: StepReport, dag: ToolDag) => void | Promise<void>;
}

export interface StepReport {
  step: number;
  tools: number;
  composites: number;
  maxDepth: number;
  meanDepth: number;
  /** Mean calls per test solution, T(τ). */
  callsPerSolution: number;
  /** Mean R_comp = Σ Φ per test solution. */
  rComp: number;
  /** Fraction of test tasks solved (R_res = 1). */
  testAccuracy: number;
  /** Mean retrieval tokens per test query (Typed DAG Retrieval cascade, Qwen3 tokens). */
  tokensPerQuery: number;
  /** Test sub-goals the retriever refused (not counted in tokensPerQuery); 0 in normal runs. */
  retrievalErrors: number;
  /** Mean primitive calls per test solution, T_prim(τ) (unchanged by substitution). */
  primitiveCallsPerSolution: number;
  /** Training queries of this step solved (R_res ≥ ρ). */
  trainSolved: number;
  /** Mean shaped reward of this step's training solutions. */
  trainReward: number;
  added: string[];
  merged: string[];
  /** InsertTool rejections this step, by code. */
  rejections: Record<string, number>;
}

export interface EvolveResult {
  dag: ToolDag;
  steps: StepReport[];
  /** All rejections of the run, by code. */
  rejections: Record<string, number>;
}

interface Remembered {
  task: Task;
  /** Outputs of the gold program's calls. */
  goldOutputs: unknown[];
}

async function evaluate(dag: ToolDag, tests: readonly Task[], o: Required<Pick<EvolveOptions, 'lambda' | 'rho' | 'tokens'>> & { executor: ToolExecutor }, cards: CardTokens) {
  let solved = 0, calls = 0, rComp = 0, prim = 0, tokens = 0, retrievalErrors = 0;
  const retriever = o.tokens ? new Retriever(Corpus.fromDag(dag, cards)) : null;
  for (const t of tests) {
    const plan = planWithLibrary(t.program, dag);
    const s = await scoreTrajectory(plan.trajectory, { dag, inputs: t.inputs, answer: t.answer, executor: o.executor, lambda: o.lambda, rho: o.rho });
    if (s.rRes === 1) solved++;
    calls += s.calls;
    rComp += s.rComp;
    prim += s.primitiveCalls;
    if (retriever) {
      const schema = s.schema ?? checkSchema(plan.trajectory, dag, t.inputs);
      plan.trajectory.calls.forEach((_, i) => {
        const sig = `(${schema.argTypes[i]!.map(printType).join(', ')}) -> ${printType(schema.resultTypes[i]!)}`;
        try {
          tokens += retriever.retrieve({ signature: sig, intent: t.query }).tokens;
        } catch {
          // A sub-goal the retriever cannot take (it validates its input) is counted, not fatal.
          retrievalErrors++;
        }
      });
    }
  }
  const n = Math.max(1, tests.length);
  return { testAccuracy: solved / n, callsPerSolution: calls / n, rComp: rComp / n, primitiveCallsPerSolution: prim / n, tokensPerQuery: tokens / n, retrievalErrors };
}

/**
 * @example
 * ```ts
 * const executor = new SandboxExecutor();
 * const { steps, dag: evolved } = await evolveLibrary(primitivesDag, { steps: 10, executor, insert: executableInserter(executor) });
 * steps.map((s) => s.callsPerSolution); // falls as composites appear
 * ```
 */
export async function evolveLibrary(start: ToolDag, options: EvolveOptions): Promise<EvolveResult> {
  const steps = options.steps;
  if (!Number.isInteger(steps) || steps < 0) throw argError('range', 'steps', 'a non-negative integer', steps);
  const batch = checkPositiveInt('batch', options.batch ?? 8);
  const testSize = checkPositiveInt('testSize', options.testSize ?? 48);
  const memorySize = checkPositiveInt('memory', options.memory ?? 64);
  const seed = options.seed ?? 0;
  const lambda = options.lambda ?? REWARD_DEFAULTS.lambda;
  const rho = options.rho ?? REWARD_DEFAULTS.rho;
  const tokens = options.tokens ?? true;
  const cards = new CardTokens();
  const domain = options.domain;
  const train = generateTasks({ seed, n: steps * batch, split: 'train', ...(domain ? { domain } : {}) });
  const tests = generateTasks({ seed: seed + 1, n: testSize, split: 'test', ...(domain ? { domain } : {}) });
  const memory: Remembered[] = [];
  const allRejections: Record<string, number> = {};
  const reports: StepReport[] = [];
  let dag = start;

  const report = async (step: number, extra: Pick<StepReport, 'trainSolved' | 'trainReward' | 'added' | 'merged' | 'rejections'>) => {
    const st = dag.stats();
    const ev = await evaluate(dag, tests, { lambda, rho, tokens, executor: options.executor }, cards);
    const r: StepReport = { step, tools: st.tools, composites: st.composites, maxDepth: st.maxDepth, meanDepth: st.meanDepth, ...ev, ...extra };
    reports.push(r);
    await options.onStep?.(r, dag);
  };

  await report(0, { trainSolved: 0, trainReward: 0, added: [], merged: [], rejections: {} });
  for (let step = 1; step <= steps; step++) {
    const added: string[] = [];
    const merged: string[] = [];
    const rejections: Record<string, number> = {};
    let solvedCount = 0;
    let rewardSum = 0;
    for (const task of train.slice((step - 1) * batch, step * batch)) {
      // (a)+(b) solve with the current library; reward.
      const plan = planWithLibrary(task.program, dag);
      const s = await scoreTrajectory(plan.trajectory, { dag, inputs: task.inputs, answer: task.answer, executor: options.executor, lambda, rho });
      rewardSum += s.reward;
      // (d) only successful rollouts reach the teacher.
      if (!s.writeAllowed || !s.execution) continue;
      solvedCount++;
      const goldOutputs: unknown[] = new Array(task.program.calls.length);
      plan.origin.forEach((g, i) => (goldOutputs[g] = s.execution!.outputs[i]));
      // Outputs of calls hidden inside a composite are not observed: run the gold program for them.
      if (plan.used.length > 0) {
        const g = await scoreTrajectory(task.program, { dag, inputs: task.inputs, answer: task.answer, executor: options.executor, lambda, rho });
        if (!g.execution?.ok) continue;
        g.execution.outputs.forEach((v, i) => (goldOutputs[i] = v));
      }
      memory.push({ task, goldOutputs });
      if (memory.length > memorySize) memory.shift();
      // Mine the remembered trajectories as the current library would solve them.
      const solved: SolvedTrajectory[] = memory.map((m) => {
        const p = planWithLibrary(m.task.program, dag);
        return { trajectory: p.trajectory, inputs: m.task.inputs, outputs: p.origin.map((g) => m.goldOutputs[g]) };
      });
      const fold = await foldIntoLibrary(dag, solved, options.insert, {
        maxInserts: options.maxInserts ?? 2,
        minFrequency: options.minFrequency ?? 2,
      });
      dag = fold.dag;
      added.push(...fold.added);
      merged.push(...fold.merged);
      for (const [k, v] of Object.entries(fold.rejections)) {
        rejections[k] = (rejections[k] ?? 0) + v;
        allRejections[k] = (allRejections[k] ?? 0) + v;
      }
    }
    await report(step, { trainSolved: solvedCount, trainReward: rewardSum / batch, added, merged, rejections });
  }
  return { dag, steps: reports, rejections: allRejections };
}
