/**
 * The GRPO co-evolution step, measured: rollouts/s, train tokens/s and the share of a step spent
 * in sampling, retrieval, sandbox, reward, backward (GRPO updates incl. reference log-probs) and
 * fold (abstractor + InsertTool). Runs a short co-evolution (stages 1–2 at small scale, then
 * `--steps` GRPO steps with the default G, batch and model, teacher-guided groups so that every
 * step has updates to measure) and reports the GRPO steps only.
 *
 *   npm run bench:train            node bin/cocoda.mjs bench train [--steps N] [--backend B] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { argError } from '../src/errors.ts';
import type { StepMetrics } from '../src/train/coevolve.ts';

export interface TrainBenchResult {
  steps: number;
  rollouts: number;
  rolloutsPerSec: number;
  trainTokensPerSec: number;
  /** Share of the GRPO step time by phase (sums to ~1). */
  share: Record<'sample' | 'retrieval' | 'sandbox' | 'reward' | 'backward' | 'fold', number>;
  msPerStep: number;
  backend: string;
  loadAvg: number;
  cpus: number;
}

export async function runTrainBench(o: { steps?: number; backend?: string } = {}): Promise<TrainBenchResult> {
  const { coevolve } = await import('../src/train/coevolve.ts');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cocoda-bench-train-'));
  const steps = o.steps ?? 4;
  // The backend coevolve would pick (the fastest live one) unless one is asked for: named in the report.
  const { fastestBackend } = await import('../src/policy/backend.ts');
  const chosen = o.backend ?? (await fastestBackend()).backend;
  try {
    const res = await coevolve({
      dir,
      config: {
        warm: { steps: 3 },
        sft: { tasks: 60, epochs: 1 },
        // Teacher-guided groups: the small SFT student fails most rollouts alike, and a group with
        // equal rewards has no update to measure; the teacher's member gives every group a spread.
        grpo: { steps, guide: 1 },
        eval: { curvePerDepth: 0 },
        checkpointEvery: 1000,
      },
      planners: [],
      backend: chosen as never,
    });
    const ss: StepMetrics[] = res.steps;
    const sum = (k: keyof StepMetrics['ms']) => ss.reduce((a, s) => a + s.ms[k], 0);
    const total = sum('total') - sum('eval');
    const rollouts = ss.reduce((a, s) => a + s.rollouts, 0);
    const tokens = ss.reduce((a, s) => a + s.trainTokens, 0);
    const phases = ['sample', 'retrieval', 'sandbox', 'reward', 'backward', 'fold'] as const;
    const share = Object.fromEntries(phases.map((p) => [p, sum(p) / total])) as TrainBenchResult['share'];
    return {
      steps: ss.length, rollouts, rolloutsPerSec: rollouts / (total / 1000), trainTokensPerSec: tokens / (sum('backward') / 1000), share,
      msPerStep: total / Math.max(1, ss.length), backend: chosen, loadAvg: os.loadavg()[0]!, cpus: os.cpus().length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatTrainBench(r: TrainBenchResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `GRPO co-evolution step (${r.steps} steps, ${r.rollouts} rollouts, backend ${r.backend}; load average ${r.loadAvg.toFixed(1)} on ${r.cpus} cores)`,
    `  rollouts/s         ${r.rolloutsPerSec.toFixed(2)}`,
    `  train tokens/s     ${r.trainTokensPerSec.toFixed(0)}   (tokens of the GRPO update passes per second of backward time)`,
    `  ms per step        ${r.msPerStep.toFixed(0)}`,
    `  share of a step    sampling ${pct(r.share.sample)} | retrieval ${pct(r.share.retrieval)} | sandbox ${pct(r.share.sandbox)} | reward ${pct(r.share.reward)} | backward ${pct(r.share.backward)} | fold ${pct(r.share.fold)}`,
  ].join('\n');
}

export function registerTrainBench(bench: Command): void {
  bench
    .command('train')
    .description('GRPO co-evolution step: rollouts/s, train tokens/s, share of a step by phase')
    .option('--steps <N>', 'GRPO steps measured', '4')
    .option('--backend <name>', 'policy backend')
    .option('--json', 'print the result as JSON')
    .action(async (o: { steps: string; backend?: string; json?: boolean }) => {
      const steps = Number(o.steps);
      if (!Number.isInteger(steps) || steps < 1) throw argError('range', '--steps', 'a positive integer', o.steps);
      const r = await runTrainBench({ steps, ...(o.backend ? { backend: o.backend } : {}) });
      process.stdout.write((o.json ? JSON.stringify(r) : formatTrainBench(r)) + '\n');
    });
}
