/**
 * Policy throughput on one TensorFlow.js backend, measured in one run beside that backend's own
 * matmul peak: training tokens/s (one SFT step = forward + backward + AdamW), sampling tokens/s
 * (batched, KV cache), and achieved model GFLOP/s of training for two or three model sizes.
 * A profiled training step splits the time by kernel family ("where the time goes").
 *
 *   node bin/cocoda.mjs policy bench [--backend wasm|cpu|tensorflow|torch|torch,wasm] [--device cpu|cuda] [--threads N] [--json]
 *
 * With several backends (`--backend torch,wasm`) every size runs on each backend in turn, in one
 * process, and {@link formatPolicyComparison} prints the ratios: numbers measured side by side
 * under the same machine load.
 */
import * as tf from '@tensorflow/tfjs-core';
import { loadavg } from 'node:os';
import { type BackendName, type PolicyBackendInfo, initBackend } from '../src/policy/backend.ts';
import { buildModel } from '../src/policy/policy.ts';
import { TorchModel } from '../src/policy/torch/model.ts';
import { packBatch } from '../src/policy/batch.ts';
import { type PolicyConfig, countParams, resolveConfig, trainFlopsPerToken } from '../src/policy/config.ts';
import { generate } from '../src/policy/sampling.ts';
import type { Transformer } from '../src/policy/model.ts';
import { Trainer } from '../src/policy/trainer.ts';

export interface PolicyBenchRow {
  name: string;
  params: number;
  config: Pick<PolicyConfig, 'vocabSize' | 'hiddenSize' | 'numLayers' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize'>;
  /** Training batch: rows × tokens per row. */
  batch: [number, number];
  trainTokPerSec: number;
  sampleTokPerSec: number;
  /** Achieved model GFLOP/s of training (6·N·tokens + attention, see `trainFlopsPerToken`). */
  gflops: number;
  /**
   * gflops / the backend's matmul peak measured right before and right after this size (the
   * higher of the two, `localPeakGflops`): on a shared machine the peak drifts with load during a
   * run, so each size is held to the peak of its own moment.
   */
  fractionOfPeak: number;
  localPeakGflops?: number;
  /** Share of one profiled training step by kernel family (sums to 1 with `framework`). */
  timeShare: Record<string, number>;
}

export interface PolicyBenchResult {
  backend: string;
  variant: string;
  threads: number;
  /** torch: libtorch device; BLAS library kind and OpenBLAS pool size on the CPU. */
  device?: string;
  blas?: string;
  blasThreads?: number;
  /** Best square float32 matmul GFLOP/s on this backend in this run (measured before, between and after the sizes). */
  peakGflops: number;
  /** 1-minute load average at the start and end (other processes skew every number). */
  loadAvg: [number, number];
  rows: PolicyBenchRow[];
}

export interface PolicyBenchOptions {
  backend?: BackendName;
  threads?: number;
  /** torch only: libtorch device (default cpu). */
  device?: string;
  /** Which sizes to run (default all). */
  sizes?: string[];
  /** Minimum seconds of timed training per size (default 3). */
  seconds?: number;
  log?: (line: string) => void;
}

/** The model sizes of the bench (Qwen3-style proportions: headDim 64, GQA 2:1, SwiGLU 3×). */
export const BENCH_SIZES: Record<string, Partial<PolicyConfig>> = {
  small: { vocabSize: 1024, hiddenSize: 128, numLayers: 2, numHeads: 2, numKvHeads: 1, headDim: 64, intermediateSize: 384 },
  medium: { vocabSize: 1024, hiddenSize: 256, numLayers: 4, numHeads: 4, numKvHeads: 2, headDim: 64, intermediateSize: 768 },
  large: { vocabSize: 2048, hiddenSize: 512, numLayers: 4, numHeads: 8, numKvHeads: 4, headDim: 64, intermediateSize: 1536 },
};

const TRAIN_BATCH = 8;
const TRAIN_SEQ = 129; // 128 predicted tokens per row
const SAMPLE_BATCH = 8;
const SAMPLE_PROMPT = 16;
const SAMPLE_NEW = 32;

/** Best GFLOP/s of square matmuls (256, 512, 1024) on the live backend. */
export function measurePeakGflops(seconds = 1): number {
  let best = 0;
  for (const n of [256, 512, 1024]) {
    const a = tf.randomNormal([n, n], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([n, n], 0, 1, 'float32', 2) as tf.Tensor2D;
    const run = () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    };
    run();
    let reps = 0;
    const start = performance.now();
    while (performance.now() - start < (seconds * 1000) / 3 || reps < 2) {
      run();
      reps++;
    }
    const s = (performance.now() - start) / 1000;
    best = Math.max(best, (2 * n * n * n * reps) / s / 1e9);
    tf.dispose([a, b]);
  }
  return best;
}

