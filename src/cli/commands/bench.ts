import type { Command } from 'commander';
import { registerRewardBench } from '../../../bench/reward.ts';
import { registerRetrievalBench } from '../../../bench/retrieval.ts';
import { registerCoreBench } from '../../../bench/core.ts';
import { registerExecBench } from '../../../bench/exec.ts';

/**
 * `cocoda bench <suite>`: benchmark suites. Each suite module adds one subcommand here
 * (`core`, `retrieval`, ...) with a one-line edit of `benchSuites`.
 */
export const benchSuites: Array<(bench: Command) => void> = [registerCoreBench, registerRewardBench, registerRetrievalBench, registerExecBench];

export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks that print ratios measured in one run');
  for (const add of benchSuites) add(bench);
}
