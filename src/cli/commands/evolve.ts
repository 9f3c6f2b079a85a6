import type { Command } from 'commander';
import { argError } from '../../errors.ts';
import { commitLibrary, openOrInitLibrary } from '../../library/store.ts';
import type { ToolDag } from '../../library/dag.ts';
import { PRIMITIVES, seedRecords } from '../../primitives/index.ts';
import { taskVocabulary } from '../../tasks/generate.ts';
import { Sandbox } from '../../exec/sandbox.ts';
import { libraryInserter } from '../../library/insert.ts';
import { SandboxExecutor } from '../../trajectory/sandbox-executor.ts';
import { evolveLibrary, type StepReport } from '../../train/evolve.ts';
import { FLAG_RANGES, intFlag } from '../flags.ts';

export interface EvolveRun {
  steps: StepReport[];
  rejections: Record<string, number>;
  seeded: string[];
  dag: ToolDag;
}

/** The nine contract fields of one `--json` step. */
export function jsonStep(s: StepReport) {
  return {
    step: s.step, tools: s.tools, composites: s.composites, maxDepth: s.maxDepth, meanDepth: s.meanDepth,
    callsPerSolution: s.callsPerSolution, rComp: s.rComp, testAccuracy: s.testAccuracy, tokensPerQuery: s.tokensPerQuery,
  };
}

const f = (x: number, d = 2) => x.toFixed(d);

export function formatStepHeader(): string {
  return 'step  tools  comp  maxD  meanD  calls/sol  rComp  testAcc  tok/query  added';
}
export function formatStep(s: StepReport): string {
  return `${String(s.step).padStart(4)}  ${String(s.tools).padStart(5)}  ${String(s.composites).padStart(4)}  ${String(s.maxDepth).padStart(4)}  ${f(s.meanDepth).padStart(5)}  ${f(s.callsPerSolution).padStart(9)}  ${f(s.rComp).padStart(5)}  ${f(s.testAccuracy).padStart(7)}  ${f(s.tokensPerQuery, 1).padStart(9)}  ${s.added.join(', ')}${s.merged.length ? ` (merged: ${s.merged.join(', ')})` : ''}`;
}

/**
 * Runs library-only co-evolution on the library in `dir`, saving each new version there. A missing
 * or empty library is seeded like `cocoda library init` (the primitives and seed composites); a
 * library lacking a primitive the task programs call gets that primitive added.
 */
export async function runEvolve(dir: string, o: { steps: number; batch?: number; seed?: number; testSize?: number; onStep?: (s: StepReport) => void }): Promise<EvolveRun> {
  // A new library is created seeded, atomically; an existing one gets the primitives it lacks.
  const opened = openOrInitLibrary(dir, { records: seedRecords() });
  let dag = opened.dag;
  const vocab = new Set(taskVocabulary());
  const missing = opened.created ? seedRecords() : dag.size === 0 ? seedRecords() : PRIMITIVES.filter((p) => vocab.has(p.name) && !dag.has(p.name));
  if (!opened.created && missing.length > 0) {
    dag = commitLibrary(dir, dag.add([...missing])).dag;
  }
  const sandbox = new Sandbox();
  const executor = new SandboxExecutor(sandbox);
  try {
    const res = await evolveLibrary(dag, {
      steps: o.steps,
      ...(o.batch !== undefined ? { batch: o.batch } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}),
      ...(o.testSize !== undefined ? { testSize: o.testSize } : {}),
      executor,
      insert: libraryInserter({ sandbox }),
      // Each step's version is committed under the library's write protocol: if a user added
      // tools meanwhile, the step's changes are rebased onto them (nothing of theirs is lost).
      onStep: (s, d) => {
        if (d !== dag && d.version !== dag.version) {
          commitLibrary(dir, d);
          dag = d;
        }
        o.onStep?.(s);
      },
    });
    return { steps: res.steps, rejections: res.rejections, seeded: missing.map((m) => m.name), dag: res.dag };
  } finally {
    await sandbox.close();
  }
}