const FAMILIES: Array<[string, (name: string, inputRanks: number[]) => boolean]> = [
  ['matmul 2-D (XNNPACK on wasm)', (n, r) => (n === 'BatchMatMul' || n === '_FusedMatMul') && r.every((x) => x <= 2)],
  ['matmul batched (attention)', (n) => n === 'BatchMatMul' || n === '_FusedMatMul'],
  ['softmax', (n) => n === 'Softmax'],
  ['layout (transpose, reshape, slice, stack)', (n) => ['Transpose', 'Reshape', 'Slice', 'Pack', 'Unpack', 'Concat', 'SplitV', 'PadV2', 'Identity', 'Tile'].includes(n)],
  ['embedding (gather, scatter, one-hot)', (n) => ['GatherV2', 'ScatterNd', 'OneHot'].includes(n)],
  ['reductions', (n) => ['Sum', 'Mean', 'Max', 'Min', 'AddN'].includes(n)],
  ['elementwise', () => true],
];

/** Best square-matmul GFLOP/s of a backend (libtorch's own sgemm for torch). */
async function peakOf(info: PolicyBackendInfo, seconds = 1): Promise<number> {
  if (info.backend !== 'torch') return measurePeakGflops(seconds);
  const { torchAddon } = await import('../src/policy/torch/native.ts');
  return torchAddon().matmulPeak(seconds, info.device ?? 'cpu');
}

/** Profiles one call of `step`: share of its wall time per kernel family plus framework overhead. */
async function timeShare(step: () => void): Promise<Record<string, number>> {
  const t0 = performance.now();
  const info = await tf.profile(step);
  const wallMs = performance.now() - t0;
  const ms: Record<string, number> = {};
  for (const [f] of FAMILIES) ms[f] = 0;
  for (const k of info.kernels) {
    if (k.name === 'unnamed scope' || k.name.endsWith('__op')) continue; // custom-gradient wrappers contain other kernels
    const t = await (k.kernelTimeMs as number | Promise<number> | { error: string });
    if (typeof t !== 'number') continue;
    const ranks = (k.inputShapes ?? []).map((s) => s?.length ?? 0);
    const fam = FAMILIES.find(([, test]) => test(k.name, ranks))![0];
    ms[fam] = ms[fam]! + t;
  }
  const kernelMs = Object.values(ms).reduce((a, b) => a + b, 0);
  // The rest of the profiled step's wall time is framework overhead (JS dispatch, tape, tidy,
  // allocation) — including the profiler's own, so this share is an upper bound.
  const total = Math.max(wallMs, kernelMs);
  const out: Record<string, number> = {};
  for (const [f, v] of Object.entries(ms)) out[f] = v / total;
  out['framework (JS dispatch, autograd tape, memory)'] = Math.max(0, (total - kernelMs) / total);
  return out;
}

