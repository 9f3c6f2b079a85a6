/**
 * Reward kernels, native vs TypeScript twin, measured in the same run: batched GRPO group
 * advantages (G = 8) and shaped rewards over 10⁵ and 10⁶ rollouts, writing into one reused output
 * buffer (as a training loop does), so the ratio is the kernels' and not the allocator's.
 *
 *   node bin/cocoda.mjs bench reward [--json]      or      npx tsx bench/reward.ts
 */
import { Bench } from 'tinybench';
import type { Command } from 'commander';
import { nativeRewardKernels, tsRewardKernels, type RewardKernels } from '../src/reward/kernels.ts';
import { uniformGroupOffsets } from '../src/reward/advantages.ts';

export interface RewardBenchRow {
  kernel: string;
  n: number;
  tsMs: number;
  nativeMs: number | null;
  /** tsMs / nativeMs: how many times faster native is. */
  speedup: number | null;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export async function runRewardBench(sizes: number[] = [100_000, 1_000_000]): Promise<RewardBenchRow[]> {
  const native = nativeRewardKernels();
  const rows: RewardBenchRow[] = [];
  for (const n of sizes) {
    const rnd = lcg(n);
    const rewards = new Float64Array(n);
    for (let i = 0; i < n; i++) rewards[i] = rnd() < 0.4 ? 1 + 0.2 * Math.floor(rnd() * 4) : 0;
    const offsets = uniformGroupOffsets(n, 8);
    const callOffsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) callOffsets[i + 1] = callOffsets[i]! + 1 + (i % 5);
    const callPhi = new Float64Array(callOffsets[n]!);
    for (let j = 0; j < callPhi.length; j++) callPhi[j] = j % 4;
    // One output buffer reused across calls, as a training loop would: the kernels' work, not allocation.
    const out = new Float64Array(n);
    const cases: Array<[string, (k: RewardKernels) => unknown]> = [
      ['grpoAdvantages', (k) => k.grpoAdvantages(rewards, offsets, true, 1e-6, false, out)],
      ['shapedRewards', (k) => k.shapedRewards(rewards, callOffsets, callPhi, 0.2, out)],
    ];
    for (const [name, fn] of cases) {
      const bench = new Bench({ time: 300, warmupTime: 50 });
      bench.add('ts', () => fn(tsRewardKernels));
      if (native) bench.add('native', () => fn(native));
      await bench.run();
      const ms = (t: string): number | null => {
        const task = bench.tasks.find((x) => x.name === t);
        return task?.result ? task.result.latency.p50 ?? task.result.latency.mean : null;
      };
      const tsMs = ms('ts')!;
      const nativeMs = native ? ms('native') : null;
      rows.push({ kernel: name, n, tsMs, nativeMs, speedup: nativeMs ? tsMs / nativeMs : null });
    }
  }
  return rows;
}

export function formatRewardBench(rows: RewardBenchRow[]): string {
  const lines = ['kernel            n          ts p50 ms   native p50 ms   native speedup'];
  for (const r of rows) {
    lines.push(
      `${r.kernel.padEnd(17)} ${String(r.n).padEnd(10)} ${r.tsMs.toFixed(3).padStart(10)}   ${r.nativeMs === null ? '(no addon)'.padStart(13) : r.nativeMs.toFixed(3).padStart(13)}   ${r.speedup === null ? '-' : r.speedup.toFixed(2) + '×'}`,
    );
  }
  return lines.join('\n');
}

/** `cocoda bench reward [--json]`. */
export function registerRewardBench(bench: Command): void {
  bench
    .command('reward')
    .description('GRPO advantages and shaped rewards: native vs TS twin on 1e5 and 1e6 rollouts')
    .option('--json', 'print JSON rows')
    .action(async (opts: { json?: boolean }) => {
      const rows = await runRewardBench();
      process.stdout.write((opts.json ? JSON.stringify({ rows }) : formatRewardBench(rows)) + '\n');
    });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runRewardBench().then((rows) => console.log(formatRewardBench(rows)));
}
