import type { Command } from 'commander';
import { argError } from '../../errors.ts';

/**
 * `cocoda policy bench [--backend wasm|cpu|tensorflow|torch|torch,wasm] [--device cpu|cuda]
 * [--threads N] [--sizes small,medium,large] [--seconds S] [--json]`: training and sampling
 * throughput of the planner policy beside the backend's matmul peak measured in the same run.
 * `--json` prints `{"backend", "variant", "threads", "peakGflops", "rows": [{"name", "params",
 * "trainTokPerSec", "sampleTokPerSec", "gflops", "fractionOfPeak", "timeShare", ...}]}`; with
 * several backends (comma list, measured side by side in one process) `{"runs": [that, ...],
 * "ratios": [{"name", "backend", "over", "train", "sample"}]}`.
 */
export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('the planner policy (TensorFlow.js transformer)');
  policy
    .command('bench')
    .description('training tokens/s, sampling tokens/s and GFLOP/s for 2-3 model sizes vs the matmul peak of the same backend')
    .option('--backend <name>', 'wasm, cpu, tensorflow (needs @tensorflow/tfjs-node installed), torch (the libtorch addon), or a comma list such as torch,wasm', 'wasm')
    .option('--device <name>', 'torch device: cpu, cuda or cuda:N', 'cpu')
    .option('--threads <N>', 'WASM threads (default 1, or COCODA_WASM_THREADS); libtorch threads for torch (default: all cores)')
    .option('--sizes <list>', 'comma-separated subset of small,medium,large', 'small,medium,large')
    .option('--seconds <S>', 'minimum timed training seconds per size', '3')
    .option('--json', 'print JSON')
    .action(async (o: { backend: string; device: string; threads?: string; sizes: string; seconds: string; json?: boolean }) => {
      // Loaded lazily: TensorFlow.js costs startup time every other command should not pay.
      const { checkBackendName } = await import('../../policy/backend.ts');
      const backends = o.backend.split(',').map((b) => checkBackendName(b.trim()));
      if (new Set(backends).size !== backends.length) throw argError('range', '--backend', 'distinct backend names', o.backend);
      const threads = o.threads === undefined ? undefined : Number(o.threads);
      if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 8)) throw argError('range', '--threads', 'an integer in 1..8', o.threads);
      const seconds = Number(o.seconds);
      if (!(seconds > 0)) throw argError('range', '--seconds', 'a positive number', o.seconds);
      const { BENCH_SIZES, formatPolicyBench, formatPolicyComparison, runPolicyBenches } = await import('../../../bench/policy.ts');
      const sizes = o.sizes.split(',').map((s) => s.trim()).filter(Boolean);
      for (const s of sizes) if (!(s in BENCH_SIZES)) throw argError('range', '--sizes', `names from ${Object.keys(BENCH_SIZES).join(', ')}`, s);
      const result = await runPolicyBenches(backends, {
        ...(threads !== undefined ? { threads } : {}),
        device: o.device,
        sizes,
        seconds,
        log: o.json ? undefined : (line) => process.stderr.write(line + '\n'),
      });
      if (backends.length === 1) process.stdout.write(o.json ? JSON.stringify(result.runs[0]) + '\n' : formatPolicyBench(result.runs[0]!) + '\n');
      else process.stdout.write(o.json ? JSON.stringify(result) + '\n' : formatPolicyComparison(result) + '\n');
    });
}