/** Trains and samples one size on the live backend `info`. */
async function benchSize(info: PolicyBackendInfo, name: string, seconds: number, peak: number): Promise<PolicyBenchRow> {
  const partial = BENCH_SIZES[name];
  if (!partial) throw new RangeError(`Expected size to be one of ${Object.keys(BENCH_SIZES).join(', ')} (got ${JSON.stringify(name)})`);
  const cfg = resolveConfig({ ...partial, maxSeqLen: 256 });
  const model = await buildModel(info, cfg, 0);
  const trainer = new Trainer(model, { lr: 1e-4 });
  let x = 12345;
  const seqs = Array.from({ length: TRAIN_BATCH }, () =>
    Array.from({ length: TRAIN_SEQ }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % cfg.vocabSize),
  );
  const batch = packBatch(seqs);
  trainer.sftStep(batch); // warm-up: XNNPACK operator creation, allocation
  let steps = 0;
  const start = performance.now();
  while (steps < 2 || performance.now() - start < seconds * 1000) {
    trainer.sftStep(batch);
    steps++;
  }
  const stepMs = (performance.now() - start) / steps;
  const tokens = TRAIN_BATCH * (TRAIN_SEQ - 1);
  const trainTokPerSec = (tokens * 1000) / stepMs;
  const gflops = (trainFlopsPerToken(cfg, TRAIN_SEQ - 1) * trainTokPerSec) / 1e9;
  // Kernel-level profiling exists for TensorFlow.js; libtorch's step is one addon call that
  // reports its phases.
  let share: Record<string, number>;
  if (model instanceof TorchModel) {
    const r = trainer.sftStep(batch);
    const ph = r.phases!;
    share = {
      'forward + loss': ph.forwardMs / r.ms,
      'backward (autograd)': ph.backwardMs / r.ms,
      'gradient norm + AdamW': ph.optimizerMs / r.ms,
      'framework (batch shift, N-API copies)': Math.max(0, 1 - (ph.forwardMs + ph.backwardMs + ph.optimizerMs) / r.ms),
    };
  } else share = await timeShare(() => void trainer.sftStep(batch));

  const prompts = seqs.slice(0, SAMPLE_BATCH).map((s) => s.slice(0, SAMPLE_PROMPT));
  const gen = (n: number) =>
    model instanceof TorchModel ? model.generate(prompts, { maxNewTokens: n, seed: 1 }) : generate(model as Transformer, prompts, { maxNewTokens: n, seed: 1 });
  await gen(4); // warm-up
  const s0 = performance.now();
  const out = await gen(SAMPLE_NEW);
  const sampled = out.tokens.reduce((n, t) => n + t.length, 0);
  const sampleTokPerSec = (sampled * 1000) / (performance.now() - s0);
  trainer.dispose();
  model.dispose();
  return {
    name,
    params: countParams(cfg),
    config: {
      vocabSize: cfg.vocabSize, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers, numHeads: cfg.numHeads,
      numKvHeads: cfg.numKvHeads, headDim: cfg.headDim, intermediateSize: cfg.intermediateSize,
    },
    batch: [TRAIN_BATCH, TRAIN_SEQ - 1],
    trainTokPerSec,
    sampleTokPerSec,
    gflops,
    fractionOfPeak: gflops / peak,
    timeShare: share,
  };
}

async function describeBackend(info: PolicyBackendInfo): Promise<Pick<PolicyBenchResult, 'backend' | 'variant' | 'threads' | 'device' | 'blas' | 'blasThreads'>> {
  const base = { backend: info.backend, variant: info.variant, threads: info.threads };
  if (info.backend !== 'torch') return base;
  const { torchStatus } = await import('../src/policy/torch/native.ts');
  const st = torchStatus();
  return { ...base, device: info.device ?? 'cpu', ...(st.blas ? { blas: st.blas } : {}), ...(st.blasThreads ? { blasThreads: st.blasThreads } : {}) };
}

/** Runs the bench; see the module comment. */
export async function runPolicyBench(opts: PolicyBenchOptions = {}): Promise<PolicyBenchResult> {
  const [r] = (await runPolicyBenches([opts.backend ?? 'wasm'], opts)).runs;
  return r!;
}

export interface PolicyBenchComparison {
  runs: PolicyBenchResult[];
  /** Per size: each backend's figures over the last backend's (e.g. torch / wasm). */
  ratios: Array<{ name: string; backend: string; over: string; train: number; sample: number }>;
}

/**
 * Runs the sizes on several backends in one process, alternating backends per size (so load
 * drift hits all of them alike), each beside its own matmul peak.
 */
