import type { Command } from 'commander';
import { CocodaError } from '../../errors.ts';

/**
 * `cocoda bench <suite>`: benchmark suites. Each suite module adds one subcommand here
 * (`core`, `retrieval`, ...) with a one-line edit of `benchSuites`. The suites live in bench/ and
 * use the dev dependency tinybench, so they are imported only when `cocoda bench` runs (or for
 * `--help`); without the dev dependencies `cocoda bench` says so and everything else works.
 */
export const benchSuites: Array<() => Promise<(bench: Command) => void>> = [
  async () => (await import('../../../bench/core.ts')).registerCoreBench,
  async () => (await import('../../../bench/reward.ts')).registerRewardBench,
  async () => (await import('../../../bench/retrieval.ts')).registerRetrievalBench,
  async () => (await import('../../../bench/retrieval-cold.ts')).registerRetrievalColdBench,
  async () => (await import('../../../bench/exec.ts')).registerExecBench,
  async () => (await import('../../../bench/faults.ts')).registerFaultBench,
  async () => (await import('../../../bench/train.ts')).registerTrainBench,
  async () => (await import('../../../bench/load.ts')).registerLoadBench,
];

export async function registerBench(program: Command): Promise<void> {
  const bench = program.command('bench').description('benchmarks that print ratios measured in one run');
  let suites: Array<(bench: Command) => void>;
  try {
    suites = await Promise.all(benchSuites.map((load) => load()));
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const why = (err as Error).message.split('\n')[0];
    bench
      .description('benchmarks (unavailable here: they need the dev dependencies)')
      .argument('[suite...]')
      .allowUnknownOption()
      .action(() => {
        throw new CocodaError(
          `the benchmarks need the dev dependencies (npm install without --omit=dev): ${why}`,
          'ERR_DEPENDENCY_MISSING',
        );
      });
    return;
  }
  for (const add of suites) add(bench);
}