/** Prints the per-step table and the closing summary of a run. */
function printRun(dir: string, run: EvolveRun, write: (s: string) => void): void {
  const rej = Object.entries(run.rejections).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  const a = run.steps[0];
  const b = run.steps[run.steps.length - 1];
  if (a && b && b !== a) {
    write(`calls per solution ${f(a.callsPerSolution)} -> ${f(b.callsPerSolution)}, composites ${a.composites} -> ${b.composites} (max depth ${b.maxDepth}), ` +
      `test accuracy ${f(a.testAccuracy)} -> ${f(b.testAccuracy)}, retrieval tokens/query ${f(a.tokensPerQuery, 1)} -> ${f(b.tokensPerQuery, 1)}\n`);
  }
  write(`library ${dir}: version ${run.dag.version}, ${run.dag.size} tools; InsertTool rejections: ${rej}\n`);
  if (run.seeded.length > 0) write(`seeded with ${run.seeded.length} tools (primitives and seed composites of src/primitives)\n`);
  write('tokens/query: Typed DAG Retrieval cascade (src/retrieval) over each solution call as a typed sub-goal, Qwen3 tokens\n');
}



/**
 * `cocoda evolve DIR --planner teacher --steps N [--batch B] [--seed S] [--test-size T] [--json]`.
 * `--json` prints `{"steps": [{"step", "tools", "composites", "maxDepth", "meanDepth",
 * "callsPerSolution", "rComp", "testAccuracy", "tokensPerQuery"}]}` (step 0 is the starting library).
 */
export function registerEvolve(program: Command): void {
  program
    .command('evolve')
    .description('library-only co-evolution: solve -> reward -> fold -> InsertTool, per training query; report per step')
    .argument('<dir>', 'library directory (created and seeded like `library init` when missing or empty; saved after each step)')
    .option('--planner <planner>', 'planner: teacher (solves from gold programs with the current composites)', 'teacher')
    .option('--steps <N>', 'steps to run', '10')
    .option('--batch <B>', 'training queries per step', '8')
    .option('--seed <S>', 'task stream seed', '0')
    .option('--test-size <T>', 'held-out test tasks evaluated after each step', '48')
    .option('--json', 'print {"steps": [...]} as JSON')
    .action(async (dir: string, o: { planner: string; steps: string; batch: string; seed: string; testSize: string; json?: boolean }) => {
      if (o.planner !== 'teacher') throw argError('range', '--planner', '"teacher" (the neural planner co-evolves in cocoda train)', o.planner);
      const opts = {
        steps: intFlag('--steps', o.steps, FLAG_RANGES.steps)!,
        batch: intFlag('--batch', o.batch, FLAG_RANGES.batch)!,
        seed: intFlag('--seed', o.seed, FLAG_RANGES.seed)!,
        testSize: intFlag('--test-size', o.testSize, FLAG_RANGES.testSize)!,
      };
      // The training stream (steps × batch tasks) is generated up front: bounded like `tasks --n`.
      if (opts.steps * opts.batch > FLAG_RANGES.n[1]) {
        throw new RangeError(`Expected "--steps" × "--batch" to be at most ${FLAG_RANGES.n[1]} training tasks (got ${opts.steps} × ${opts.batch} = ${opts.steps * opts.batch})`);
      }
      if (!o.json) process.stdout.write(`${formatStepHeader()}\n`);
      const run = await runEvolve(dir, { ...opts, ...(o.json ? {} : { onStep: (s: StepReport) => process.stdout.write(`${formatStep(s)}\n`) }) });
      if (o.json) {
        process.stdout.write(JSON.stringify({ steps: run.steps.map(jsonStep) }) + '\n');
        return;
      }
      printRun(dir, run, (s) => process.stdout.write(s));
    });
}