export async function runPolicyBenches(backends: BackendName[], opts: Omit<PolicyBenchOptions, 'backend'> = {}): Promise<PolicyBenchComparison> {
  const log = opts.log ?? (() => {});
  const seconds = opts.seconds ?? 3;
  const sizes = opts.sizes ?? Object.keys(BENCH_SIZES);
  const infos: PolicyBackendInfo[] = [];
  for (const b of backends) {
    infos.push(await initBackend(b, { ...(opts.threads === undefined ? {} : { threads: opts.threads }), ...(b === 'torch' && opts.device ? { device: opts.device } : {}) }));
    log(`backend ${infos.at(-1)!.variant}, ${infos.at(-1)!.threads} thread(s)`);
  }
  const load0 = loadavg()[0]!;
  // Peak measurements scale with --seconds (1 s and 0.6 s at the default 3 s per size).
  const peakSecs = Math.min(1, seconds / 3);
  const localSecs = Math.min(0.6, seconds / 5);
  const peaks: number[] = [];
  for (const info of infos) {
    // tfjs backends share one global: re-select this one before measuring it.
    if (info.backend !== 'torch') await initBackend(info.backend);
    peaks.push(await peakOf(info, peakSecs));
    log(`${info.backend}: peak matmul ${peaks.at(-1)!.toFixed(1)} GFLOP/s (load average ${load0.toFixed(2)})`);
  }
  const rows: PolicyBenchRow[][] = infos.map(() => []);
  const allPeaks: number[][] = peaks.map((p) => [p]);
  for (const name of sizes) {
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      if (info.backend !== 'torch') await initBackend(info.backend);
      const before = await peakOf(info, localSecs);
      const row = await benchSize(info, name, seconds, peaks[i]!);
      const after = await peakOf(info, localSecs);
      row.localPeakGflops = Math.max(before, after);
      row.fractionOfPeak = row.gflops / row.localPeakGflops;
      allPeaks[i]!.push(before, after);
      rows[i]!.push(row);
      log(`${info.backend} ${name}: ${(row.params / 1e6).toFixed(2)}M params, train ${row.trainTokPerSec.toFixed(0)} tok/s (${row.gflops.toFixed(1)} GFLOP/s), sample ${row.sampleTokPerSec.toFixed(0)} tok/s`);
    }
  }
  const runs: PolicyBenchResult[] = [];
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i]!;
    if (info.backend !== 'torch') await initBackend(info.backend);
    const after = await peakOf(info, peakSecs);
    const peakGflops = Math.max(after, ...allPeaks[i]!);
    log(`${info.backend}: peak matmul after the sizes ${after.toFixed(1)} GFLOP/s`);
    runs.push({ ...(await describeBackend(info)), peakGflops, loadAvg: [load0, loadavg()[0]!], rows: rows[i]! });
  }
  const ratios: PolicyBenchComparison['ratios'] = [];
  const base = runs.at(-1)!;
  for (const run of runs.slice(0, -1)) {
    run.rows.forEach((row, j) => {
      const b = base.rows[j]!;
      ratios.push({ name: row.name, backend: run.backend, over: base.backend, train: row.trainTokPerSec / b.trainTokPerSec, sample: row.sampleTokPerSec / b.sampleTokPerSec });
    });
  }
  return { runs, ratios };
}

/** Side-by-side table of a multi-backend run. */
export function formatPolicyComparison(c: PolicyBenchComparison): string {
  const parts = c.runs.map(formatPolicyBench);
  if (c.ratios.length > 0) {
    parts.push(['side by side (same process, sizes alternating between backends):', 'size     backend   train ×   sample ×']
      .concat(c.ratios.map((r) => `${r.name.padEnd(8)} ${`${r.backend}/${r.over}`.padEnd(10)} ${r.train.toFixed(2).padStart(6)} ${r.sample.toFixed(2).padStart(9)}`))
      .join('\n'));
  }
  return parts.join('\n\n');
}

/** Human-readable table of a result. */
export function formatPolicyBench(r: PolicyBenchResult): string {
  const lines = [
    `backend ${r.backend} (${r.variant}), ${r.threads} thread(s)${r.blasThreads ? `, ${r.blas} pool ${r.blasThreads}` : ''}, reference matmul peak ${r.peakGflops.toFixed(1)} GFLOP/s, load average ${r.loadAvg[0].toFixed(1)} → ${r.loadAvg[1].toFixed(1)}`,
    '',
    'size     params   train tok/s   GFLOP/s   % of peak (local peak)   sample tok/s',
  ];
  for (const row of r.rows) {
    lines.push(
      `${row.name.padEnd(8)} ${(row.params / 1e6).toFixed(2).padStart(5)}M ${row.trainTokPerSec.toFixed(0).padStart(12)} ${row.gflops.toFixed(1).padStart(9)} ${(100 * row.fractionOfPeak).toFixed(0).padStart(10)}% (${(row.localPeakGflops ?? r.peakGflops).toFixed(1).padStart(5)}) ${row.sampleTokPerSec.toFixed(0).padStart(13)}`,
    );
  }
  lines.push('', `where one training step's time goes (batch ${r.rows[0]?.batch.join(' × ') ?? '-'} tokens):`);
  for (const row of r.rows) {
    const parts = Object.entries(row.timeShare)
      .filter(([, v]) => v >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${(100 * v).toFixed(0)}%`);
    lines.push(`  ${row.name}: ${parts.join(', ')}`);
  }
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await runPolicyBench({ log: (l) => process.stderr.write(l + '\n') });
  process.stdout.write(formatPolicyBench(r) + '\n');
}
